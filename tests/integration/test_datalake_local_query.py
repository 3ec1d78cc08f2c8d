"""`automl-archive query NAME --local DIR` over records written with the product's own encoder and keys."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from automl_archive.contracts.archive_layout import json_lines, raw_key, record_key
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.normalise import normalise
from automl_archive_cli.main import main
from devtools.answers import v1_answer

ARCHIVED_AT = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def _archive(root, answer):
    """One job state as the archiver writes it: the record's key and JSON Lines bytes from archive_layout."""
    job_key = answer["AutoMLJobName"].lower()
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=ARCHIVED_AT)
    record["raw_s3_key"] = raw_key(job_key, record["state_id"])
    path = root / record_key(job_key, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_lines([record]))
    return record


def test_latest_state_per_job_as_csv_over_a_local_copy(tmp_path, capsys):
    # Given two states of one job (running, then completed) and a failed job, written as the archiver writes
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    running = v1_answer("churn", status="InProgress", secondary="Training", LastModifiedTime=start)
    _archive(tmp_path, running)
    done = _archive(tmp_path, v1_answer("churn", LastModifiedTime=start + timedelta(hours=1)))
    failed = _archive(tmp_path, v1_answer("fraud", status="Failed", secondary="Failed", LastModifiedTime=start))
    # When the named query runs locally, as CSV
    code = main(["query", "latest_state_per_job", "--local", str(tmp_path), "--format", "csv", "--as-of", "2026-11-21"])
    captured = capsys.readouterr()
    # Then stdout is CSV alone: one row per job, its latest state
    assert code == 0, captured.err
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(row["job_name"], row["status"], row["state_id"]) for row in rows] == [
        ("churn", "Completed", done["state_id"]),
        ("fraud", "Failed", failed["state_id"]),
    ]


def test_failures_with_a_fixed_clock_as_a_table(tmp_path, capsys):
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    _archive(tmp_path, v1_answer("fraud", status="Failed", secondary="Failed", LastModifiedTime=start))
    # When the failures query runs with its clock a day later, and then a month later
    assert main(["query", "failures_last_7_days", "--local", str(tmp_path), "--as-of", "2026-11-21"]) == 0
    day_later = capsys.readouterr().out
    assert main(["query", "failures_last_7_days", "--local", str(tmp_path), "--as-of", "2026-12-21"]) == 0
    month_later = capsys.readouterr().out
    # Then the table shows the failed job only while it is inside the 7-day window
    assert "fraud" in day_later and "AutoML failures in the last 7 days" in day_later
    assert "fraud" not in month_later and "(no rows)" in month_later


def test_a_missing_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["query", "latest_state_per_job", "--local", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_key_in_upper_case_matches_its_column_as_in_athena(tmp_path, capsys):
    # Given a record written by another tool with its keys in upper case
    record = _archive(tmp_path, v1_answer("fraud", status="Failed", secondary="Failed"))
    upper = {key.upper(): value for key, value in record.items()}
    (path,) = (tmp_path / "records" / "automl-jobs").glob("*/*.jsonl")
    path.write_text(json.dumps(upper) + "\n")
    # When the failures query runs locally
    assert (
        main(["query", "failures_last_7_days", "--local", str(tmp_path), "--as-of", "2026-11-21", "--format", "csv"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # Then the columns are read (Athena's SerDe matches keys in lower case), not NULL
    assert [(row["job_name"], row["status"]) for row in rows] == [("fraud", "Failed")]


def test_a_number_as_text_fails_the_query_as_it_fails_in_athena(tmp_path, capsys):
    # Given a record whose double column holds the text "NaN" (DuckDB alone would read it as NaN)
    record = _archive(tmp_path, v1_answer("churn"))
    (path,) = (tmp_path / "records" / "automl-jobs").glob("*/*.jsonl")
    path.write_text(json.dumps(record | {"best_objective_metric_value": "NaN"}) + "\n")
    # When any query runs locally
    code = main(["query", "latest_state_per_job", "--local", str(tmp_path), "--as-of", "2026-11-21"])
    # Then it fails with one line naming the file, line and column
    assert code == 1
    error = capsys.readouterr().err
    assert "HIVE_BAD_DATA" in error and "best_objective_metric_value" in error and ".jsonl:1" in error
    assert "Traceback" not in error
