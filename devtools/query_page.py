"""Writes the "The saved queries" section of docs/data-lake.md from datalake/named_queries.py.

The queries' text lives once, in code; the analysts' guide shows it as deployed. Run `make docs` after
changing a query; tests/unit/test_query_page.py fails when the page drifts.
"""

from __future__ import annotations

from pathlib import Path

from datalake.named_queries import NAMED_QUERIES, NamedQuery

DATA_LAKE_PAGE = Path(__file__).resolve().parents[1] / "docs" / "data-lake.md"
SECTION_START = "## The saved queries\n"
NEXT_SECTION = "\n## "  # the section ends where the next second-level heading begins

INTRO = """
Each query is saved in the stack's workgroup under its title, and runs by its name with
`automl-archive query NAME` (Athena) or `automl-archive query NAME --local DIR` (DuckDB). The DuckDB
text differs only where the dialects do; both are generated from one template per query.
"""


def _query(query: NamedQuery) -> str:
    return f"""
### {query.title} (`{query.name}`)

{query.description}

```sql
{query.athena_sql}
```

<details><summary>The DuckDB text</summary>

```sql
{query.duckdb_sql}
```

</details>
"""


def render_section() -> str:
    return SECTION_START + INTRO + "".join(_query(query) for query in NAMED_QUERIES)


def render(page: str) -> str:
    """The page with its saved-queries section replaced by the current one."""
    start = page.index(SECTION_START)
    end = page.index(NEXT_SECTION, start + len(SECTION_START))
    return page[:start] + render_section() + page[end:]


if __name__ == "__main__":
    DATA_LAKE_PAGE.write_text(render(DATA_LAKE_PAGE.read_text(encoding="utf-8")), encoding="utf-8")
