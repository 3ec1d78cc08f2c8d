"""The DuckDB views read the archive as the Glue tables do: typed columns, UTC timestamps, old records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.normalise import normalise
from automl_archive.models.record import SCHEMA_VERSION
from automl_archive_cli.local_query import connect, run_queries
from automl_archive_cli.results import NO_ROWS, format_csv, result_table
from datalake.named_queries import NAMED_QUERIES
from devtools.answers import v1_answer

ARCHIVED_AT = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def _write(root, key: str, records: list[dict]) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_old_schema_records_read_null_for_new_columns_and_timestamps_are_utc(tmp_path):
    # Given a current record and a schema-v1 record (without the leaderboard columns), another offset
    current = normalise(v1_answer("new-job"), DescribeApi.V1, raw_s3_key="raw/x", archived_at=ARCHIVED_AT)
    current["candidate_count"] = 4
    old = normalise(v1_answer("old-job"), DescribeApi.V1, raw_s3_key="raw/y", archived_at=ARCHIVED_AT)
    del old["candidate_count"], old["best_candidate_rank"]
    old["schema_version"] = 1
    old["archived_at"] = "2026-11-20T12:00:00.000000+02:00"
    _write(tmp_path, "records/automl-jobs/dt=2026-11-20/new.jsonl", [current])
    _write(tmp_path, "records/automl-jobs/dt=2026-11-20/old.jsonl", [old])
    # When the job states view is read
    rows = (
        connect(tmp_path)
        .execute(
            "SELECT job_name, schema_version, candidate_count, archived_at, creation_time, dt, best_candidate_metrics "
            "FROM automl_job_states ORDER BY job_name"
        )
        .fetchall()
    )
    # Then the old record reads null for the new column, timestamps are UTC, dt is the partition string
    assert [(r[0], r[1], r[2]) for r in rows] == [("new-job", SCHEMA_VERSION, 4), ("old-job", 1, None)]
    assert rows[1][3] == datetime(2026, 11, 20, 10, 0, 0)
    assert rows[0][4] == datetime(2026, 11, 20, 9, 0, 0, 250000)
    assert rows[0][5] == "2026-11-20"
    assert rows[0][6][0]["metric_name"] == "F1" and rows[0][6][0]["set"] == "Validation"


def test_an_empty_archive_answers_every_query_with_no_rows(tmp_path):
    results = run_queries(tmp_path)
    assert set(results) == {query.name for query in NAMED_QUERIES}
    assert all(result.rows == [] for result in results.values())
    empty = results["latest_state_per_job"]
    assert result_table(empty.columns, empty.rows).caption == NO_ROWS
    assert format_csv(empty.columns, empty.rows).splitlines() == [",".join(empty.columns)]
