"""Faults on every external call of the record path: the archive ends complete, nothing lost or regressed.

For each call (describe, DynamoDB write, S3 put, SNS publish, EventBridge PutEvents, the reconcile pass's
list and its SQS send, where a job fails with no event that announces it) and each fault (throttling,
5xx, read timeouts — more of them than botocore retries — a crash of the function right after the call
succeeded, and for PutEvents an entry it reports as failed), a failing AutoML job is played through the
deployed stack. After the retries the queue makes: its final state is archived, the DLQ and the work
queue are empty, it alerted exactly once, and each archived state's AutoML Job State Change event was
published exactly once — except a crash right after SNS Publish or a write, the windows where a duplicate
alert or event is possible (measured here and documented in docs/reliability.md and docs/events.md).
"""

from __future__ import annotations

import time
import types
from collections import Counter

import botocore.endpoint
import pytest

from automl_archive.dal.aws import event_bus
from devtools.emulator.faults import FaultInjector
from devtools.emulator.scenarios import failing_before_any_child_job, failing_job, schedule_all

CALLS = {
    "describe": ("sagemaker", "DescribeAutoMLJob"),
    "ddb-write": ("dynamodb", "UpdateItem"),
    "s3-put": ("s3", "PutObject"),
    "sns-publish": ("sns", "Publish"),
    "events-put": ("events", "PutEvents"),
    "sweep-list": ("sagemaker", "ListAutoMLJobs"),
    "sweep-send": ("sqs", "SendMessageBatch"),
}
# More failures than the SDK retries (4 attempts), or than the product puts a failed entry (3 attempts)
KINDS = {"throttle": 10, "server-error": 10, "timeout": 10, "crash-after": 1, "failed-entry": 7}
# (call, fault) pairs: a failed entry is PutEvents' own way to fail
FAULTS = [(call, kind) for call in CALLS for kind in KINDS if kind != "failed-entry" or call == "events-put"]
SURVIVED: Counter[str] = Counter()


@pytest.fixture(scope="module")
def faults(archive):
    """Injector on the default boto3 session; botocore's back-off sleeps skipped to keep the suite fast."""
    no_sleep = types.SimpleNamespace(sleep=lambda _seconds: None, time=time.time)
    real_time = botocore.endpoint.time
    botocore.endpoint.time = no_sleep  # type: ignore[assignment]
    event_bus.time = no_sleep  # type: ignore[assignment]  # the archiver's own back-off on failed entries
    # Standard retry mode (4 attempts for the DAL's other clients, SAGEMAKER_MAX_ATTEMPTS for SageMaker):
    # adaptive mode's client-side rate limiter would make this test wait in real time.
    standard = {"SAGEMAKER_RETRY_MODE": "standard", "SAGEMAKER_MAX_ATTEMPTS": "3"}
    archive.pipeline.environment.update(standard)
    archive.pipeline.cold_start()
    archive.sweep.environment.update(standard)
    archive.sweep.restart()
    with FaultInjector() as injector:
        yield injector
    botocore.endpoint.time = real_time
    event_bus.time = real_time  # type: ignore[assignment]


@pytest.mark.parametrize(("call", "kind"), FAULTS)
def test_a_failing_job_survives_the_fault(archive, faults, call, kind):
    # Given a V1 job that fails, and a fault on one call of the record path
    name = f"flt-{call}-{kind}"[:32].rstrip("-")
    service, operation = CALLS[call]
    faults.inject(service, operation, kind, times=KINDS[kind])
    alerts_before = Counter(a.subject for a in archive.inbox.received)
    crashes_before = archive.pipeline.stats.crashes
    sweep_errors_before = len(archive.sweep.errors)
    # When its history plays through rules, queue and archiver, with the queue's retries
    history = failing_before_any_child_job(name) if call.startswith("sweep") else failing_job(name)
    schedule_all(archive.simulator, [history])
    archive.run_until_idle()
    archive.inbox.read()
    # Then the fault was really hit (except where nothing of this job needed that call)
    injected = sum(count for (s, o, _k), count in faults.injected.items() if (s, o) == (service, operation))
    faults.clear()
    assert injected > 0, f"{service}.{operation} was never called"
    # And the job's final state is archived, nothing is stuck or dead-lettered
    assert archive.status_of(name) == "Failed"
    assert archive.queue_depth("WorkQueueUrl") == 0
    assert archive.queue_depth("DeadLetterQueueUrl") == 0
    # And the failure alerted once — a crash right after Publish may repeat it, at most once
    subject = f"AutoML job {name} failed in 123456789012 us-east-1"
    sent = Counter(a.subject for a in archive.inbox.received)[subject] - alerts_before[subject]
    if (call, kind) == ("sns-publish", "crash-after"):
        assert sent in (1, 2)
        SURVIVED["duplicate alerts (crash right after Publish)"] += sent - 1
    else:
        assert sent == 1
    # And every state it archived published its state-change event, once (a crash right after a call
    # the event's delivery spans may repeat one: a consumer deduplicates on state_id)
    archive.events.read()
    published = archive.events.state_ids(name)
    assert sorted(set(published)) == archive.archived_state_ids(name)
    if kind == "crash-after" and call in ("events-put", "ddb-write"):
        SURVIVED["duplicate events (crash right after PutEvents or a write)"] += len(published) - len(set(published))
    else:
        assert len(published) == len(set(published)), published
    assert "event_due" not in archive.job_states()[f"JOB#{name}"]
    if kind == "crash-after" and not call.startswith("sweep"):
        assert archive.pipeline.stats.crashes > crashes_before
    if kind == "crash-after" and call.startswith("sweep"):
        assert any("process died" in error for error in archive.sweep.errors[sweep_errors_before:])
    SURVIVED["faults injected"] += injected


def test_no_state_regressed_and_every_state_points_at_its_objects(archive, faults):
    # Given every job the fault runs archived
    s3 = archive.aws.client("s3")
    bucket = archive.stack.output("ArchiveBucketName")
    for pk, item in archive.job_states().items():
        if not pk.startswith("JOB#flt-"):
            continue
        # Then each stored state is terminal and its raw answer and record exist
        assert item["is_terminal"]["BOOL"] is True
        s3.head_object(Bucket=bucket, Key=item["raw_s3_key"]["S"])
        s3.head_object(Bucket=bucket, Key=item["record_s3_key"]["S"])
    print(f"\nfault-injection figures: {dict(SURVIVED)}")


def play_through_outage(archive, name: str) -> None:
    """A failing job played through 45 simulated minutes of the outage injected: every retry of its
    records fails, and they are dead-lettered."""
    schedule_all(archive.simulator, [failing_job(name)])
    for _ in range(45):
        archive.pipeline.advance(60)
        archive.pipeline.drain()
    archive.inbox.read()


def redrive_by_hand(archive) -> None:
    """Move every dead letter back to the work queue, as an operator's redrive would."""
    sqs = archive.aws.client("sqs")
    dlq, work = archive.stack.output("DeadLetterQueueUrl"), archive.stack.output("WorkQueueUrl")
    while messages := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.send_message(QueueUrl=work, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])


def test_an_alert_lost_to_a_long_sns_outage_is_sent_by_the_reconcile_pass_when_sns_is_back(archive, faults):
    # Given SNS failing for longer than the queue's retries, and a job that fails
    name = "flt-sns-outage"
    faults.inject("sns", "Publish", "server-error", times=100_000)
    subject = f"AutoML job {name} failed in 123456789012 us-east-1"
    play_through_outage(archive, name)
    assert archive.status_of(name) == "Failed"
    assert archive.queue_depth("DeadLetterQueueUrl") > 0
    assert subject not in [alert.subject for alert in archive.inbox.received]
    # When SNS is back and the reconcile pass runs on its schedule (no operator, no redrive)
    faults.clear()
    archive.run_until_idle()
    archive.inbox.read()
    # Then the alert goes out, once, and is no longer due
    assert [alert.subject for alert in archive.inbox.received].count(subject) == 1
    assert "alert_due" not in archive.job_states()[f"JOB#{name}"]
    archive.events.read()
    # And redriving the dead letters later sends no second alert
    dead = archive.queue_depth("DeadLetterQueueUrl")
    redrive_by_hand(archive)
    archive.run_until_idle()
    archive.inbox.read()
    assert dead > 0
    assert [alert.subject for alert in archive.inbox.received].count(subject) == 1


def test_events_lost_to_a_long_eventbridge_outage_are_published_in_order_when_it_is_back(archive, faults):
    # Given EventBridge refusing every entry for longer than the queue's retries, and a job that fails
    name = "flt-events-outage"
    faults.inject("events", "PutEvents", "failed-entry", times=100_000)
    subject = f"AutoML job {name} failed in 123456789012 us-east-1"
    play_through_outage(archive, name)
    archive.events.read()
    # Then the outage blocked neither the archive nor the alert, and no event got out
    assert archive.status_of(name) == "Failed"
    assert [alert.subject for alert in archive.inbox.received].count(subject) == 1
    assert archive.events.state_ids(name) == []
    states = archive.archived_state_ids(name)
    assert len(states) > 1
    assert archive.job_states()[f"JOB#{name}"]["event_due"]["S"] == "DUE"
    # When EventBridge is back and the reconcile pass runs on its schedule (no operator, no redrive)
    faults.clear()
    archive.run_until_idle()
    archive.events.read()
    # Then every state's event is published once, oldest first, and none is left due
    assert archive.events.state_ids(name) == states  # state ids sort as the states' times
    item = archive.job_states()[f"JOB#{name}"]
    assert "event_due" not in item and "pending_events" not in item
    # And redriving the dead letters later publishes nothing again
    redrive_by_hand(archive)
    archive.run_until_idle()
    assert archive.events.read() == []
