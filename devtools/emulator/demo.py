"""`python -m devtools.emulator.demo`: the whole archive running locally against moto, in simulated time.

The terminal gets the story (sections, tables, checks); the functions' own output (Powertools JSON logs,
EMF metric lines) goes to FUNCTION_LOG, as Lambda would send it to CloudWatch Logs.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import tempfile
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.archive_layout import (
    ARCHIVER_WRITE_PREFIXES,
    CANDIDATES_PREFIX,
    RAW_PREFIX,
    parse_raw_key,
)
from automl_archive.contracts.job_table import PARTITION_KEY, SORT_KEY, STATE_SORT_KEY, job_key_of
from automl_archive.contracts.lake_tables import COMPACTED_TABLES
from automl_archive.contracts.state_change_event import DETAIL_TYPE, SOURCE
from devtools.chat_notification import chat_notification_errors
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.chat_endpoint import ChatbotEndpoint
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.events import AlertsInbox, EventsInbox, put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import all_events, demo_histories, replay_shuffled, schedule_all
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.sqs_move_tasks import SqsMoveTasks
from devtools.emulator.stack import REPO_ROOT, DeployedStack, deploy_stack
from infra.config import COMPACTOR_HANDLER, SWEEP_HANDLER

MAX_SIMULATED_SECONDS = 12 * 3600
FUNCTION_LOG = REPO_ROOT / "demo-output" / "functions.log"
PIPED_WIDTH = 160  # a pipe or file has no width; rich would wrap at 80


def story_console() -> Console:
    """The demo's own output: colour on a terminal, plain text (no wrapping at 80) elsewhere."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=PIPED_WIDTH)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print an aligned table (cells are plain text, never rich markup)."""
    grid = Table(*headers, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        grid.add_row(*(Text(str(cell)) for cell in row))
    story_console().print(grid)


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def job_states(aws: LocalAws, table_name: str) -> dict[str, dict[str, Any]]:
    """The archive's job-state items (contracts/job_table.py), by job key."""
    paginator = aws.client("dynamodb").get_paginator("scan")
    states = {}
    for page in paginator.paginate(TableName=table_name):
        for item in page["Items"]:
            key = job_key_of(item[PARTITION_KEY]["S"])
            if key is not None and item[SORT_KEY]["S"] == STATE_SORT_KEY:
                states[key] = item
    return states


def plain(attribute: dict[str, Any] | None) -> str:
    if not attribute:
        return ""
    kind, value = next(iter(attribute.items()))
    return json.dumps(value) if kind in ("M", "L") else str(value)


def archive_keys(aws: LocalAws, bucket: str) -> list[str]:
    paginator = aws.client("s3").get_paginator("list_objects_v2")
    return [obj["Key"] for page in paginator.paginate(Bucket=bucket) for obj in page.get("Contents", [])]


def queue_depth(aws: LocalAws, queue_url: str) -> str:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return (
        f"visible={attributes.get('ApproximateNumberOfMessages')} "
        f"in-flight={attributes.get('ApproximateNumberOfMessagesNotVisible')} "
        f"delayed={attributes.get('ApproximateNumberOfMessagesDelayed')}"
    )


def print_leaderboard(aws: LocalAws, bucket: str, keys: list[str]) -> None:
    """The first archived leaderboard: one row per candidate, ranked."""
    boards = [k for k in keys if k.startswith(CANDIDATES_PREFIX)]
    if not boards:
        return
    body = aws.client("s3").get_object(Bucket=bucket, Key=boards[0])["Body"].read().decode()
    rows = [json.loads(line) for line in body.splitlines()]
    section(f"Candidate leaderboard of {rows[0]['job_name']} ({len(rows)} candidates)")
    table(
        ["rank", "candidate", "status", "objective", "value", "best"],
        [[r["rank"], r["candidate_name"], r["candidate_status"], r["objective_metric_name"],
          r["objective_metric_value"], "*" if r["is_best"] else ""] for r in rows],
    )  # fmt: skip


def print_archive(aws: LocalAws, stack: DeployedStack, inbox: AlertsInbox, simulator: AutopilotSimulator) -> None:
    states = job_states(aws, stack.output(outputs.JOBS_TABLE_NAME))
    section("DynamoDB job states")
    rows = [
        [plain(i.get("job_name")) or key, plain(i.get("status")), plain(i.get("secondary_status")),
         plain(i.get("describe_api")), plain(i.get("archived_at"))]
        for key, i in sorted(states.items())
    ]  # fmt: skip
    table(["job", "status", "secondary status", "describe api", "archived at"], rows)
    keys = archive_keys(aws, stack.output(outputs.ARCHIVE_BUCKET_NAME))
    for prefix in ARCHIVER_WRITE_PREFIXES:
        matching = [k for k in keys if k.startswith(prefix)]
        section(f"S3 {prefix} ({len(matching)} objects; first and last shown)")
        shown = matching if len(matching) <= 4 else [*matching[:2], "...", *matching[-2:]]
        print("\n".join(shown) or "(none)")
    print_leaderboard(aws, stack.output(outputs.ARCHIVE_BUCKET_NAME), keys)
    section("Alerts received")
    alert_rows = [[a.subject or "", json.dumps(a.attributes, sort_keys=True)] for a in inbox.received]
    if alert_rows:
        table(["subject", "attributes"], alert_rows)
    else:
        print("(none)")
    section("Queues")
    table(
        ["queue", "depth"],
        [["work queue", queue_depth(aws, stack.output(outputs.WORK_QUEUE_URL))],
         ["dead-letter queue", queue_depth(aws, stack.output("DeadLetterQueueUrl"))]],
    )  # fmt: skip
    section("Autopilot API calls (simulated SageMaker)")
    table(["action", "calls"], sorted(simulator.calls.items()))


# Rules as a user writes them (docs/events.md): every state change, and "deploy the winner".
EVERY_STATE_CHANGE = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
DEPLOY_THE_WINNER = {
    **EVERY_STATE_CHANGE,
    "detail": {"status": ["Completed"], "problem_type": ["BinaryClassification"], "historical": [False]},
}


def archived_state_ids(aws: LocalAws, bucket: str, job_name: str | None = None) -> list[str]:
    """The id of every state the archive wrote (one raw answer each), of one job if named."""
    raw = [parse_raw_key(key) for key in archive_keys(aws, bucket) if key.startswith(RAW_PREFIX)]
    return sorted(state for job, state in raw if job_name is None or job == job_name.lower())


def print_state_change_events(every: EventsInbox, winners: EventsInbox) -> None:
    section("AutoML Job State Change events (the event SageMaker never emits)")
    rows = [[e["detail"]["job_name"], e["detail"]["previous_status"] or "", e["detail"]["status"],
             e["detail"]["secondary_status"] or ""] for e in every.received]  # fmt: skip
    print(f"{len(every.received)} events on the bus; a rule for every state change got them all:")
    table(["job", "from", "to", "secondary status"], rows)
    print(f"\nthe 'deploy the winner' rule {json.dumps(DEPLOY_THE_WINNER['detail'])} got {len(winners.received)}:")
    if winners.received:
        print(json.dumps(winners.received[0], indent=2))


def print_chat_alerts(chat: ChatbotEndpoint) -> None:
    section("Alerts as a Slack or Teams channel gets them (AWS Chatbot's HTTPS subscription)")
    for notification in chat.notifications():
        content = notification["content"]
        print(f"title:       {content['title']}")
        print("description: " + content["description"].replace("\n", "\n             "))
        print("next steps:  " + "\n             ".join(content.get("nextSteps", [])))
        print(f"keywords:    {', '.join(content.get('keywords', []))}")


def status_by_job(states: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {
        plain(i.get("job_name")) or key: (plain(i.get("status")), plain(i.get("describe_api")))
        for key, i in states.items()
    }


def outcome_checks(
    states: dict[str, dict[str, Any]], alerts: int, history_jobs: dict[str, str]
) -> list[tuple[str, bool]]:
    by_job = status_by_job(states)
    completed_apis = {history_jobs.get(job) for job, (status, _) in by_job.items() if status == "Completed"}
    return [
        ("a V1 job archived Completed", "v1" in completed_apis),
        ("a V2 job archived Completed", "v2" in completed_apis),
        ("a job archived Failed", any(status == "Failed" for status, _ in by_job.values())),
        ("exactly one alert (for the failure)", alerts == 1),
        ("a job archived Stopped", any(status == "Stopped" for status, _ in by_job.values())),
        ("the ordinary training job was not archived", "nightly-xgboost-training" not in by_job),
    ]


HISTORICAL_JOBS = 5


def run_operator_commands(
    aws: LocalAws, stack: DeployedStack, simulator: AutopilotSimulator, pipeline: LambdaPipeline
) -> int:
    """Backfill (dry run, then for real), status and redrive, as a user types them; returns how many
    historical jobs the backfill got archived."""
    from automl_archive_cli.main import main as cli  # noqa: PLC0415 (the CLI is only needed here)

    for index in range(HISTORICAL_JOBS):  # jobs that ran before the stack existed: no events at all
        simulator.create_job(f"history-{index:02d}", api="v1")
        simulator.complete(f"history-{index:02d}")
    common = ["--stack-name", stack.stack_name]
    with tempfile.TemporaryDirectory() as scratch, SqsMoveTasks():
        for command in (
            ["backfill", "--name-contains", "history-", "--dry-run", "--no-progress"],
            ["backfill", "--name-contains", "history-", "--no-progress", "--checkpoint", f"{scratch}/checkpoint"],
        ):
            print(f"\n$ automl-archive {' '.join(command[:4])}")
            cli([*command, *common])
        pipeline.run_until_idle(max_simulated_seconds=MAX_SIMULATED_SECONDS)
        for command in (["status"], ["redrive"]):
            print(f"\n$ automl-archive {' '.join(command)}")
            cli([*command, *common])
    states = job_states(aws, stack.output(outputs.JOBS_TABLE_NAME))
    return sum(
        1 for key, item in states.items() if key.startswith("history-") and plain(item.get("status")) == "Completed"
    )


def run_demo() -> int:
    FUNCTION_LOG.parent.mkdir(parents=True, exist_ok=True)
    print(f"functions' logs and metrics: {FUNCTION_LOG.relative_to(REPO_ROOT)}")
    with FUNCTION_LOG.open("w", encoding="utf-8") as function_log:
        status = play(function_log)
        # Then the same histories across an organisation's accounts (issue 14).
        from devtools.emulator.demo_multi import play_multi_account  # noqa: PLC0415 (it imports this module)

        status = play_multi_account(function_log) or status
    print(f"\nfunctions' logs and metrics: {FUNCTION_LOG.relative_to(REPO_ROOT)}")
    return status


def play(function_log: TextIO) -> int:
    """The demo's story; the functions write their own output to `function_log`."""
    # Simulated time starts shortly before now (the functions read it as their clock; the operator
    # commands read the real one).
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    with (
        LocalAws() as aws,
        AutopilotSimulator(clock=SimulatedClock(start=start)) as simulator,
        SqsClock() as sqs_clock,
        contextlib.ExitStack() as stack_context,
    ):
        print(f"moto server: {aws.endpoint_url}")
        print("deploying the stack (synth + CloudFormation in moto)...")
        # moto prints and warns about every resource type it skips (bucket/queue/topic policies).
        logging.getLogger("moto").setLevel(logging.ERROR)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stack = deploy_stack(aws)
        inbox = AlertsInbox(aws, stack.output("AlertsTopicArn"))
        chat = stack_context.enter_context(ChatbotEndpoint(aws, stack.output(outputs.ALERTS_TOPIC_ARN)))
        bus = stack.output(outputs.STATE_CHANGE_EVENT_BUS_ARN)
        every_change = EventsInbox(aws, bus, EVERY_STATE_CHANGE, name="local-every-state-change")
        winners = EventsInbox(aws, bus, DEPLOY_THE_WINNER, name="local-deploy-the-winner")
        pipeline = LambdaPipeline.for_function(
            aws, stack.function(), sqs_clock=sqs_clock, simulator=simulator,
            publish_events=lambda events: put_events(aws, events), function_output=function_log,
        )  # fmt: skip
        # The reconcile sweep runs every minute of simulated time, as its schedule would: it finds the
        # states no event announces (every AutoML job's completion, for one).
        sweep = ScheduledFunction.of(aws, stack, SWEEP_HANDLER)
        sweep.function_output = function_log
        pipeline.on_schedule([sweep])
        histories = demo_histories()
        schedule_all(simulator, histories)
        section("Playing the demo histories (simulated time)")
        pipeline.run_until_idle(max_simulated_seconds=MAX_SIMULATED_SECONDS)
        inbox.read()
        stats = pipeline.stats
        print(f"events published={stats.events_published} invocations={stats.invocations} records={stats.records} "
              f"failed records={stats.failed_records} handler errors={stats.handler_errors} "
              f"simulated time={stats.simulated_seconds / 60:.0f} min")  # fmt: skip
        print_archive(aws, stack, inbox, simulator)
        print_chat_alerts(chat)
        chat_alerts = chat.notifications()
        table_name = stack.output(outputs.JOBS_TABLE_NAME)
        first_states = job_states(aws, table_name)
        alerts_first = len(inbox.received)

        section("Reconcile sweep: a job whose events were never delivered")
        simulator.create_job("silent-v1-no-events", api="v1")
        simulator.run_to_completion("silent-v1-no-events")  # its events are dropped on purpose
        report = sweep.invoke()
        pipeline.run_until_idle(max_simulated_seconds=MAX_SIMULATED_SECONDS)
        swept = job_states(aws, table_name).get("silent-v1-no-events", {})
        print(f"sweep listed={report['listed']} enqueued={report['enqueued']} complete={report['complete']}; "
              f"silent-v1-no-events archived as {plain(swept.get('status')) or 'nothing'}")  # fmt: skip
        first_states = job_states(aws, table_name)
        quiet = sweep.invoke()
        print(f"second sweep of the now-quiet account: enqueued={quiet['enqueued']}")
        every_change.read()
        winners.read()
        print_state_change_events(every_change, winners)
        archived_ids = archived_state_ids(aws, stack.output(outputs.ARCHIVE_BUCKET_NAME))
        events_first = sorted(every_change.state_ids())

        section("Replaying every event x3, shuffled")
        replay = replay_shuffled(all_events(histories), copies=3, seed=42)
        put_events(aws, replay)
        pipeline.run_until_idle(max_simulated_seconds=MAX_SIMULATED_SECONDS)
        inbox.read()
        replayed_events = every_change.read()
        print(f"replayed {len(replay)} events; invocations so far={pipeline.stats.invocations}; "
              f"state-change events published by the replay={len(replayed_events)}")  # fmt: skip
        second_states = job_states(aws, table_name)

        section("Operator commands (automl-archive against the local stack)")
        backfilled = run_operator_commands(aws, stack, simulator, pipeline)
        backfill_events = every_change.read()
        winner_events = winners.read()

        section("Data lake: two named queries (their DuckDB text over the archive's records)")
        from automl_archive_cli.local_query import print_archive_queries  # noqa: PLC0415 (kept with its section)

        print_archive_queries(aws.client("s3"), stack.output(outputs.ARCHIVE_BUCKET_NAME))

        section("Data lake: the hourly compaction into Iceberg tables (the deployed function, run once now)")
        compactor = ScheduledFunction.of(aws, stack, COMPACTOR_HANDLER)
        compactor.function_output = function_log
        compaction = compactor.invoke()
        table(
            ["Iceberg table", "JSON days merged"],
            [[name, days] for name, days in compaction["days_by_table"].items()],
        )
        print(f"{len(compaction['statements'])} statements in the stack's Athena workgroup "
              "(moto's Athena accepts them without running SQL; DuckDB ran the same MERGE text above)")  # fmt: skip

        history_jobs = {h.job_name: h.api for h in histories}
        checks = outcome_checks(first_states, alerts_first, history_jobs)
        checks += [
            ("a job with no events was archived by one sweep", plain(swept.get("status")) == "Completed"),
            ("a sweep of a quiet account enqueued nothing", quiet["enqueued"] == 0),
            ("backfill archived every historical job", backfilled == HISTORICAL_JOBS),
            ("replay changed no stored job state", first_states == second_states),
            ("replay sent no second alert", len(inbox.received) == alerts_first),
            ("the failure reached chat as one custom notification in AWS Chatbot's format",
             len(chat_alerts) == 1 and chat_notification_errors(chat_alerts[0]) == []),
            ("one state-change event per archived state", events_first == archived_ids),
            ("the 'deploy the winner' rule got each completed binary classifier once",
             sorted(winners.state_ids()) == sorted(
                 e["detail"]["state_id"] for e in every_change.received
                 if e["detail"]["status"] == "Completed" and not e["detail"]["historical"])
             and len(set(winners.state_ids())) == len(winners.state_ids()) > 0),
            ("replay published no state-change event", replayed_events == []),
            ("the compaction merged days into each of the three Iceberg tables",
             set(compaction["days_by_table"]) == {t.name for t in COMPACTED_TABLES}
             and all(compaction["days_by_table"].values())),
            ("backfilled history is published as historical, and the winner rule ignored it",
             len(backfill_events) >= HISTORICAL_JOBS and all(e["detail"]["historical"] for e in backfill_events)
             and winner_events == []),
        ]  # fmt: skip
        section("Checks")
        table(["check", "result"], [[name, "ok" if passed else "FAILED"] for name, passed in checks])
        failed = [name for name, passed in checks if not passed]
        print(f"{len(checks) - len(failed)}/{len(checks)} ok")
        if first_states != second_states:
            for pk in sorted(set(first_states) | set(second_states)):
                if first_states.get(pk) != second_states.get(pk):
                    print(f"changed: {pk}", file=sys.stderr)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_demo())
