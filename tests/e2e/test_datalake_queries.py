"""The named queries' DuckDB text over the records the deployed stack wrote for the demo histories.

Each answer is checked against an independent source: the DynamoDB job states (the archiver's own
view of each job's latest state) or the candidate records.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.lake_tables import COMPACTED_TABLES
from automl_archive_cli.local_query import connect, download_records, run_queries
from automl_archive_cli.rederive import rederive
from devtools.emulator.aws import ACCOUNT_ID
from devtools.emulator.scenarios import demo_histories, schedule_all
from devtools.emulator.scheduled import ScheduledFunction
from infra.config import COMPACTOR_HANDLER


def _plain(attribute):
    if attribute is None or "NULL" in attribute:
        return None
    kind, value = next(iter(attribute.items()))
    return float(value) if kind == "N" else value


@pytest.fixture(scope="module")
def played(archive):
    histories = demo_histories()
    schedule_all(archive.simulator, histories)
    archive.run_until_idle()
    return histories


@pytest.fixture(scope="module")
def records_dir(archive, played, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("archive-copy")
    count = download_records(archive.aws.client("s3"), archive.stack.output("ArchiveBucketName"), directory)
    assert count > 0
    return directory


@pytest.fixture(scope="module")
def answers(records_dir):
    return {name: result.as_dicts() for name, result in run_queries(records_dir).items()}


@pytest.fixture(scope="module")
def states(archive, played):
    """The DynamoDB job states, as plain values, by job name."""
    return {
        _plain(item["job_name"]): {key: _plain(value) for key, value in item.items()}
        for item in archive.job_states().values()
    }


def test_failures_are_the_failed_stopped_and_partly_failed_jobs_with_their_reasons(answers, states):
    # Given the jobs whose latest state would alert (Failed, Stopped, Completed with partial failures)
    alerting = {name: state for name, state in states.items() if state.get("alert_category")}
    assert {state["status"] for state in alerting.values()} >= {"Failed", "Stopped"}
    # Then the failures query lists exactly those, each with its category, status and reason
    rows = answers["failures_last_7_days"]
    assert {row["job_name"]: (row["alert_category"], row["status"], row["failure_reason"]) for row in rows} == {
        name: (state["alert_category"], state["status"], state.get("failure_reason"))
        for name, state in alerting.items()
    }
    failed = next(row for row in rows if row["status"] == "Failed")
    assert failed["failure_reason"]
    assert failed["raw_s3_key"] == alerting[failed["job_name"]]["raw_s3_key"]


def test_failures_outside_the_window_are_not_reported(records_dir):
    # Given the clock moved 30 days past the demo
    later = datetime.now(UTC) + timedelta(days=30)
    # Then the 7-day window holds no failure
    assert run_queries(records_dir, ["failures_last_7_days"], as_of=later)["failures_last_7_days"].rows == []


def test_latest_state_has_one_row_per_job_equal_to_the_dynamodb_state(answers, states):
    rows = answers["latest_state_per_job"]
    assert len(rows) == len({row["job_name"] for row in rows})
    assert {row["job_name"]: (row["status"], row["state_id"]) for row in rows} == {
        name: (state["status"], state["state_id"]) for name, state in states.items()
    }
    for row in rows:
        state = states[row["job_name"]]
        assert row["last_modified_time"] == datetime.fromisoformat(state["last_modified_time"]).replace(tzinfo=None)
        assert row["candidate_count"] == (None if state["candidate_count"] is None else int(state["candidate_count"]))


def test_best_metric_per_problem_type_is_the_best_candidate_of_completed_jobs(answers, records_dir, states):
    # Given every candidate row of the completed jobs
    completed = {name for name, state in states.items() if state["status"] == "Completed"}
    expected: dict[tuple[date, str, str], float] = {}
    candidates = defaultdict(list)
    for path in (records_dir / "records" / "automl-candidates").glob("*/*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["job_name"] in completed and row["objective_metric_value"] is not None:
                candidates[row["job_name"]].append(row)
    assert candidates, "the completed jobs archived their leaderboards"
    for job_name, rows in candidates.items():
        end = datetime.fromisoformat(states[job_name]["end_time"])
        week = (end - timedelta(days=end.weekday())).date()
        metric_type = rows[0]["objective_metric_type"]
        values = [row["objective_metric_value"] for row in rows]
        best = min(values) if metric_type == "Minimize" else max(values)
        key = (week, states[job_name]["problem_type"], rows[0]["objective_metric_name"])
        previous = expected.get(key)
        if previous is None:
            expected[key] = best
        else:
            expected[key] = min(previous, best) if metric_type == "Minimize" else max(previous, best)
    # Then the query's best value per (week, problem type, metric) is the best candidate's value
    got = {
        (row["week"], row["problem_type"], row["objective_metric"]): row["best_value"]
        for row in answers["best_metric_per_problem_type_by_week"]
    }
    assert got == pytest.approx(expected)
    assert sum(row["completed_jobs"] for row in answers["best_metric_per_problem_type_by_week"]) == len(completed)


def test_duration_and_candidates_per_mode_sum_up_the_finished_jobs(answers, states):
    expected: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for state in states.values():
        if state["status"] not in ("Completed", "Failed", "Stopped"):
            continue
        group = expected[state["mode"] or "n/a"]
        group["jobs"] += 1
        group[state["status"].lower()] += 1
        group["candidates"] += state["candidate_count"] or 0
        group["max_duration_seconds"] = max(group["max_duration_seconds"], state["duration_seconds"])
    rows = {row["mode"]: row for row in answers["duration_and_candidates_per_mode"]}
    assert set(rows) == set(expected)
    for mode, group in expected.items():
        row = rows[mode]
        assert (row["jobs"], row["completed"], row["failed"], row["stopped"]) == (
            group["jobs"],
            group["completed"],
            group["failed"],
            group["stopped"],
        )
        assert (row["candidates"] or 0) == group["candidates"]
        assert row["max_duration_seconds"] == pytest.approx(group["max_duration_seconds"])


def test_no_job_runs_long_after_the_demo(answers):
    assert answers["long_running_jobs"] == []


def test_rederiving_the_demo_archive_changes_nothing(archive, played):
    # Given the archive the archiver wrote (current schema)
    # When every raw answer is re-derived (dry run)
    summary = rederive(archive.aws.client("s3"), archive.stack.output("ArchiveBucketName"), dry_run=True)
    # Then every record already equals its re-derivation: same key, same bytes
    assert summary.failed == []
    assert summary.scanned > 0
    assert (summary.unchanged, summary.rewritten, summary.created) == (summary.scanned, 0, 0)


def _archive_running_job(archive, name: str, max_runtime_seconds: int | None):
    simulator = archive.simulator
    simulator.create_job(name, api="v1", max_runtime_seconds=max_runtime_seconds)
    simulator.analyze_data(name)
    archive.aws.client("sqs").send_message(
        QueueUrl=archive.stack.output("WorkQueueUrl"), MessageBody=json.dumps({"AutoMLJobName": name})
    )
    archive.pipeline.drain()  # the job keeps running: a re-check stays scheduled, so it never idles
    assert archive.status_of(name) == "InProgress"
    return simulator.job(name).creation_time


def test_a_running_job_is_reported_past_its_own_limit_or_24_hours(archive, played, tmp_path):
    # Given two jobs still running: one limited to 2 hours, one with no MaxAutoMLJobRuntimeInSeconds
    limited = _archive_running_job(archive, "runs-two-hours", max_runtime_seconds=2 * 3600)
    unlimited = _archive_running_job(archive, "runs-unbounded", max_runtime_seconds=None)
    download_records(archive.aws.client("s3"), archive.stack.output("ArchiveBucketName"), tmp_path)

    def reported(at: datetime) -> dict[str, dict]:
        rows = run_queries(tmp_path, ["long_running_jobs"], as_of=at)["long_running_jobs"].as_dicts()
        return {row["job_name"]: row for row in rows}

    # Then the limited job is listed once it passed its limit plus the grace hour, not before
    assert "runs-two-hours" not in reported(limited + timedelta(hours=2, minutes=59))
    row = reported(limited + timedelta(hours=3, minutes=1))["runs-two-hours"]
    assert (row["status"], row["limit_hours"]) == ("InProgress", 2.0)
    assert row["running_hours"] == pytest.approx(3.0, abs=0.1)
    # And the job without a limit after 24 hours plus the grace hour; every demo job finished
    assert "runs-unbounded" not in reported(unlimited + timedelta(hours=24, minutes=59))
    late = reported(unlimited + timedelta(hours=25, minutes=1))
    assert set(late) == {"runs-two-hours", "runs-unbounded"}
    assert late["runs-unbounded"]["limit_hours"] == 24.0
    assert late["runs-unbounded"]["account_id"] == ACCOUNT_ID


def test_the_archive_observed_every_required_phase_of_the_demo_jobs(answers, states):
    # Given the demo's jobs played through the stack (events duplicated, out of order, then the sweep)
    phases: dict[str, list[dict]] = {}
    for row in answers["phase_transitions"]:
        phases.setdefault(row["job_name"], []).append(row)
    # Then every job's phases start at Starting and end at its final status, in time order
    assert set(phases) == set(states)
    for name, rows in phases.items():
        assert rows[0]["phase"] == "Starting", name
        assert rows[-1]["phase"] == states[name]["status"], name
        assert [row["entered_at"] for row in rows] == sorted(row["entered_at"] for row in rows), name
        # And no transition jumped over a required phase: the archive saw each one
        assert all(not row["missed_required_phases"] for row in rows), (name, rows)
        # And each phase was observed within the sweep's reach of its start
        assert all(0 <= row["observation_lag_seconds"] <= 15 * 60 for row in rows), (name, rows)


def test_every_candidates_training_job_has_its_cost_row_and_each_job_its_instance_hours(records_dir, answers, states):
    # Given the demo archive's child-job table, written from the child jobs' own terminal events
    connection = connect(records_dir)
    try:
        missing = connection.execute(
            """SELECT c.job_name, arn FROM automl_candidates c, unnest(c.step_arns) AS steps(arn)
               WHERE c.candidate_status = 'Completed' AND arn LIKE '%:training-job/%'
                 AND arn NOT IN (SELECT child_job_arn FROM automl_child_jobs)"""
        ).fetchall()
        unbilled = connection.execute(
            "SELECT count(*) FROM automl_child_jobs WHERE instance_seconds IS NULL OR instance_type IS NULL"
        ).fetchone()
    finally:
        connection.close()
    # Then every completed candidate's training step is in it, with its instances and seconds
    assert missing == []
    assert unbilled == (0,)
    # And every job that ran child jobs has instance hours and a cost, priced throughout
    costs = {row["job_name"]: row for row in answers["cost_per_job"]}
    assert costs and set(costs) <= set(states)
    assert all(row["instance_hours"] > 0 and row["on_demand_usd"] > 0 for row in costs.values())
    assert all(row["unpriced_child_jobs"] == 0 for row in costs.values())


def test_the_demo_winners_are_named_by_their_algorithm(answers, states):
    # Given the demo's completed tabular jobs (the emulator serves their models with SageMaker's XGBoost)
    completed = {name for name, state in states.items() if state["status"] == "Completed"}
    # Then the leaderboard of winners counts each of those with a best candidate under its algorithm
    rows = answers["winning_algorithms"]
    assert rows and all(row["algorithm"] != "unknown" for row in rows)
    assert sum(row["jobs_won"] for row in rows) <= len(completed)
    assert {row["algorithm"] for row in rows} == {"xgboost"}


def _dt_days(archive, prefix: str) -> set[str]:
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {entry["Key"].split("dt=")[1][:10] for page in pages for entry in page.get("Contents", [])}


def _athena_statements(archive, workgroup: str) -> list[dict]:
    athena = archive.aws.client("athena")
    ids = athena.list_query_executions(WorkGroup=workgroup).get("QueryExecutionIds", [])
    return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def test_the_deployed_compactor_merges_every_archived_day_then_only_what_changed(archive, played):
    # Given the demo archive and the stack's compaction function, run as its own role (IAM enforced)
    compactor = ScheduledFunction.of(archive.aws, archive.stack, COMPACTOR_HANDLER)
    compactor.environment.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
    workgroup = archive.stack.output(stack_outputs.ATHENA_WORKGROUP_NAME)
    database = archive.stack.output(stack_outputs.GLUE_DATABASE_NAME)
    first_run = datetime.now(UTC) + timedelta(hours=1)
    compactor.wall_clock = lambda: first_run
    # When it runs for the first time
    first = compactor.invoke()
    # Then it merged every day each JSON table has, in the stack's workgroup and database
    expected = {table.name: len(_dt_days(archive, table.source.prefix)) for table in COMPACTED_TABLES}
    assert first["days_by_table"] == expected and all(expected.values())
    statements = _athena_statements(archive, workgroup)
    merged = {s["Query"].split()[2] for s in statements if s["Query"].startswith("MERGE INTO")}
    assert merged == {table.name for table in COMPACTED_TABLES}
    assert {s["QueryExecutionContext"]["Database"] for s in statements} == {database}
    assert sum(s["Query"].startswith(("OPTIMIZE", "VACUUM")) for s in statements) == 2 * len(COMPACTED_TABLES)
    # And it created the Iceberg tables it merges into, with the contract's columns (the stack has none)
    glue = archive.aws.client("glue")
    for table in COMPACTED_TABLES:
        created = glue.get_table(DatabaseName=database, Name=table.name)["Table"]
        assert [c["Name"] for c in created["StorageDescriptor"]["Columns"]] == [c.name for c in table.columns]
    # When it runs an hour later with nothing written since
    compactor.wall_clock = lambda: first_run + timedelta(hours=1)
    second = compactor.invoke()
    # Then it merges nothing and moves its watermark on
    assert second["statements"] == [] and second["since"] == first["watermark"]
    assert len(_athena_statements(archive, workgroup)) == len(statements)
