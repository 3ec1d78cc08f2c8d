"""`automl-archive redrive` drains every dead-letter queue, against SQS in the local moto server.

The queues are made here as the stack makes them: the work queue with a redrive policy naming its
DLQ, one DLQ per EventBridge rule target and one for the sweep schedule (neither named by any
redrive policy). Before this change `redrive` knew only the work queue's DLQ.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from automl_archive.contracts import stack_outputs
from automl_archive_cli import redrive
from automl_archive_cli.aws import Deployment
from automl_archive_cli.dead_letter_queues import Method, dead_letter_queues
from automl_archive_cli.redrive import MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, batches_within_limits, redrive_all
from devtools.emulator.sqs_move_tasks import NOT_A_DEAD_LETTER_QUEUE, SqsMoveTasks

RULES = ("ChildJobStateChangeRule", "AutoMLApiCallRule")


def _queue(sqs, name, **attributes):
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


@pytest.fixture
def stack(fresh_aws):
    """The stack's queues and the Deployment the CLI would resolve from its outputs."""
    sqs = fresh_aws.client("sqs")
    outputs = {}
    dlq_url, dlq_arn = _queue(sqs, "work-dlq")
    work_url, work_arn = _queue(
        sqs, "work", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    )
    outputs[stack_outputs.WORK_QUEUE_URL], outputs[stack_outputs.WORK_QUEUE_ARN] = work_url, work_arn
    names = stack_outputs.WORK_QUEUE_DEAD_LETTER_QUEUE
    outputs[names.url], outputs[names.arn] = dlq_url, dlq_arn
    for rule in RULES:
        names = stack_outputs.rule_dead_letter_queue(rule)
        outputs[names.url], outputs[names.arn] = _queue(sqs, f"{rule}-dlq")
    names = stack_outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE
    outputs[names.url], outputs[names.arn] = _queue(sqs, "sweep-dlq")
    names = stack_outputs.COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE
    outputs[names.url], outputs[names.arn] = _queue(sqs, "compaction-dlq")
    return sqs, Deployment(stack_name="S", region="us-east-1", outputs=outputs)


def event_envelope(index, size=0):
    """An EventBridge event as the rule would have delivered it (optionally padded to `size` bytes)."""
    event = {
        "version": "0",
        "id": f"event-{index}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sagemaker",
        "detail": {"eventName": "CreateAutoMLJobV2", "requestParameters": {"autoMLJobName": f"job-{index}"}},
    }
    body = json.dumps(event)
    if size > len(body):
        event["padding"] = "x" * (size - len(body) - 16)
        body = json.dumps(event)
    return body


def scheduled_event():
    return json.dumps({"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})


def fill(sqs, url, bodies):
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


def drain(sqs, url):
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [message["Body"] for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def depth(sqs, url):
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


class Recording:
    """The real client; records each SendMessageBatch and can fail one named call once."""

    def __init__(self, sqs, fail_on=None, error=KeyboardInterrupt):
        self._sqs, self.fail_on, self.error, self.batches = sqs, fail_on, error, []

    def send_message_batch(self, **kwargs):
        self.batches.append(kwargs["Entries"])
        self._maybe_fail("send_message_batch")
        return self._sqs.send_message_batch(**kwargs)

    def delete_message_batch(self, **kwargs):
        self._maybe_fail("delete_message_batch")
        return self._sqs.delete_message_batch(**kwargs)

    def _maybe_fail(self, name):
        if self.fail_on == name:
            self.fail_on = None
            raise self.error

    def __getattr__(self, name):
        return getattr(self._sqs, name)


def test_every_dead_letter_queue_of_the_outputs_is_drained_its_own_way(stack):
    _, deployment = stack
    queues = dead_letter_queues(deployment)
    # The old redrive knew one queue; now each DLQ output is drained, rule DLQs without a move task.
    assert [(q.label, q.method) for q in queues] == [
        ("work queue DLQ", Method.MOVE_TASK),
        ("AutoMLApiCallRule DLQ", Method.RESEND),
        ("ChildJobStateChangeRule DLQ", Method.RESEND),
        ("sweep schedule DLQ", Method.ACKNOWLEDGE),
        ("compaction schedule DLQ", Method.ACKNOWLEDGE),
    ]


def test_the_emulator_refuses_a_move_task_from_a_rule_dlq_as_sqs_does(stack):
    # Catches the old runbook advice (start-message-move-task on a rule DLQ), which SQS refuses.
    sqs, deployment = stack
    rule_dlq = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    with SqsMoveTasks(), pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=rule_dlq.arn, DestinationArn=deployment.work_queue_arn)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert refused.value.response["Error"]["Message"] == NOT_A_DEAD_LETTER_QUEUE
    # while the work queue's own DLQ (named by its redrive policy) is accepted
    with SqsMoveTasks():
        handle = sqs.start_message_move_task(
            SourceArn=deployment.work_queue_dead_letter_queue.arn, DestinationArn=deployment.work_queue_arn
        )
    assert handle["TaskHandle"]


def test_rule_dlq_events_reach_the_work_queue_unchanged_and_leave_the_dlq(stack):
    sqs, deployment = stack
    child = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    bodies = [event_envelope(index) for index in range(23)]
    fill(sqs, child.url, bodies)
    # When redrive runs (the old one never read this queue)
    with SqsMoveTasks():
        results = redrive_all(sqs, deployment)
    by_label = {result.dlq.label: result for result in results}
    # Then every event is in the work queue with its body unchanged, once, and gone from the DLQ
    assert by_label["ChildJobStateChangeRule DLQ"].moved == 23
    assert by_label["ChildJobStateChangeRule DLQ"].ok
    assert sorted(drain(sqs, deployment.work_queue_url)) == sorted(bodies)
    assert depth(sqs, child.url) == 0
    assert by_label["work queue DLQ"].status == "EMPTY"


def test_batches_hold_at_most_ten_entries_and_256_kib():
    # Ten bodies of 100 KiB: ten entries would be 1000 KiB, over SendMessageBatch's payload limit.
    messages = [{"Body": "x" * (100 * 1024)} for _ in range(10)] + [{"Body": "y"} for _ in range(25)]
    batches = batches_within_limits(messages)
    assert [m for batch in batches for m in batch] == messages  # nothing dropped, order kept
    for batch in batches:
        assert len(batch) <= MAX_BATCH_ENTRIES
        assert sum(len(m["Body"]) for m in batch) <= MAX_BATCH_BYTES


def test_large_events_are_sent_in_batches_sqs_accepts(stack):
    sqs, deployment = stack
    api = deployment.rule_dead_letter_queues["AutoMLApiCallRule"]
    bodies = [event_envelope(index, size=90 * 1024) for index in range(7)]
    fill(sqs, api.url, bodies)
    recording = Recording(sqs)
    redrive_all(recording, deployment)
    # Then no batch went over the limits (three 90 KiB bodies would), and all seven arrived
    assert all(sum(len(e["MessageBody"].encode()) for e in batch) <= MAX_BATCH_BYTES for batch in recording.batches)
    assert sorted(drain(sqs, deployment.work_queue_url)) == sorted(bodies)


@pytest.mark.parametrize("fail_on", ["send_message_batch", "delete_message_batch"])
def test_an_interrupted_redrive_rerun_loses_nothing(stack, fail_on):
    sqs, deployment = stack
    child = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    bodies = [event_envelope(index) for index in range(15)]
    fill(sqs, child.url, bodies)
    # When the run is interrupted (Ctrl-C) before a send, or after a send but before its delete
    with pytest.raises(KeyboardInterrupt):
        redrive_all(Recording(sqs, fail_on=fail_on), deployment)
    # Then the messages it held are visible again at once, and a rerun finishes the job
    results = redrive_all(sqs, deployment)
    assert all(result.ok for result in results)
    assert depth(sqs, child.url) == 0
    delivered = drain(sqs, deployment.work_queue_url)
    # Nothing is lost; an interruption between send and delete leaves duplicates (the archiver's
    # event fingerprints absorb them), never a gap.
    assert set(delivered) == set(bodies)
    duplicates = len(delivered) - len(bodies)
    assert duplicates == (0 if fail_on == "send_message_batch" else 10)


def test_a_crash_without_cleanup_loses_nothing_either(stack, monkeypatch):
    # SIGKILL: nothing hands the held messages back; they return after the receive's visibility timeout.
    sqs, deployment = stack
    monkeypatch.setattr(redrive, "RECEIVE_VISIBILITY_SECONDS", 1)
    child = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    bodies = [event_envelope(index) for index in range(3)]
    fill(sqs, child.url, bodies)
    recording = Recording(sqs, fail_on="delete_message_batch")
    recording.change_message_visibility_batch = lambda **_: None  # the cleanup never happens
    with pytest.raises(KeyboardInterrupt):
        redrive_all(recording, deployment)
    time.sleep(1.5)
    redrive_all(sqs, deployment)
    assert depth(sqs, child.url) == 0
    assert set(drain(sqs, deployment.work_queue_url)) == set(bodies)


def test_a_refused_send_keeps_the_event_in_the_dlq(stack):
    sqs, deployment = stack
    child = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    fill(sqs, child.url, [event_envelope(1), event_envelope(2)])

    class RefusesOne(Recording):
        def send_message_batch(self, **kwargs):
            answer = self._sqs.send_message_batch(QueueUrl=kwargs["QueueUrl"], Entries=kwargs["Entries"][1:])
            refused = kwargs["Entries"][0]["Id"]
            return {**answer, "Failed": [{"Id": refused, "SenderFault": False, "Code": "InternalError"}]}

    results = redrive_all(RefusesOne(sqs), deployment)
    result = next(r for r in results if r.dlq.label == "ChildJobStateChangeRule DLQ")
    # Then only the accepted one was deleted; the refused one is still in the DLQ and reported
    assert (result.moved, result.left, result.ok) == (1, ["send refused: InternalError"], False)
    assert depth(sqs, child.url) == 1
    assert "1 left in the queue: send refused: InternalError" in result.line()


def test_missed_sweep_schedule_events_are_acknowledged_not_replayed(stack):
    sqs, deployment = stack
    sweep_dlq = deployment.sweep_schedule_dead_letter_queue
    fill(sqs, sweep_dlq.url, [scheduled_event(), scheduled_event(), '{"something": "else"}'])
    results = redrive_all(sqs, deployment)
    result = next(r for r in results if r.dlq.label == "sweep schedule DLQ")
    # Then the two Scheduled Events are deleted, nothing reaches the work queue (it would reject them),
    # and what is not a Scheduled Event is left for a person
    assert (result.acknowledged, result.left) == (2, ["not a Scheduled Event"])
    assert depth(sqs, deployment.work_queue_url) == 0
    assert "no replay needed" in result.line()


def test_missed_compaction_schedule_events_are_acknowledged_too(stack):
    sqs, deployment = stack
    fill(sqs, deployment.compaction_schedule_dead_letter_queue.url, [scheduled_event()])
    result = next(r for r in redrive_all(sqs, deployment) if r.dlq.label == "compaction schedule DLQ")
    assert (result.acknowledged, result.left) == (1, [])
    assert depth(sqs, deployment.compaction_schedule_dead_letter_queue.url) == 0


def test_a_dry_run_moves_nothing(stack):
    sqs, deployment = stack
    child = deployment.rule_dead_letter_queues["ChildJobStateChangeRule"]
    fill(sqs, child.url, [event_envelope(1)])
    fill(sqs, deployment.work_queue_dead_letter_queue.url, ['{"AutoMLJobName": "a"}'])
    with SqsMoveTasks() as tasks:
        results = redrive_all(sqs, deployment, dry_run=True)
    assert [r.status for r in results] == ["DRY_RUN", "EMPTY", "DRY_RUN", "EMPTY", "EMPTY"]
    assert tasks.tasks == []
    assert depth(sqs, child.url) == 1
    assert depth(sqs, deployment.work_queue_url) == 0


def test_a_rerun_follows_a_move_task_still_running_instead_of_starting_another(stack):
    # SQS allows one active move task per queue; an interrupted `redrive` left one running.
    sqs, deployment = stack
    fill(sqs, deployment.work_queue_dead_letter_queue.url, ['{"AutoMLJobName": "a"}'])
    started = []

    class Running(Recording):
        def list_message_move_tasks(self, **kwargs):
            status = "COMPLETED" if started or len(self.batches) else "RUNNING"
            self.batches.append(status)
            return {"Results": [{"Status": status, "ApproximateNumberOfMessagesMoved": 1}]}

        def start_message_move_task(self, **kwargs):
            started.append(kwargs)
            return {"TaskHandle": "h"}

    results = redrive_all(Running(sqs), deployment, sleep=lambda _: None)
    assert started == []
    assert (results[0].status, results[0].moved) == ("COMPLETED", 1)
