"""Re-derivation (`automl-archive rederive`) against moto's S3: old records are rebuilt from the raw answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from automl_archive.contracts.archive_layout import iso
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.normalise import normalise
from automl_archive.logic.state import state_id
from automl_archive.models.record import JOB_RECORD_COLUMN_NAMES, SCHEMA_VERSION
from automl_archive_cli.rederive import rederive
from devtools.answers import v1_answer

BUCKET = "archive"
ARCHIVED_AT = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
V1_ONLY_DROPPED = ("candidate_count", "best_candidate_rank")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=lambda v: iso(v) if isinstance(v, datetime) else str(v), separators=(",", ":"))


@pytest.fixture
def s3(fresh_aws):
    client = fresh_aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _archive_state(s3, answer: dict[str, Any], record_changes: dict[str, Any], dropped: tuple[str, ...] = ()):
    """Write a raw answer and its job record as the archiver does, then age the record."""
    state = state_id(answer["AutoMLJobStatus"], answer["AutoMLJobSecondaryStatus"], answer["LastModifiedTime"])
    job_key = answer["AutoMLJobName"].lower()
    raw_key = f"raw/automl-jobs/{job_key}/{state}.json"
    raw = {"DescribeApi": DescribeApi.V1, "DescribedAt": iso(ARCHIVED_AT), "Response": answer}
    s3.put_object(Bucket=BUCKET, Key=raw_key, Body=_dumps(raw).encode())
    current = normalise(answer, DescribeApi.V1, raw_s3_key=raw_key, archived_at=ARCHIVED_AT)
    old = {k: v for k, v in current.items() if k not in dropped} | record_changes
    record_key = f"records/automl-jobs/dt={current['last_modified_time'][:10]}/{job_key}--{state}.jsonl"
    s3.put_object(Bucket=BUCKET, Key=record_key, Body=(_dumps(old) + "\n").encode())
    return record_key, old, current


def _read(s3, key: str) -> dict[str, Any]:
    (line,) = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
    return json.loads(line)


def test_an_older_version_record_is_rewritten_to_the_current_schema(s3):
    # Given a schema-v1 record (no leaderboard columns) of a completed job, with its raw answer
    key, old, _ = _archive_state(s3, v1_answer("Churn-V1"), {"schema_version": 1}, dropped=V1_ONLY_DROPPED)
    # When the records are re-derived
    summary = rederive(s3, BUCKET)
    # Then the record at the same key has the current schema version and every column, in schema order
    assert (summary.scanned, summary.rewritten, summary.unchanged, summary.failed) == (1, 1, 0, [])
    assert summary.previous_versions == {1: 1}
    record = _read(s3, key)
    assert record["schema_version"] == SCHEMA_VERSION > 1
    assert tuple(record) == JOB_RECORD_COLUMN_NAMES
    assert record["candidate_count"] is None and record["best_candidate_rank"] is None
    # And every field the old record had survives unchanged (archived_at included)
    for name, value in old.items():
        if name != "schema_version":
            assert record[name] == value, name


def test_leaderboard_fields_of_the_existing_record_are_kept(s3):
    # Given a record whose candidate count and best rank came from the leaderboard, and an outdated column
    key, _, current = _archive_state(
        s3,
        v1_answer("fraud"),
        {"schema_version": 1, "candidate_count": 7, "best_candidate_rank": 2, "objective_metric": None},
    )
    # When the records are re-derived
    rederive(s3, BUCKET)
    # Then the column the raw answer knows is rebuilt and the leaderboard fields are kept
    record = _read(s3, key)
    assert record["objective_metric"] == current["objective_metric"] == "F1"
    assert (record["candidate_count"], record["best_candidate_rank"]) == (7, 2)


def test_dry_run_writes_nothing_and_a_second_run_changes_nothing(s3):
    key, old, _ = _archive_state(s3, v1_answer("Churn-V1"), {"schema_version": 1}, dropped=V1_ONLY_DROPPED)
    versions_before = s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
    # When a dry run reports, nothing is written
    dry = rederive(s3, BUCKET, dry_run=True)
    assert dry.rewritten == 1
    assert _read(s3, key) == old
    assert s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", []) == versions_before
    # And after a real run, another run finds every record current
    rederive(s3, BUCKET)
    again = rederive(s3, BUCKET)
    assert (again.rewritten, again.created, again.unchanged) == (0, 0, 1)


def test_a_missing_record_is_created_and_a_bad_raw_object_is_reported(s3):
    # Given a raw answer without its record, and an unreadable raw object
    answer = v1_answer("lost-record", status="Failed", secondary="Failed")
    state = state_id("Failed", "Failed", answer["LastModifiedTime"])
    raw = {"DescribeApi": DescribeApi.V1, "DescribedAt": iso(ARCHIVED_AT), "Response": answer}
    s3.put_object(Bucket=BUCKET, Key=f"raw/automl-jobs/lost-record/{state}.json", Body=_dumps(raw).encode())
    s3.put_object(Bucket=BUCKET, Key="raw/automl-jobs/broken/x.json", Body=b"{not json")
    # When the records are re-derived
    summary = rederive(s3, BUCKET)
    # Then the record is created where the archiver would have written it, and the bad object is listed
    assert summary.created == 1
    assert [key for key, _ in summary.failed] == ["raw/automl-jobs/broken/x.json"]
    record = _read(s3, f"records/automl-jobs/dt=2026-11-20/lost-record--{state}.jsonl")
    assert record["status"] == "Failed" and record["archived_at"] == iso(ARCHIVED_AT)


def _old_candidate_file(s3, job_key: str, rows: list[dict[str, Any]]) -> str:
    """A candidate file as writers before issue 15 left it: non-finite numbers as text."""
    key = f"records/automl-candidates/dt=2026-11-20/{job_key}--20261120T100000.000000Z-Completed-Completed.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body="".join(_dumps(row) + "\n" for row in rows).encode())
    return key


def _candidate(name: str, **values: Any) -> dict[str, Any]:
    return {"schema_version": 2, "job_name": "churn", "candidate_name": name, "rank": 1, "is_best": True} | values


def test_old_candidate_records_athena_would_refuse_are_repaired_in_place(s3):
    # Given candidate lines with NaN and a number as text in numeric columns, one in upper-case keys
    key = _old_candidate_file(
        s3,
        "churn",
        [
            _candidate(
                "a", objective_metric_value="NaN", candidate_metrics=[{"metric_name": "F1", "value": "Infinity"}]
            ),
            _candidate("b", objective_metric_value="0.91", rank="2"),
            {"Job_Name": "churn", "Candidate_Name": "c", "Objective_Metric_Value": 0.5},
        ],
    )
    fine = _old_candidate_file(s3, "fraud", [_candidate("d", objective_metric_value=0.7)])
    fine_body = s3.get_object(Bucket=BUCKET, Key=fine)["Body"].read()
    # When a dry run and then a real run re-derive
    dry = rederive(s3, BUCKET, dry_run=True)
    assert (dry.candidate_files, dry.candidate_files_repaired) == (2, 1)
    summary = rederive(s3, BUCKET)
    # Then the bad file is rewritten with numbers or nulls, keys in lower case; the good one is untouched
    assert (summary.candidate_files, summary.candidate_files_repaired, summary.failed) == (2, 1, [])
    lines = [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()]
    assert lines[0]["objective_metric_value"] is None
    assert lines[0]["candidate_metrics"] == [{"metric_name": "F1", "value": None}]
    assert (lines[1]["objective_metric_value"], lines[1]["rank"]) == (0.91, 2)
    assert (lines[2]["candidate_name"], lines[2]["objective_metric_value"]) == ("c", 0.5)
    assert s3.get_object(Bucket=BUCKET, Key=fine)["Body"].read() == fine_body
    # And a second run has nothing left to repair
    assert rederive(s3, BUCKET).candidate_files_repaired == 0


def test_a_candidate_value_no_repair_can_make_a_number_is_reported(s3):
    key = _old_candidate_file(s3, "churn", [_candidate("a", objective_metric_value="high")])
    summary = rederive(s3, BUCKET)
    assert [failed_key for failed_key, _ in summary.failed] == [key]
    assert "objective_metric_value" in summary.failed[0][1]


def test_a_job_prefix_repairs_that_jobs_candidates_only(s3):
    churn = _old_candidate_file(s3, "churn", [_candidate("a", objective_metric_value="NaN")])
    _old_candidate_file(s3, "churner", [_candidate("b", objective_metric_value="NaN")])
    summary = rederive(s3, BUCKET, prefix="raw/automl-jobs/churn/")
    assert (summary.candidate_files, summary.candidate_files_repaired) == (1, 1)
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=churn)["Body"].read())["objective_metric_value"] is None


def test_old_candidate_rows_gain_the_algorithm_their_images_name(s3):
    images = ["683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-sklearn-automl:2.5", "x/sagemaker-xgboost:1.7-1"]
    key = _old_candidate_file(s3, "churn", [_candidate("a", objective_metric_value=0.9, container_images=images)])
    summary = rederive(s3, BUCKET)
    assert (summary.candidate_files_repaired, summary.failed) == (1, [])
    row = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert (row["algorithm"], row["algorithm_source"]) == ("xgboost", "inference_container")
    assert rederive(s3, BUCKET).candidate_files_repaired == 0
