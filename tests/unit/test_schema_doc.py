"""docs/schema.md documents every column the normaliser emits, with its type."""

from automl_archive.models.record import CANDIDATE_RECORD_COLUMNS, JOB_RECORD_COLUMNS
from devtools.schema_page import SCHEMA_PAGE, render


def test_schema_page_is_current():
    # Given the schema in code / When the page is rendered / Then the committed page matches it
    assert SCHEMA_PAGE.read_text(encoding="utf-8") == render(), "run `make docs` to regenerate docs/schema.md"


def test_every_column_is_documented_with_its_type():
    page = SCHEMA_PAGE.read_text(encoding="utf-8")
    for column in JOB_RECORD_COLUMNS + CANDIDATE_RECORD_COLUMNS:
        assert f"| `{column.name}` | `{column.type}` |" in page
