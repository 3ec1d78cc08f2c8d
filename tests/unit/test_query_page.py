"""docs/data-lake.md shows every named query's Athena and DuckDB text exactly as the stack deploys it."""

from datalake.named_queries import NAMED_QUERIES
from devtools.query_page import DATA_LAKE_PAGE, render


def test_the_saved_queries_section_is_current():
    page = DATA_LAKE_PAGE.read_text(encoding="utf-8")
    assert page == render(page), "run `make docs` to regenerate docs/data-lake.md's saved queries"


def test_each_query_appears_in_both_dialects_under_its_title():
    page = DATA_LAKE_PAGE.read_text(encoding="utf-8")
    for query in NAMED_QUERIES:
        assert f"### {query.title} (`{query.name}`)" in page
        assert f"```sql\n{query.athena_sql}\n```" in page
        assert f"```sql\n{query.duckdb_sql}\n```" in page


def test_rendering_replaces_only_the_section():
    page = "# Title\n\nintro\n\n## The saved queries\n\nstale text\n\n## Cost\n\ncost text\n"
    rendered = render(page)
    assert rendered.startswith("# Title\n\nintro\n\n## The saved queries\n")
    assert rendered.endswith("\n## Cost\n\ncost text\n")
    assert "stale text" not in rendered
