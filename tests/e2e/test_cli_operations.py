"""`automl-archive` against the deployed stack in moto, with the Autopilot simulator installed.

Each test makes its own jobs under its own name prefix and passes `--name-contains`, so the tests
share the module's deployed stack without seeing each other's jobs.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import automl_archive_cli.main as cli
from automl_archive.dal.aws import SqsWorkQueue
from automl_archive_cli import queue_wait
from automl_archive_cli.aws import resolve_stack
from automl_archive_cli.operator_policy import operator_policy
from datalake.named_queries import QUERIES_BY_NAME
from datalake.names import glue_database_name
from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.iam.enforcement import ENFORCEMENT, acting_as
from devtools.emulator.iam.policies import Principal
from devtools.emulator.lambda_invoke import invoked_in_process
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.sqs_move_tasks import SqsMoveTasks
from infra.config import COMPACTOR_HANDLER
from tests.e2e.conftest import as_operator


def make_completed_jobs(simulator, prefix, count):
    """Historical jobs, already Completed (no history to play: creation then completion)."""
    names = [f"{prefix}{index:04d}" for index in range(count)]
    for name in names:
        simulator.create_job(name)
        simulator.complete(name)
    return names


def run(*argv, stack):
    """The CLI as an operator runs it: under the operator policy, enforced as AWS would."""
    args = [*argv, "--stack-name", stack, "--no-progress"] if argv[0] == "backfill" else [*argv, "--stack-name", stack]
    with as_operator(stack):
        return cli.main(args)


def states_with_prefix(archive, prefix):
    return {pk: item for pk, item in archive.job_states().items() if pk.startswith(f"JOB#{prefix}")}


def record_keys(archive, prefix):
    s3 = archive.aws.client("s3")
    paginator = s3.get_paginator("list_objects_v2")
    keys = []
    for page in paginator.paginate(Bucket=archive.stack.output("ArchiveBucketName"), Prefix="records/automl-jobs/"):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return [key for key in keys if key.rsplit("/", 1)[-1].startswith(prefix)]


def visible_messages(archive, output_key):
    attributes = archive.aws.client("sqs").get_queue_attributes(
        QueueUrl=archive.stack.output(output_key), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


class CountingQueue(SqsWorkQueue):
    """The real work queue, counting every body sent; raises KeyboardInterrupt once `interrupt_at` were sent."""

    sent: list[str] = []
    interrupt_at: int | None = None

    def send_batch(self, bodies):
        if CountingQueue.interrupt_at is not None and len(CountingQueue.sent) >= CountingQueue.interrupt_at:
            raise KeyboardInterrupt
        super().send_batch(bodies)
        CountingQueue.sent += [body["AutoMLJobName"] for body in bodies]


def test_backfilling_1000_jobs_interrupted_half_way_archives_each_exactly_once(archive, monkeypatch, tmp_path, capsys):
    stack = archive.stack.stack_name
    # Given 1,000 historical Completed jobs the archive has never seen
    names = make_completed_jobs(archive.simulator, "hist-", 1000)
    checkpoint = tmp_path / "backfill.jsonl"
    monkeypatch.setattr(cli, "SqsWorkQueue", CountingQueue)
    CountingQueue.sent, CountingQueue.interrupt_at = [], 500
    started = time.monotonic()
    # When a backfill is interrupted (Ctrl-C) after 500 jobs were enqueued
    code = run("backfill", "--name-contains", "hist-", "--checkpoint", str(checkpoint), stack=stack)
    # Then it exits 130, says how to resume, and kept the checkpoint
    captured = capsys.readouterr()
    assert code == 130
    assert "Run the same command again to resume" in captured.err
    assert checkpoint.exists()
    assert len(CountingQueue.sent) == 500
    # When the same command is run again
    CountingQueue.interrupt_at = None
    code = run("backfill", "--name-contains", "hist-", "--checkpoint", str(checkpoint), stack=stack)
    out = capsys.readouterr().out
    # Then it enqueues only the other 500: every job exactly once across both runs
    assert code == 0, out
    assert "skipped, in checkpoint:    500" in out
    assert "enqueued:                  500" in out
    assert sorted(CountingQueue.sent) == sorted(names)
    assert visible_messages(archive, "WorkQueueUrl") == 1000
    # And it says the archiving goes on in the stack, keeping the checkpoint until the queue drains
    assert "Archiving continues asynchronously" in out
    assert checkpoint.exists()
    enqueued_after = time.monotonic() - started
    # When the deployed pipeline drains the queue
    archive.run_until_idle()
    drained_after = time.monotonic() - started
    # Then each job is archived once: one STATE item and one record object per job, all Completed
    states = states_with_prefix(archive, "hist-")
    assert len(states) == 1000
    assert {item["status"]["S"] for item in states.values()} == {"Completed"}
    keys = record_keys(archive, "hist-")
    assert len(keys) == 1000
    assert len({key.rsplit("/", 1)[-1].split("--")[0] for key in keys}) == 1000
    # And a third run finds everything archived, enqueues nothing, and drops the checkpoint
    CountingQueue.sent = []
    assert run("backfill", "--name-contains", "hist-", "--checkpoint", str(checkpoint), stack=stack) == 0
    out = capsys.readouterr().out
    assert "skipped, already archived: 1000" in out
    assert CountingQueue.sent == []
    assert not checkpoint.exists()  # the archive itself is now the record
    print(f"\n1,000 jobs: enqueued after {enqueued_after:.1f} s, drained after {drained_after:.1f} s")


def test_an_enqueue_backfill_is_asynchronous_until_wait_follows_the_queue_to_empty(
    archive, monkeypatch, tmp_path, capsys
):
    stack = archive.stack.stack_name
    make_completed_jobs(archive.simulator, "wait-", 25)
    checkpoint = tmp_path / "wait.jsonl"
    backfill = ("backfill", "--name-contains", "wait-", "--checkpoint", str(checkpoint))
    # When the backfill enqueues (the deployed archiver has not run yet)
    assert run(*backfill, stack=stack) == 0
    out = capsys.readouterr().out
    # Then it says that archiving continues, how to watch it, and keeps its checkpoint
    assert "enqueued:                  25" in out
    assert "Archiving continues asynchronously" in out
    assert "`automl-archive status`" in out and "--wait" in out
    assert checkpoint.exists()
    # When it is run again before the queue drains / Then it enqueues nothing again
    assert run(*backfill, stack=stack) == 0
    out = capsys.readouterr().out
    assert "skipped, in checkpoint:    25" in out and "enqueued:                  0" in out
    # When --restart is given / Then the checkpoint is discarded and every job is enqueued again
    assert run(*backfill, "--restart", stack=stack) == 0
    assert "enqueued:                  25" in capsys.readouterr().out
    assert archive.queue_depth("WorkQueueUrl") == 50
    # When the operator reruns with --wait (the archiver drains the queue during the first pause)
    pauses: list[float] = []

    def archiver_runs_meanwhile(seconds: float) -> None:
        if not pauses:
            archive.run_until_idle()
        pauses.append(seconds)

    monkeypatch.setattr(queue_wait, "CHECK_INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(queue_wait, "pause", archiver_runs_meanwhile)
    code = run(*backfill, "--wait", stack=stack)
    captured = capsys.readouterr()
    # Then it follows the queue with progress lines until three empty reads, and drops the checkpoint
    assert code == 0, captured.err
    assert "work queue: 50 messages (50 waiting, 0 being archived, 0 delayed)" in captured.err
    assert "work queue empty (3/3 reads)" in captured.err
    assert "The work queue is drained" in captured.out
    assert len(pauses) == 3
    assert not checkpoint.exists()
    assert {item["status"]["S"] for item in states_with_prefix(archive, "wait-").values()} == {"Completed"}
    assert len(states_with_prefix(archive, "wait-")) == 25


def test_a_dry_run_writes_nothing(archive, monkeypatch, tmp_path, capsys):
    stack = archive.stack.stack_name
    make_completed_jobs(archive.simulator, "dry-", 7)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    states_before = archive.job_states()
    objects_before = archive.object_versions()
    depth_before = archive.queue_depth("WorkQueueUrl")
    # When a dry run lists and compares
    code = run("backfill", "--name-contains", "dry-", "--dry-run", stack=stack)
    out = capsys.readouterr().out
    # Then it prints the counts and writes nothing: no message, no item, no object, no checkpoint
    assert code == 0
    assert "listed:                    7" in out
    assert "would be enqueued:         7" in out
    assert archive.queue_depth("WorkQueueUrl") == depth_before
    assert archive.job_states() == states_before
    assert archive.object_versions() == objects_before
    assert not (tmp_path / "cache").exists()


def test_direct_mode_archives_without_the_queue(archive, tmp_path, capsys):
    stack = archive.stack.stack_name
    names = make_completed_jobs(archive.simulator, "direct-", 12)
    archive.simulator.create_job("direct-failed")
    archive.simulator.fail("direct-failed")
    depth_before = archive.queue_depth("WorkQueueUrl")
    # When the backfill archives from this machine with 4 threads
    code = run(
        "backfill",
        "--name-contains",
        "direct-",
        "--direct",
        "--workers",
        "4",
        "--checkpoint",
        str(tmp_path / "c"),
        "--alerts",
        stack=stack,
    )
    out = capsys.readouterr().out
    # Then every job is archived at its state, nothing went through the queue, and stdout holds no EMF metrics
    assert code == 0, out
    assert "archived:                  13" in out
    states = states_with_prefix(archive, "direct-")
    assert sorted(states) == sorted(f"JOB#{name}" for name in [*names, "direct-failed"])
    assert states["JOB#direct-failed"]["status"]["S"] == "Failed"
    assert archive.queue_depth("WorkQueueUrl") == depth_before
    assert '"_aws"' not in out and "CloudWatchMetrics" not in out
    # And the deployed alert policy applied (--alerts: a backfill is otherwise history): one alert
    archive.inbox.read()
    assert [a.subject for a in archive.inbox.received if "direct-failed" in a.subject] == [
        "AutoML job direct-failed failed in 123456789012 us-east-1"
    ]


def test_the_rate_cap_holds_sagemaker_calls_to_the_cap(archive, tmp_path, capsys):
    stack = archive.stack.stack_name
    # Given 30 jobs: 1 list page + 30 describes + 30 candidate listings = 61 SageMaker requests
    make_completed_jobs(archive.simulator, "rate-", 30)
    started = time.monotonic()
    # When the direct backfill is capped at 20 calls per second
    code = run(
        "backfill",
        "--name-contains",
        "rate-",
        "--direct",
        "--rate",
        "20",
        "--checkpoint",
        str(tmp_path / "c"),
        stack=stack,
    )
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    # Then it takes at least 61 / 20 s, and the cap, not the work, set the pace
    assert code == 0, out
    assert "SageMaker requests: 61 (cap 20/s)" in out
    assert elapsed >= 61 / 20
    # Loose upper bound: two busy cores slow the emulator, and each job also writes its records and
    # publishes its state-change event; a cap that throttled to a quarter of 20/s or below still fails
    assert elapsed < 61 / 20 * 4
    assert len(states_with_prefix(archive, "rate-")) == 30


def test_redrive_moves_dead_letters_back_and_they_get_processed(archive, capsys):
    stack = archive.stack.stack_name
    sqs = archive.aws.client("sqs")
    # Given three job references that ended in the dead-letter queue
    names = make_completed_jobs(archive.simulator, "redrive-", 3)
    for name in names:
        sqs.send_message(
            QueueUrl=archive.stack.output("DeadLetterQueueUrl"),
            MessageBody=json.dumps({"AutoMLJobName": name, "Origin": "test"}),
        )
    with SqsMoveTasks():
        # When the operator redrives
        code = run("redrive", stack=stack)
        out = capsys.readouterr().out
        # Then all three are moved back to the work queue
        assert code == 0
        assert "work queue DLQ: moved 3 messages to the work queue (move task COMPLETED)" in out
        assert archive.queue_depth("DeadLetterQueueUrl") == 0
        # And the pipeline archives them
        archive.run_until_idle()
        assert len(states_with_prefix(archive, "redrive-")) == 3
        # And a second redrive finds nothing to do
        assert run("redrive", stack=stack) == 0
        assert "Every dead-letter queue is empty: nothing to redrive." in capsys.readouterr().out


def test_export_prints_the_normalised_record(archive, capsys):
    stack = archive.stack.stack_name
    (name,) = make_completed_jobs(archive.simulator, "archive-", 1)
    # When one job is archived
    code = run("archive", name, stack=stack)
    captured = capsys.readouterr()
    # Then its record (as archived in S3) is printed as JSON and the archive holds it
    assert code == 0, captured.err
    record = json.loads(captured.out)
    assert (record["job_name"], record["status"], record["is_terminal"]) == (name, "Completed", True)
    item = archive.job_states()[f"JOB#{name}"]
    assert item["state_id"]["S"] == record["state_id"]


def test_the_old_export_verb_still_archives_and_an_unknown_job_exits_1(archive, capsys):
    # `export` is the hidden former name of `archive` (decision 22): a script that still says it works
    code = run("export", "no-such-job", stack=archive.stack.stack_name)
    err = capsys.readouterr().err
    assert code == 1
    assert "SageMaker has no AutoML job named 'no-such-job'" in err


REPO_ROOT = Path(__file__).resolve().parents[2]


def run_in_shell(*argv, archive, extra_env=None):
    """The CLI as an operator's shell runs it: `python -m automl_archive_cli` in its own process, pointed
    at the emulator (the same moto server, with its Autopilot simulator), with no Powertools settings."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("POWERTOOLS_")}
    environment.update(archive.aws.environment())
    environment["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'lambdas'}"
    environment.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "automl_archive_cli", *argv, "--stack-name", archive.stack.stack_name],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_archivers_logs_stay_off_the_terminal_unless_verbose(archive):
    # When an operator archives a job SageMaker does not know (the archiver logs a warning about it)
    quiet = run_in_shell("archive", "no-such-job-quiet", archive=archive)
    # Then stderr holds the command's one line, nothing else: no structured log, no traceback
    assert quiet.returncode == 1
    assert quiet.stderr.splitlines() == [
        "automl-archive: SageMaker has no AutoML job named 'no-such-job-quiet' in this region."
    ]
    # When the same runs with --verbose
    verbose = run_in_shell("archive", "no-such-job-loud", "--verbose", archive=archive)
    # Then the archiver's structured logs are on stderr too, under the command's service name
    assert verbose.returncode == 1
    logs = [json.loads(line) for line in verbose.stderr.splitlines() if line.startswith("{")]
    assert any(log["message"] == "AutoML job not found; acknowledged" for log in logs), verbose.stderr
    assert {log["service"] for log in logs} == {"automl-archive"}
    assert "service_undefined" not in verbose.stderr
    assert verbose.stderr.splitlines()[-1].startswith("automl-archive: SageMaker has no AutoML job named")


def test_status_numbers_match_the_archive(archive, capsys):
    # When status runs with --json
    code = run("status", "--json", stack=archive.stack.stack_name)
    status = json.loads(capsys.readouterr().out)
    # Then its counts match the table and the queues
    assert code == 0
    states = archive.job_states()
    by_status: dict[str, int] = {}
    for item in states.values():
        by_status[item["status"]["S"]] = by_status.get(item["status"]["S"], 0) + 1
    assert status["total_jobs"] == len(states)
    assert status["jobs_by_status"] == by_status
    # All of them run in the emulator's one account and Region, which --account and --job-region select
    here = [{"account_id": ACCOUNT_ID, "region": REGION, "jobs": len(states)}] if states else []
    assert status["jobs_by_account"] == here
    assert run("status", "--json", "--account", "210987654321", stack=archive.stack.stack_name) == 0
    assert json.loads(capsys.readouterr().out)["total_jobs"] == 0
    assert run("status", "--account", "12345", stack=archive.stack.stack_name) == 2
    assert "not a 12-digit AWS account id" in capsys.readouterr().err
    newest = max(item["archived_at"]["S"] for item in states.values())
    assert status["newest_archived"][0]["archived_at"] == newest
    assert status["work_queue"]["total"] == archive.queue_depth("WorkQueueUrl")
    assert status["dead_letter_queue"]["total"] == archive.queue_depth("DeadLetterQueueUrl")
    # every dead-letter queue of the stack, not only the work queue's
    assert set(status["dead_letter_queues"]) == {
        "work queue DLQ",
        "ChildJobStateChangeRule DLQ",
        "AutoMLApiCallRule DLQ",
        "sweep schedule DLQ",
        "compaction schedule DLQ",
    }
    # And the plain-text form shows the same total
    assert run("status", stack=archive.stack.stack_name) == 0
    assert f"Archived jobs: {len(states)}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--stack-name", "NoSuchArchive"], "Stack 'NoSuchArchive' is not deployed in us-east-1"),
        (["--region", "us-west-2"], "is not deployed in us-west-2"),
    ],
)
def test_a_stack_that_is_not_deployed_is_a_clear_error(archive, capsys, argv, expected):
    args = ["status", *argv]
    if "--stack-name" not in argv:
        args += ["--stack-name", archive.stack.stack_name]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "make deploy" in err
    assert "Traceback" not in err


def test_the_operator_command_is_denied_what_its_policy_does_not_grant(archive, capsys):
    # Given an operator whose policy lacks the table statements `status` needs (the CLI runs under the
    # documented operator policy in every other test; this shows the enforcement is real)
    stack = archive.stack.stack_name
    deployment = resolve_stack(archive.aws.client("cloudformation"), stack, REGION)
    policy = operator_policy(deployment)
    policy["Statement"] = [s for s in policy["Statement"] if not any(a.startswith("dynamodb:") for a in s["Action"])]
    # When it runs `status`
    with acting_as(Principal.from_documents([policy])):
        code = cli.main(["status", "--stack-name", stack])
    # Then the command fails with AWS's access-denied error on one line, no traceback
    err = capsys.readouterr().err
    assert code != 0
    assert "AccessDenied" in err and "Traceback" not in err
    assert [denial.check.action for denial in ENFORCEMENT.take_denials()][:1] == ["dynamodb:Scan"]


def test_rederive_under_the_operator_policy_rebuilds_a_lost_record(archive, capsys):
    stack = archive.stack.stack_name
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    # Given one archived job whose record object was lost (its raw answer is kept)
    (name,) = make_completed_jobs(archive.simulator, "rederive-", 1)
    assert run("archive", name, stack=stack) == 0
    (key,) = record_keys(archive, name)
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    capsys.readouterr()
    prefix = f"raw/automl-jobs/{name}/"
    # When a dry run looks at that job's raw answers (the bucket comes from the stack's outputs)
    assert run("rederive", "--prefix", prefix, "--dry-run", stack=stack) == 0
    out = capsys.readouterr().out
    # Then it reports the record it would create and writes nothing
    assert f"Rederive (dry run) of s3://{bucket}/{prefix}:" in out
    assert "would create (no record existed): 1" in out
    assert record_keys(archive, name) == []
    # When it runs for real, under exactly the printed policy
    assert run("rederive", "--prefix", prefix, stack=stack) == 0
    assert "created (no record existed): 1" in capsys.readouterr().out
    # Then the record is back with every field the raw answer gives (the leaderboard fields and
    # archived_at only an existing record knows), and a second run finds nothing to change
    rebuilt = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    before = json.loads(original)
    kept = ("candidate_count", "best_candidate_rank", "archived_at")
    assert {k: v for k, v in rebuilt.items() if k not in kept} == {k: v for k, v in before.items() if k not in kept}
    assert run("rederive", "--prefix", prefix, stack=stack) == 0
    assert "unchanged: 1" in capsys.readouterr().out


def test_rederive_exits_1_when_a_raw_answer_is_unreadable(archive, capsys):
    stack = archive.stack.stack_name
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    s3.put_object(Bucket=bucket, Key="raw/automl-jobs/rederive-broken/x.json", Body=b"{not json")
    try:
        code = run("rederive", "--prefix", "raw/automl-jobs/rederive-broken/", stack=stack)
    finally:
        s3.delete_object(Bucket=bucket, Key="raw/automl-jobs/rederive-broken/x.json")
    captured = capsys.readouterr()
    assert code == 1
    assert "raw/automl-jobs/rederive-broken/x.json: JSONDecodeError" in captured.out
    assert "1 raw answers could not be re-derived" in captured.err


def test_download_records_then_query_locally_under_the_operator_policy(archive, tmp_path, capsys):
    stack = archive.stack.stack_name
    (name,) = make_completed_jobs(archive.simulator, "local-query-", 1)
    assert run("archive", name, stack=stack) == 0
    capsys.readouterr()
    # When the operator copies the records and runs a named query over the copy
    assert run("download-records", str(tmp_path / "copy"), stack=stack) == 0
    assert "downloaded" in capsys.readouterr().out
    assert main_local("latest_state_per_job", tmp_path / "copy") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # Then the job is there at its archived state
    assert {row["job_name"]: row["status"] for row in rows}[name] == "Completed"


def main_local(name, directory):
    return cli.main(["query", name, "--local", str(directory), "--format", "csv"])


def ensure_athena_workgroup(archive):
    """The stack's workgroup as the stack defines it (moto's CloudFormation does not create Athena workgroups)."""
    athena = archive.aws.client("athena")
    name = archive.stack.stack_name
    if name not in {group["Name"] for group in athena.list_work_groups()["WorkGroups"]}:
        location = f"s3://{archive.stack.output('ArchiveBucketName')}/athena-results/"
        athena.create_work_group(Name=name, Configuration={"ResultConfiguration": {"OutputLocation": location}})


def _queue_athena_result(archive, columns, rows):
    """moto answers GetQueryResults from a queue of results set through its moto-api endpoint."""
    header = {"Data": [{"VarCharValue": column} for column in columns]}
    body = {
        "account_id": ACCOUNT_ID,
        "region": REGION,
        "results": [
            {
                "rows": [header, *({"Data": [{"VarCharValue": value} for value in row]} for row in rows)],
                "column_info": [{"Name": column, "Type": "varchar"} for column in columns],
            }
        ],
    }
    request = urllib.request.Request(
        f"{archive.aws.endpoint_url}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_query_runs_the_named_query_in_the_stacks_athena_workgroup(archive, capsys):
    # Under exactly the operator policy (Athena's calls on Glue and S3 are made by Athena with the
    # caller's credentials, which the emulator does not see; those statements are checked against the
    # Service Authorization Reference in tests/unit/test_cli_operator_policy.py).
    stack = archive.stack.stack_name
    query = QUERIES_BY_NAME["latest_state_per_job"]
    ensure_athena_workgroup(archive)
    _queue_athena_result(archive, ["job_name", "status"], [["churn", "Completed"], ["fraud", "Failed"]])
    # When the operator runs the named query on AWS, as CSV
    with as_operator(stack):
        code = cli.main(["query", query.name, "--stack-name", stack, "--format", "csv"])
    captured = capsys.readouterr()
    # Then stdout is Athena's answer without its header row duplicated
    assert code == 0, captured.err
    assert list(csv.reader(io.StringIO(captured.out))) == [
        ["job_name", "status"],
        ["churn", "Completed"],
        ["fraud", "Failed"],
    ]
    assert "2 rows; Athena scanned" in captured.err
    # And the query ran as the named query's Athena text, in the stack's workgroup and Glue database
    athena = archive.aws.client("athena")
    (execution_id,) = athena.list_query_executions(WorkGroup=stack)["QueryExecutionIds"][-1:]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == query.athena_sql
    assert execution["QueryExecutionContext"] == {"Database": glue_database_name(stack)}
    assert execution["WorkGroup"] == stack


def test_query_as_a_table(archive, capsys):
    ensure_athena_workgroup(archive)
    _queue_athena_result(archive, ["mode", "jobs"], [["ENSEMBLING", "3"]])
    with as_operator(archive.stack.stack_name):
        assert cli.main(["query", "duration_and_candidates_per_mode", "--stack-name", archive.stack.stack_name]) == 0
    out = capsys.readouterr().out
    assert "AutoML duration and candidate counts per mode" in out
    assert "ENSEMBLING" in out and "3" in out


def test_compact_runs_the_deployed_compaction_and_reports_a_failure_in_one_line(archive, capsys):
    # Given the stack's compaction function, which the emulator runs in-process (as its role) when invoked
    compactor = ScheduledFunction.of(archive.aws, archive.stack, COMPACTOR_HANDLER)
    compactor.environment.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
    athena = archive.aws.client("athena")
    workgroup = archive.stack.stack_name
    # and a day with a job state written since the last compaction (only its key matters: moto's Athena
    # runs no SQL), removed afterwards so the module's other commands never read it
    s3, bucket = archive.aws.client("s3"), archive.stack.output("ArchiveBucketName")
    key = "records/automl-jobs/dt=2026-12-01/compact-test--state.jsonl"
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    with contextlib.ExitStack() as cleanup, invoked_in_process({compactor.function.name: compactor}):
        cleanup.callback(s3.delete_object, Bucket=bucket, Key=key)
        # When its workgroup is gone, `compact` fails with the function's error in one line, exit 1
        athena.delete_work_group(WorkGroup=workgroup, RecursiveDeleteOption=True)
        try:
            assert run("compact", stack=archive.stack.stack_name) == 1
        finally:
            ensure_athena_workgroup(archive)
        failed = capsys.readouterr()
        assert "the compaction failed" in failed.err and "WorkGroup does not exist" in failed.err
        assert "CompactorErrors" in failed.err
        # Then, the workgroup back, it merges every archived day and says so
        assert run("compact", stack=archive.stack.stack_name) == 0
        done = capsys.readouterr().out
        assert "Compacted (automl_jobs_latest:" in done and "watermark" in done
        # And a second run right after merges the same days again (the 5-minute margin for S3's clock)
        assert compactor.results[-1]["days_by_table"]
