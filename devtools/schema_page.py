"""Writes docs/schema.md from the record schema (models/record.py), the single source of truth.

Run `make docs` after adding a column; tests/unit/test_schema_doc.py fails when the page drifts.
"""

from __future__ import annotations

from pathlib import Path

from automl_archive.models.record import (
    CANDIDATE_RECORD_COLUMNS,
    CHILD_JOB_RECORD_COLUMNS,
    JOB_RECORD_COLUMNS,
    SCHEMA_VERSION,
    Column,
)

HEADER = f"""# Record schemas (schema_version {SCHEMA_VERSION})

## Job records

One row per observed state of an AutoML job, written as JSON Lines to
`s3://<archive bucket>/records/automl-jobs/dt=YYYY-MM-DD/<job>--<state id>.jsonl`, where `dt` is the
UTC date of the state's `last_modified_time`. The full DescribeAutoMLJob(V2) answer of the same
state is at `raw_s3_key` (`raw/automl-jobs/<job>/<state id>.json`), datetimes as ISO-8601 with offset.

Types are the Athena/Hive types the data-lake table uses. `timestamp` columns hold ISO-8601 text with
a UTC offset (e.g. `2026-11-20T09:00:00.250000+00:00`, always six fractional digits). Absent values
are `null`; absent lists are `[]`. Changes are additive only: a new column bumps `schema_version`;
no column is renamed or retyped (see schema-evolution.md).

| column | type | meaning |
| --- | --- | --- |
"""


CANDIDATES_HEADER = """
## Candidate records (the leaderboard)

When a job reaches a terminal state, every candidate (ListCandidatesForAutoMLJob, all pages) is
written as one JSON line per candidate to
`s3://<archive bucket>/records/automl-candidates/dt=YYYY-MM-DD/<job>--<state id>.jsonl`, partitioned
like the job records. The job record of that state carries `candidate_count` and `best_candidate_rank`.

| column | type | meaning |
| --- | --- | --- |
"""

CHILD_JOBS_HEADER = """
## Child-job records (what each job ran on)

When a training, processing or transform job of an AutoML job finishes, its own state-change event
(instance type and count, start and end) becomes one JSON line at
`s3://<archive bucket>/records/automl-child-jobs/dt=YYYY-MM-DD/<job>--<child job>.jsonl`, where `dt`
is the UTC date the child job ended. No SageMaker call is added for it. A candidate's `step_arns`
name its child jobs' `child_job_arn`.

| column | type | meaning |
| --- | --- | --- |
"""

VERSIONS = """
## Versions

- 1: the job record.
- 2: `candidate_count`, `best_candidate_rank` on job records; candidate records.
- 3: `account_id`, `region` on every record.
- 4: `best_candidate_algorithm` on job records; `algorithm`, `algorithm_source` on candidate records;
  child-job records.
"""


def _rows(columns: tuple[Column, ...]) -> str:
    return "\n".join(f"| `{c.name}` | `{c.type}` | {c.description} |" for c in columns) + "\n"


def render() -> str:
    return (
        HEADER
        + _rows(JOB_RECORD_COLUMNS)
        + CANDIDATES_HEADER
        + _rows(CANDIDATE_RECORD_COLUMNS)
        + CHILD_JOBS_HEADER
        + _rows(CHILD_JOB_RECORD_COLUMNS)
        + VERSIONS
    )


SCHEMA_PAGE = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


if __name__ == "__main__":
    SCHEMA_PAGE.write_text(render(), encoding="utf-8")
