"""`redrive`: drain every dead-letter queue of the stack into the work queue, each the way AWS allows.

- **Work queue DLQ** (the target of the work queue's redrive policy): an SQS message move task
  (StartMessageMoveTask, source = the DLQ, destination = the work queue).
- **EventBridge rule target DLQs**: StartMessageMoveTask accepts only "dead-letter queues (DLQs) of
  other Amazon SQS queues" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html);
  no queue's redrive policy names these, so SQS refuses them (InvalidParameterValue, "Source queue
  must be configured as a Dead Letter Queue."). Their bodies are the events the rule would have
  delivered (EventBridge adds only message attributes:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html), so this module copies
  them itself: ReceiveMessage -> SendMessageBatch to the work queue, body unchanged ->
  DeleteMessageBatch of exactly the entries SQS accepted. Nothing is deleted before it was sent, so
  an interruption loses nothing; one between the send and the delete leaves a copy in the work queue
  *and* in the DLQ, which the next run sends again: a duplicate event, which the archiver absorbs (it
  fingerprints events and never archives a state twice).
- **Sweep schedule DLQ**: "Scheduled Event" envelopes EventBridge could not hand to the sweep
  function. The work queue would reject them (not a SageMaker event), and a missed sweep needs no
  replay: the sweep's watermark advances only after a complete pass
  (`automl_archive.logic.reconcile.ReconcileSweep.run`), so the next sweep lists everything the
  missed one would have. They are acknowledged (deleted); anything else found there is left alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from botocore.exceptions import ClientError

from automl_archive_cli.aws import Deployment, QueueRef, describe_aws_error
from automl_archive_cli.dead_letter_queues import (
    DeadLetterQueue,
    Method,
    QueueRedrive,
    dead_letter_queues,
    queue_depth,
)
from automl_archive_cli.errors import EXIT_FAILED, CliError

MOVE_TASK_DONE = frozenset({"COMPLETED", "CANCELLED", "FAILED"})

# SendMessageBatch/DeleteMessageBatch take at most 10 entries, and a batch's bodies together at most
# 256 KiB (262,144 bytes); SQS has since raised the payload limit to 1 MiB, so 256 KiB holds either way.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
# Long polling asks every SQS server, so an empty answer means empty, not "not sampled" (1 s minimum).
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/best-practices-setting-up-long-polling.html
RECEIVE_WAIT_SECONDS = 1
# Long enough to send and delete a batch with retries; a crashed run's messages reappear after it.
RECEIVE_VISIBILITY_SECONDS = 120

# What EventBridge sends a scheduled rule's target.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
SCHEDULED_EVENT_SOURCE = "aws.events"
SCHEDULED_EVENT_DETAIL_TYPE = "Scheduled Event"


def redrive_all(
    sqs: Any,
    deployment: Deployment,
    *,
    wait: bool = True,
    dry_run: bool = False,
    poll_seconds: float = 1.0,
    timeout_seconds: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[QueueRedrive]:
    """Drain every dead-letter queue; one result per queue, in `dead_letter_queues` order."""
    results = []
    for dlq in dead_letter_queues(deployment):
        result = QueueRedrive(dlq=dlq, found=queue_depth(sqs, dlq.queue.url))
        results.append(result)
        if result.found.total == 0:
            continue
        try:
            _drain(sqs, deployment, dlq, result, dry_run, wait, poll_seconds, timeout_seconds, sleep)
        except ClientError as error:
            # One queue's failure (say, a missing permission) must not keep the others from draining.
            translated = describe_aws_error(error)
            if translated is None or translated.exit_code != EXIT_FAILED:
                raise  # credentials and the like: every queue would fail the same way
            result.status, result.reason = "FAILED", str(translated)
    return results


def _drain(
    sqs: Any,
    deployment: Deployment,
    dlq: DeadLetterQueue,
    result: QueueRedrive,
    dry_run: bool,
    wait: bool,
    poll_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None],
) -> None:
    if dry_run:
        result.status = "DRY_RUN"
    elif dlq.method is Method.MOVE_TASK:
        if result.found.visible:  # a move task moves only visible messages
            move_with_task(
                sqs, dlq.queue, deployment.work_queue_arn, result, wait, poll_seconds, timeout_seconds, sleep
            )
    elif dlq.method is Method.RESEND:
        result.status = "COMPLETED"
        resend_to_work_queue(sqs, dlq.queue, deployment.work_queue_url, result)
    else:
        result.status = "COMPLETED"
        acknowledge_schedule_events(sqs, dlq.queue, result)


# ---------------------------------------------------------------- move task (work queue DLQ)


def move_with_task(
    sqs: Any,
    source: QueueRef,
    destination_arn: str,
    result: QueueRedrive,
    wait: bool,
    poll_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], None],
) -> None:
    """Start (or, on a rerun, follow the still-running) move task, and wait for it unless told not to."""
    latest = sqs.list_message_move_tasks(SourceArn=source.arn, MaxResults=1).get("Results", [])
    if not (latest and latest[0].get("Status") == "RUNNING"):  # only one task may run per queue
        sqs.start_message_move_task(SourceArn=source.arn, DestinationArn=destination_arn)
    result.status = "RUNNING"
    if not wait:
        return
    deadline = time.monotonic() + timeout_seconds
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=source.arn, MaxResults=1).get("Results", [])
        if not tasks:
            raise CliError(f"SQS lists no message move task for {source.arn}", exit_code=EXIT_FAILED)
        task = tasks[0]  # the most recent: ours, or the one we follow
        status = str(task.get("Status", "UNKNOWN"))
        if status in MOVE_TASK_DONE:
            result.status = status
            result.moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
            result.reason = task.get("FailureReason")
            return
        if time.monotonic() > deadline:
            raise CliError(
                f"The redrive task is still {status} after {timeout_seconds:.0f} s; check it with "
                f"`aws sqs list-message-move-tasks --source-arn {source.arn}`.",
                exit_code=EXIT_FAILED,
            )
        sleep(poll_seconds)


# ---------------------------------------------------------------- receive -> send -> delete (rule DLQs)


def _receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=MAX_BATCH_ENTRIES,
        WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
        VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
    )
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    return messages


def _body_bytes(message: dict[str, Any]) -> int:
    return len(message["Body"].encode("utf-8"))


def batches_within_limits(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive groups of at most 10 messages whose bodies total at most 256 KiB (each body fits alone)."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for message in messages:
        body = _body_bytes(message)
        if current and (len(current) == MAX_BATCH_ENTRIES or size + body > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(message)
        size += body
    if current:
        batches.append(current)
    return batches


@contextmanager
def _released_on_interrupt(sqs: Any, queue_url: str, pending: dict[str, dict[str, Any]]) -> Iterator[None]:
    """If the run stops (Ctrl-C, an error), make the messages it still holds visible again at once, so a
    rerun finds them; best effort: otherwise they reappear after RECEIVE_VISIBILITY_SECONDS."""
    try:
        yield
    except BaseException:
        if pending:
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for index, message in enumerate(pending.values())
            ]
            with suppress(ClientError):
                sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        raise


def resend_to_work_queue(sqs: Any, source: QueueRef, work_queue_url: str, result: QueueRedrive) -> None:
    """Receive -> SendMessageBatch (body unchanged) -> DeleteMessageBatch of exactly the sent, until empty."""
    while messages := _receive(sqs, source.url):
        pending = {message["MessageId"]: message for message in messages}
        with _released_on_interrupt(sqs, source.url, pending):
            sendable = [m for m in messages if _body_bytes(m) <= MAX_BATCH_BYTES]
            for message in messages:
                if _body_bytes(message) > MAX_BATCH_BYTES:
                    result.left.append(f"larger than {MAX_BATCH_BYTES} bytes")
                    pending.pop(message["MessageId"])  # left invisible until the visibility timeout
            for batch in batches_within_limits(sendable):
                sent = _send(sqs, work_queue_url, batch, result)
                deleted = _delete(sqs, source.url, sent)
                result.moved += len(deleted)
                result.sent_not_deleted += len(sent) - len(deleted)
                for message in batch:
                    pending.pop(message["MessageId"])


def _send(sqs: Any, queue_url: str, batch: list[dict[str, Any]], result: QueueRedrive) -> list[dict[str, Any]]:
    """The messages SQS accepted; each refused one is noted and stays in the DLQ."""
    entries = [{"Id": str(index), "MessageBody": message["Body"]} for index, message in enumerate(batch)]
    answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    for failure in answer.get("Failed", []):
        result.left.append(f"send refused: {failure.get('Code')}: {failure.get('Message', '')}".rstrip(": "))
    return [batch[int(entry["Id"])] for entry in answer.get("Successful", [])]


def _delete(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not messages:
        return []
    entries = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(messages)]
    answer = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    return [messages[int(entry["Id"])] for entry in answer.get("Successful", [])]


# ---------------------------------------------------------------- acknowledge (sweep schedule DLQ)


def is_scheduled_event(body: str) -> bool:
    try:
        event = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return False
    return (
        isinstance(event, dict)
        and event.get("source") == SCHEDULED_EVENT_SOURCE
        and event.get("detail-type") == SCHEDULED_EVENT_DETAIL_TYPE
    )


def acknowledge_schedule_events(sqs: Any, source: QueueRef, result: QueueRedrive) -> None:
    """Delete the missed "Scheduled Event" envelopes; leave anything else (invisible until its timeout)."""
    while messages := _receive(sqs, source.url):
        scheduled = [message for message in messages if is_scheduled_event(message["Body"])]
        result.left += ["not a Scheduled Event"] * (len(messages) - len(scheduled))
        deleted = _delete(sqs, source.url, scheduled)
        result.acknowledged += len(deleted)
        result.left += ["delete failed"] * (len(scheduled) - len(deleted))
