"""Compaction end to end below the function: the DAL against moto, and the MERGE text run by DuckDB.

moto's Athena answers StartQueryExecution without running the SQL, so what the statements compute is
proven by DuckDB running the very same MERGE text (automl_archive_cli/local_query.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from automl_archive.contracts.archive_layout import COMPACTION_WATERMARK_KEY, iso, json_lines, raw_key, record_key
from automl_archive.contracts.job_identity import job_key
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.contracts.lake_tables import CANDIDATES_COMPACTED, COMPACTED_TABLES, JOBS_LATEST
from automl_archive.dal.aws.lake import AthenaQueryEngine, GlueLakeCatalog, S3LakeStorage
from automl_archive.dal.interfaces import CompactionQueryFailed
from automl_archive.logic.compaction import add_columns_sql, create_table_sql, merge_sql
from automl_archive.logic.normalise import normalise
from automl_archive_cli.local_query import compact_local, compacted_files, connect, run_queries
from devtools.answers import v1_answer

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _state(root: Path, name: str, status: str, modified: datetime, archived: datetime | None = None) -> dict[str, Any]:
    answer = v1_answer(name)
    answer["AutoMLJobStatus"] = status
    answer["AutoMLJobSecondaryStatus"] = "Completed" if status == "Completed" else "ModelTuning"
    answer["LastModifiedTime"] = modified
    if status != "Completed":
        answer.pop("EndTime", None)
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=archived or modified)
    record["raw_s3_key"] = raw_key(job_key(name), record["state_id"])
    path = root / record_key(job_key(name), record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_lines([record]))
    return record


def _latest(root: Path) -> dict[str, tuple[str, str]]:
    rows = connect(root, AS_OF).execute(f"SELECT job_name, status, state_id FROM {JOBS_LATEST.name}").fetchall()
    return {name: (status, state_id) for name, status, state_id in rows}


def test_the_merge_keeps_each_jobs_latest_state_whatever_order_the_days_arrive_in(tmp_path):
    # Given a job's running state on one day and its final state on the next, and a second job
    running = _state(tmp_path, "churn", "InProgress", AS_OF - timedelta(days=3))
    done = _state(tmp_path, "churn", "Completed", AS_OF - timedelta(days=2))
    other = _state(tmp_path, "fraud", "InProgress", AS_OF - timedelta(days=2))
    connection = connect(tmp_path, AS_OF, compact=False)
    # When the newer day is merged first and the older day after it (a backfill of an old day)
    connection.execute(merge_sql(JOBS_LATEST, [done["last_modified_time"][:10]]))
    connection.execute(merge_sql(JOBS_LATEST, [running["last_modified_time"][:10]]))
    connection.execute(merge_sql(JOBS_LATEST, [done["last_modified_time"][:10]]))  # and a repeat
    rows = connection.execute(f"SELECT job_name, status, state_id FROM {JOBS_LATEST.name} ORDER BY 1").fetchall()
    # Then each job has one row, its latest state: the older day never regresses it
    assert rows == [("churn", "Completed", done["state_id"]), ("fraud", "InProgress", other["state_id"])]


def test_compacted_parquet_plus_recent_json_answer_as_the_whole_archive_does(tmp_path):
    # Given an archive compacted into Parquet, then new states written after the compaction: a new
    # job today and a later state of an old job
    _state(tmp_path, "churn", "InProgress", AS_OF - timedelta(days=40))
    _state(tmp_path, "fraud", "Completed", AS_OF - timedelta(days=10))
    assert compact_local(tmp_path)[JOBS_LATEST.name] == 2
    assert all(compacted_files(tmp_path, table) for table in COMPACTED_TABLES)
    churn_done = _state(tmp_path, "churn", "Completed", AS_OF - timedelta(hours=2))
    _state(tmp_path, "late", "Failed", AS_OF - timedelta(hours=1))
    # When the named query reads the Parquet and only today's and yesterday's JSON (no local merge)
    connection = connect(tmp_path, AS_OF, compact=False)
    from datalake.named_queries import LATEST_STATE_PER_JOB  # noqa: PLC0415

    rows = connection.execute(LATEST_STATE_PER_JOB.duckdb_sql).fetchall()
    by_name = {row[2]: row for row in rows}
    # Then it sees the compacted jobs and the new states, one row per job, the newest
    assert sorted(by_name) == ["churn", "fraud", "late"]
    assert by_name["churn"][3] == "Completed" and by_name["churn"][-1] == churn_done["state_id"]
    # And it answers as a fresh merge of every JSON day does
    assert sorted(rows) == sorted(run_queries(tmp_path, ["latest_state_per_job"], AS_OF)["latest_state_per_job"].rows)


def test_a_state_of_an_old_day_written_after_the_compaction_waits_for_the_next_one(tmp_path):
    # Given a compacted archive, and then a backfilled state of a day 10 days old
    _state(tmp_path, "churn", "InProgress", AS_OF - timedelta(days=12))
    compact_local(tmp_path)
    _state(tmp_path, "churn", "Failed", AS_OF - timedelta(days=10), archived=AS_OF)
    # Then without a new compaction the queries still show the compacted state (documented lag) ...
    assert _latest_with(tmp_path, compact=False)["churn"] == "InProgress"
    # ... and a compaction run merges the backfilled day
    compact_local(tmp_path)
    assert _latest_with(tmp_path, compact=False)["churn"] == "Failed"


def _latest_with(root: Path, *, compact: bool) -> dict[str, str]:
    rows = connect(root, AS_OF, compact=compact).execute(f"SELECT job_name, status FROM {JOBS_LATEST.name}").fetchall()
    return dict(rows)


def test_s3_storage_lists_record_objects_and_keeps_the_watermark(fresh_aws):
    s3 = fresh_aws.client("s3")
    s3.create_bucket(Bucket="archive")
    s3.put_object(Bucket="archive", Key="records/automl-jobs/dt=2026-11-30/a--1.jsonl", Body=b"{}\n")
    s3.put_object(Bucket="archive", Key="records/automl-candidates/dt=2026-11-30/a--1.jsonl", Body=b"{}\n")
    storage = S3LakeStorage("archive")
    # A missing watermark reads as none (NoSuchKey), a written one reads back
    assert storage.read_watermark() is None
    (entry,) = storage.list_objects("records/automl-jobs/")
    assert entry.key.endswith("a--1.jsonl") and entry.size == 3 and entry.last_modified.tzinfo is not None
    storage.write_watermark(json.dumps({"compacted_through": iso(AS_OF)}).encode())
    assert json.loads(storage.read_watermark() or "")["compacted_through"] == iso(AS_OF)
    assert s3.head_object(Bucket="archive", Key=COMPACTION_WATERMARK_KEY)["ContentType"] == "application/json"


def test_athena_engine_runs_in_the_workgroup_and_reports_bytes_scanned(fresh_aws):
    athena = fresh_aws.client("athena")
    athena.create_work_group(
        Name="archive", Configuration={"ResultConfiguration": {"OutputLocation": "s3://archive/athena-results/"}}
    )
    engine = AthenaQueryEngine("archive", "archive_db")
    assert engine.run("merge x", "SELECT 1", deadline=datetime.now(UTC).timestamp() + 60) >= 0
    (execution_id,) = athena.list_query_executions(WorkGroup="archive")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == "SELECT 1" and execution["QueryExecutionContext"]["Database"] == "archive_db"


def _stubbed_engine(states: list[dict[str, Any]], clock_values: list[float]) -> tuple[AthenaQueryEngine, Stubber]:
    engine = AthenaQueryEngine("wg", "db", sleep=lambda _: None, clock=lambda: clock_values.pop(0))
    stubber = Stubber(engine._client)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    for status in states:
        stubber.add_response(
            "get_query_execution",
            {"QueryExecution": {"QueryExecutionId": "q-1", "Status": status, "Statistics": {"DataScannedInBytes": 42}}},
        )
    stubber.activate()
    return engine, stubber


def test_athena_engine_waits_for_a_running_statement_and_raises_athenas_reason(fresh_aws):
    engine, _ = _stubbed_engine(
        [{"State": "RUNNING"}, {"State": "FAILED", "StateChangeReason": "ICEBERG_COMMIT_ERROR: conflict"}], [0.0]
    )
    with pytest.raises(CompactionQueryFailed, match="ICEBERG_COMMIT_ERROR"):
        engine.run("merge automl_jobs_latest", "MERGE ...", deadline=100.0)
    engine, _ = _stubbed_engine([{"State": "QUEUED"}, {"State": "SUCCEEDED"}], [0.0])
    assert engine.run("optimize", "OPTIMIZE t REWRITE DATA USING BIN_PACK", deadline=100.0) == 42


def test_athena_engine_stops_the_statement_it_gives_up_on_at_the_deadline(fresh_aws):
    # so the next run's statement on the same table cannot overlap it
    engine, stubber = _stubbed_engine([{"State": "RUNNING"}], [99.5])
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
    with pytest.raises(TimeoutError, match="still RUNNING"):
        engine.run("merge", "MERGE ...", deadline=100.0)
    stubber.assert_no_pending_responses()


def test_glue_catalog_lists_a_tables_columns_and_knows_a_missing_one(fresh_aws):
    glue = fresh_aws.client("glue")
    glue.create_database(DatabaseInput={"Name": "archive_db"})
    glue.create_table(
        DatabaseName="archive_db",
        TableInput={
            "Name": "automl_jobs_latest",
            "StorageDescriptor": {"Columns": [{"Name": "job_name", "Type": "string"}]},
        },
    )
    catalog = GlueLakeCatalog("archive_db")
    assert catalog.columns("automl_jobs_latest") == ["job_name"]
    assert catalog.columns("automl_candidates_compacted") is None
    assert GlueLakeCatalog("no_such_db").columns("automl_jobs_latest") is None


def test_the_emulator_applies_the_compactions_ddl_to_glue_as_athena_does(fresh_aws):
    # moto's Athena runs no SQL; the emulator applies CREATE TABLE / ALTER TABLE ADD COLUMNS to moto's Glue
    athena, glue = fresh_aws.client("athena"), fresh_aws.client("glue")
    athena.create_work_group(Name="wg")
    context = {"Database": "archive_db"}
    athena.start_query_execution(
        QueryString=create_table_sql(CANDIDATES_COMPACTED, "bucket"), WorkGroup="wg", QueryExecutionContext=context
    )
    table = glue.get_table(DatabaseName="archive_db", Name=CANDIDATES_COMPACTED.name)["Table"]
    columns = table["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == [c.name for c in CANDIDATES_COMPACTED.columns]
    metrics = next(c for c in columns if c["Name"] == "candidate_metrics")  # a struct's commas stay inside
    assert metrics["Type"].startswith("array<struct<") and table["Parameters"]["table_type"] == "ICEBERG"
    assert table["StorageDescriptor"]["Location"] == f"s3://bucket/{CANDIDATES_COMPACTED.prefix}"
    # a repeated CREATE TABLE IF NOT EXISTS changes nothing; ADD COLUMNS appends
    athena.start_query_execution(
        QueryString=create_table_sql(CANDIDATES_COMPACTED, "other"), WorkGroup="wg", QueryExecutionContext=context
    )
    athena.start_query_execution(
        QueryString=add_columns_sql(CANDIDATES_COMPACTED, ["rank", "algorithm"]).replace("rank", "extra_rank"),
        WorkGroup="wg",
        QueryExecutionContext=context,
    )
    table = glue.get_table(DatabaseName="archive_db", Name=CANDIDATES_COMPACTED.name)["Table"]
    assert table["StorageDescriptor"]["Location"].startswith("s3://bucket/")
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]][-2:] == ["extra_rank", "algorithm"]


def test_the_s3_lease_admits_one_run_at_a_time_and_a_stale_one_is_taken_over(fresh_aws):
    # S3 conditional writes: If-None-Match creates it once, If-Match replaces exactly a lease that ran out
    fresh_aws.client("s3").create_bucket(Bucket="archive")
    first, second = S3LakeStorage("archive"), S3LakeStorage("archive")
    until = AS_OF + timedelta(minutes=16)
    assert first.acquire_lease(until, AS_OF) is None
    assert second.acquire_lease(AS_OF + timedelta(minutes=20), AS_OF + timedelta(minutes=1)) == until
    # After the holder's time, the lease is taken over; once released, it is simply taken
    assert second.acquire_lease(AS_OF + timedelta(minutes=40), until + timedelta(seconds=1)) is None
    second.release_lease()
    assert first.acquire_lease(until, AS_OF) is None
