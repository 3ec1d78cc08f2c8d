"""Events reach queues through rules, a small CDK app deploys, and the Lambda-like pipeline drives a queue."""

from __future__ import annotations

import io
import json
import logging
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from automl_archive.dal.aws import SnsNotifier
from automl_archive.logic.alerts import build_alert
from automl_archive.wall_clock import utc_now
from devtools.chat_notification import chat_notification_errors
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.event_builders import cloudtrail_event
from devtools.emulator.events import AlertsInbox, put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.simulated_time import SqsClock, functions_read_time
from devtools.emulator.stack import deploy_stack, synthesize

TINY_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_events as events, aws_events_targets as targets, aws_lambda as lambda_
    from aws_cdk import aws_lambda_event_sources as sources, aws_sqs as sqs

    app = cdk.App()
    stack = cdk.Stack(app, "TinyStack")
    dlq = sqs.Queue(stack, "Dlq")
    queue = sqs.Queue(stack, "Work", dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=2))
    rule = events.Rule(stack, "Rule", event_pattern=events.EventPattern(source=["aws.sagemaker"]))
    rule.add_target(targets.SqsQueue(queue))
    fn = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="handler.main",
                          code=lambda_.Code.from_asset("code"), environment={"GREETING": "hello"})
    fn.add_event_source(sources.SqsEventSource(queue, batch_size=5, report_batch_item_failures=True))
    schedule = events.Rule(stack, "Nightly", schedule=events.Schedule.rate(cdk.Duration.days(1)))
    schedule.add_target(targets.LambdaFunction(fn))
    cdk.CfnOutput(stack, "WorkQueueUrl", value=queue.queue_url)
    cdk.CfnOutput(stack, "DeadLetterQueueUrl", value=dlq.queue_url)
    app.synth()
    """
)


@pytest.fixture(scope="session")
def tiny_cdk_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A throwaway CDK app (one queue-fed function, a rule to SQS, a scheduled rule), synthesised once."""
    app_dir = tmp_path_factory.mktemp("tiny-app")
    (app_dir / "app.py").write_text(TINY_APP)
    (app_dir / "code").mkdir()
    (app_dir / "code" / "handler.py").write_text("def main(event, context):\n    return {}\n")
    return synthesize(app_dir, outdir=app_dir / "cdk.out")


@pytest.fixture
def sqs_clock() -> Any:
    with SqsClock() as clock:
        yield clock


def make_queue(aws: LocalAws, name: str, dlq_arn: str | None = None, max_receive: int = 2) -> tuple[str, str]:
    sqs = aws.client("sqs")
    attributes = {}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def test_rule_routes_sagemaker_events_to_sqs(fresh_aws: LocalAws, autopilot: AutopilotSimulator) -> None:
    # Given a rule for CloudTrail AutoML calls targeting a queue
    url, arn = make_queue(fresh_aws, "routed")
    events = fresh_aws.client("events")
    pattern = {"source": ["aws.sagemaker"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventName": ["CreateAutoMLJobV2"]}}  # fmt: skip
    events.put_rule(Name="automl-calls", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="automl-calls", Targets=[{"Id": "q", "Arn": arn}])
    autopilot.create_job("routed-job", api="v2")

    # When a matching and a non-matching event are put on the bus
    matching = autopilot.creation_event("routed-job")
    other = cloudtrail_event("StopAutoMLJob", "routed-job", autopilot.clock.now())
    put_events(fresh_aws, [matching, other])

    # Then only the matching one arrives, as the full event envelope
    messages = fresh_aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [b["detail"]["eventName"] for b in bodies] == ["CreateAutoMLJobV2"]
    assert bodies[0]["detail"]["requestParameters"] == {"autoMLJobName": "routed-job"}
    assert bodies[0]["source"] == "aws.sagemaker"


def test_tiny_cdk_app_deploys_and_is_made_drivable(fresh_aws: LocalAws, tiny_cdk_app: Any) -> None:
    # Given the synthesised tiny app, When deployed into moto
    deployed = deploy_stack(fresh_aws, synthesized=tiny_cdk_app)

    # Then outputs, the function's environment and its (disabled) mapping are known
    assert set(deployed.outputs) >= {"WorkQueueUrl", "DeadLetterQueueUrl"}
    function = deployed.function()
    assert function.environment["GREETING"] == "hello"
    assert function.handler == "handler.main"
    assert function.mappings[0].batch_size == 5 and function.mappings[0].report_batch_item_failures
    mapping = fresh_aws.client("lambda").get_event_source_mapping(UUID=function.mappings[0].uuid)
    assert mapping["State"] in ("Disabled", "Disabling")
    # And the scheduled Lambda target was taken off its rule, and kept for the caller
    assert [t.schedule_expression for t in deployed.scheduled_targets] == ["rate(1 day)"]


def test_pipeline_deletes_successes_and_redrives_failures_to_dlq(fresh_aws: LocalAws, sqs_clock: SqsClock) -> None:
    # Given a queue with a DLQ (maxReceiveCount 2) and a handler failing every "bad" record
    _, dlq_arn = make_queue(fresh_aws, "work-dlq")
    url, arn = make_queue(fresh_aws, "work", dlq_arn=dlq_arn, max_receive=2)
    sqs = fresh_aws.client("sqs")
    for body in ("good-1", "bad", "good-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
            "kind": {"DataType": "String", "StringValue": body}})  # fmt: skip
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(event["Records"])
        assert context.get_remaining_time_in_millis() > 0
        bad = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in bad]}

    pipeline = LambdaPipeline(fresh_aws, arn, handler, batch_size=10, sqs_clock=sqs_clock)

    # When the pipeline drains the queue
    pipeline.drain()

    # Then good messages were processed once, bad twice, and bad is now in the DLQ
    assert sorted(r["body"] for r in seen) == ["bad", "bad", "good-1", "good-2"]
    record = seen[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert set(record["attributes"]) >= {"ApproximateReceiveCount", "SentTimestamp", "SenderId"}
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert "stringValue" in record["messageAttributes"]["kind"]
    assert pipeline.queue_depth() == {"visible": 0, "in_flight": 0, "delayed": 0}
    dlq_url = sqs.get_queue_url(QueueName="work-dlq")["QueueUrl"]
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=dlq_url)["Messages"]] == ["bad"]
    assert (pipeline.stats.records, pipeline.stats.failed_records) == (4, 2)


def test_handler_exception_fails_the_whole_batch(fresh_aws: LocalAws, sqs_clock: SqsClock) -> None:
    # Given a handler that raises once
    url, arn = make_queue(fresh_aws, "raising")
    fresh_aws.client("sqs").send_message(QueueUrl=url, MessageBody="x")
    calls = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append(event["Records"][0]["attributes"]["ApproximateReceiveCount"])
        if len(calls) == 1:
            raise RuntimeError("boom")

    # When drained, Then the message is received again and then deleted
    pipeline = LambdaPipeline(fresh_aws, arn, handler, sqs_clock=sqs_clock)
    pipeline.drain()
    assert calls == ["1", "2"]
    assert pipeline.stats.handler_errors == 1
    assert pipeline.queue_depth()["visible"] == 0


def test_function_output_goes_to_its_stream_not_the_terminal(
    fresh_aws: LocalAws, sqs_clock: SqsClock, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a handler that prints (as EMF metrics do), writes to stderr, and logs through a handler made on stdout
    # before the invocation (as Powertools' Logger is, at its first import)
    url, arn = make_queue(fresh_aws, "chatty")
    fresh_aws.client("sqs").send_message(QueueUrl=url, MessageBody="x")
    function_logger = logging.getLogger("chatty-function")
    stdout_handler = logging.StreamHandler(sys.stdout)
    function_logger.addHandler(stdout_handler)

    def handler(event: dict[str, Any], context: Any) -> None:
        print('{"_aws": "metric"}')
        print("a warning", file=sys.stderr)
        function_logger.warning("structured log line")

    # When drained with a function output stream
    log = io.StringIO()
    pipeline = LambdaPipeline(fresh_aws, arn, handler, sqs_clock=sqs_clock, function_output=log)
    try:
        pipeline.drain()
    finally:
        function_logger.removeHandler(stdout_handler)

    # Then all of it is in the stream, none on the terminal, and the logging handler writes to stdout again
    assert '{"_aws": "metric"}' in log.getvalue()
    assert "a warning" in log.getvalue()
    assert "structured log line" in log.getvalue()
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert stdout_handler.stream is sys.stdout


def test_delayed_message_visible_after_simulated_advance(fresh_aws: LocalAws, sqs_clock: SqsClock) -> None:
    # Given a message sent with the maximum delay
    url, arn = make_queue(fresh_aws, "delayed")
    fresh_aws.client("sqs").send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    bodies: list[str] = []
    pipeline = LambdaPipeline(fresh_aws, arn, lambda e, c: bodies.extend(r["body"] for r in e["Records"]),
                              sqs_clock=sqs_clock)  # fmt: skip

    # When drained now, then after 899 s, then after 901 s of simulated time
    pipeline.drain()
    before = list(bodies)
    pipeline.advance(899)
    pipeline.drain()
    almost = list(bodies)
    pipeline.advance(2)
    pipeline.drain()

    # Then it is only delivered once its delay has elapsed
    assert (before, almost, bodies) == ([], [], ["later"])


def test_run_until_idle_follows_rechecks_and_history_steps(
    fresh_aws: LocalAws, autopilot: AutopilotSimulator, sqs_clock: SqsClock
) -> None:
    # Given a rule to a queue, a job whose completion is scheduled 20 simulated minutes later,
    # and a handler that re-enqueues itself with a delay while the job is not terminal
    url, arn = make_queue(fresh_aws, "recheck")
    events = fresh_aws.client("events")
    events.put_rule(Name="all-sagemaker", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
    events.put_targets(Rule="all-sagemaker", Targets=[{"Id": "q", "Arn": arn}])
    autopilot.create_job("slow")
    autopilot.schedule_step(autopilot.clock.now(), "create", lambda sim: [sim.creation_event("slow")])
    autopilot.schedule_step(
        autopilot.clock.now() + timedelta(minutes=20), "complete", lambda sim: sim.run_to_completion("slow", 1)
    )
    sqs = fresh_aws.client("sqs")
    sm = fresh_aws.client("sagemaker")
    statuses: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        status = sm.describe_auto_ml_job(AutoMLJobName="slow")["AutoMLJobStatus"]
        statuses.append(status)
        if status == "InProgress" and "recheck" not in event["Records"][0]["body"]:
            sqs.send_message(QueueUrl=url, MessageBody='{"recheck": 1}', DelaySeconds=900)
        elif status == "InProgress":
            sqs.send_message(QueueUrl=url, MessageBody='{"recheck": 2}', DelaySeconds=900)

    pipeline = LambdaPipeline(fresh_aws, arn, handler, sqs_clock=sqs_clock, simulator=autopilot,
                              publish_events=lambda evs: put_events(fresh_aws, evs), batch_size=1)  # fmt: skip

    # When run until idle
    pipeline.run_until_idle(max_simulated_seconds=3 * 3600)

    # Then the job was seen InProgress, then Completed after a delayed re-check, in simulated time only
    assert statuses[0] == "InProgress" and statuses[-1] == "Completed"
    assert 1200 <= pipeline.stats.simulated_seconds <= 3 * 3600


class _Poller:
    """A scheduled function's stand-in: every run reads the wall clock the functions read, and
    enqueues a reference for each job whose status changed since its last run."""

    def __init__(self, sqs: Any, url: str, simulator: AutopilotSimulator, fail_runs: int = 0) -> None:
        self.sqs, self.url, self.simulator, self.fail_runs = sqs, url, simulator, fail_runs
        self.errors: list[str] = []
        self.wall_clock: Any = None
        self.run_times: list[Any] = []
        self.seen: dict[str, str] = {}
        self._since = 0.0

    def seconds_until_next_run(self) -> float:
        return 60 - self._since

    def elapse(self, seconds: float) -> int:
        self._since += seconds
        runs = 0
        while self._since >= 60:
            self._since -= 60
            runs += 1
            if self.fail_runs:
                self.fail_runs -= 1
                self.errors.append("ThrottlingException")
                continue
            with functions_read_time(self.wall_clock):
                self.run_times.append(utc_now())
            for name, job in self.simulator.jobs.items():
                if self.seen.get(name) != job.status:
                    self.seen[name] = job.status
                    self.sqs.send_message(QueueUrl=self.url, MessageBody=name)
        return runs


@pytest.mark.parametrize("failing_runs", [0, 3])
def test_run_until_idle_runs_schedules_at_their_moments_and_settles_after_a_quiet_round(
    fresh_aws: LocalAws, autopilot: AutopilotSimulator, sqs_clock: SqsClock, failing_runs: int
) -> None:
    # Given a job that completes 20 simulated minutes from now with no event, a poller on a one-minute
    # schedule (its first runs failing, in one case), and a handler that records what it is sent
    url, arn = make_queue(fresh_aws, f"scheduled-{failing_runs}")
    autopilot.create_job("silent")
    autopilot.schedule_step(autopilot.clock.now() + timedelta(minutes=20), "complete",
                            lambda sim: sim.run_to_completion("silent", 0))  # fmt: skip
    handled: list[str] = []
    pipeline = LambdaPipeline(fresh_aws, arn, lambda e, c: handled.extend(r["body"] for r in e["Records"]),
                              sqs_clock=sqs_clock, simulator=autopilot)  # fmt: skip
    poller = _Poller(fresh_aws.client("sqs"), url, autopilot, fail_runs=failing_runs)
    pipeline.on_schedule([poller])
    start = autopilot.clock.now()
    # When run until idle
    pipeline.run_until_idle(max_simulated_seconds=3600)
    # Then the poller ran once a minute on simulated time and read it as its clock, the completion was
    # handed over, and the pipeline stopped after the first round that found nothing (not before, even
    # when rounds failed)
    gaps = {(later - earlier).total_seconds() for earlier, later in zip(poller.run_times, poller.run_times[1:])}
    assert gaps == {60.0}
    assert handled == ["silent", "silent"]  # InProgress, then Completed
    assert poller.errors == ["ThrottlingException"] * failing_runs
    assert poller.run_times[-1] - start <= timedelta(minutes=23 + failing_runs)
    assert autopilot.jobs["silent"].status == "Completed"


def test_alerts_inbox_reads_subject_and_attributes(fresh_aws: LocalAws) -> None:
    # Given an SNS topic with the inbox subscribed
    sns = fresh_aws.client("sns")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    inbox = AlertsInbox(fresh_aws, topic_arn)

    # When an alert is published
    sns.publish(TopicArn=topic_arn, Subject="AutoML job failed", Message="details",
                MessageAttributes={"status": {"DataType": "String", "StringValue": "Failed"}})  # fmt: skip

    # Then it is read back with its subject and attributes, once
    alerts = inbox.read()
    assert [(a.subject, a.message, a.attributes) for a in alerts] == [
        ("AutoML job failed", "details", {"status": "Failed"})
    ]
    assert inbox.read() == []


def test_synthesize_reports_failures(tmp_path: Path) -> None:
    # Given an app that cannot synthesise, When synthesised, Then the error output is in the exception
    (tmp_path / "app.py").write_text("raise SystemExit('no stack here')\n")
    with pytest.raises(RuntimeError, match="no stack here"):
        synthesize(tmp_path, outdir=tmp_path / "out")


def test_a_real_alert_reaches_the_inbox_as_readable_text_and_fits_the_publish_limit(fresh_aws: LocalAws) -> None:
    # Given the alerts topic with the inbox (an SQS subscriber) and an alert with a huge failure reason
    topic_arn = fresh_aws.client("sns").create_topic(Name="alerts")["TopicArn"]
    inbox = AlertsInbox(fresh_aws, topic_arn)
    record = {
        "job_name": "churn-v1", "job_arn": "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn-v1",
        "account_id": "123456789012", "region": "us-east-1",
        "status": "Failed", "secondary_status": "Failed", "alert_category": "Failed", "problem_type": None,
        "failure_reason": "x" * 500_000, "partial_failure_reasons": ["y" * 5_000] * 1_000,
        "duration_seconds": 60, "creation_time": "2026-11-20T09:00:00Z", "end_time": None,
        "best_candidate_name": None,
    }  # fmt: skip
    alert = build_alert(record, "s3://archive/raw.json", "s3://archive/record.json")

    # When it is published through the SNS adapter (MessageStructure json; the emulator enforces 256 KB)
    SnsNotifier(topic_arn).publish(alert.subject, alert.message, alert.attributes, alert.chat)

    # Then the SQS subscriber gets the "default" text, subject and attributes; the chat JSON is for HTTPS
    [received] = inbox.read()
    assert (received.subject, received.message, received.attributes) == (alert.subject, alert.message, alert.attributes)
    assert '"source": "custom"' not in received.message
    assert chat_notification_errors(json.loads(alert.chat)) == []
