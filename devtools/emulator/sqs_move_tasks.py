"""SQS message move tasks (dead-letter queue redrive) for the local emulator.

moto 5.2.5 has no StartMessageMoveTask, ListMessageMoveTasks or CancelMessageMoveTask: its
`SQSResponse` answers them as not implemented. `SqsMoveTasks` patches them onto that class (moto
looks an action up as a snake_case method, as `devtools.emulator.autopilot` does for SageMaker) so the
in-process server serves them; moto serialises the `ActionResult` in whichever protocol the client
used (boto3's SQS client speaks JSON). Moves are synchronous: when StartMessageMoveTask answers,
every available message of the source queue has been re-sent as a new message (receive count 0) to
the destination, or to the queue(s) whose redrive policy targets the source, and deleted.

As strict as SQS about the source: StartMessageMoveTask "is currently limited to supporting message
redrive from queues that are configured as dead-letter queues (DLQs) of other Amazon SQS queues
only" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
A queue no other queue's RedrivePolicy names (an EventBridge target's DLQ, say) is refused with
InvalidParameterValue "Source queue must be configured as a Dead Letter Queue.", the error SQS
returns (recorded against AWS by LocalStack's snapshot tests of this action).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Queue, sqs_backends
from moto.sqs.responses import SQSResponse

ACTIONS = ("start_message_move_task", "list_message_move_tasks", "cancel_message_move_task")
NOT_A_DEAD_LETTER_QUEUE = "Source queue must be configured as a Dead Letter Queue."


class ResourceNotFound(SQSException):
    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class InvalidParameter(SQSException):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValue", message)


class UnsupportedOperation(SQSException):
    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedOperation", message)


@dataclass
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    max_per_second: int | None
    started_ms: int
    to_move: int
    moved: int = 0
    status: str = "RUNNING"
    failure_reason: str | None = None

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle  # SQS returns the handle only for running tasks
        if self.destination_arn:
            entry["DestinationArn"] = self.destination_arn
        if self.max_per_second:
            entry["MaxNumberOfMessagesPerSecond"] = self.max_per_second
        if self.failure_reason:
            entry["FailureReason"] = self.failure_reason
        return entry


def _queue_by_arn(arn: str, parameter: str = "SourceArn") -> Queue:
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise InvalidParameter(f"Value {arn} for parameter {parameter} is invalid. Reason: not an SQS queue ARN.")
    region, account, name = parts[3], parts[4], parts[5]
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        raise ResourceNotFound(f"The resource that you specified for the {parameter} parameter doesn't exist.")
    return queue


def _redrive_sources(dead_letter_queue: Queue) -> list[Queue]:
    backend = sqs_backends[dead_letter_queue.account_id][dead_letter_queue.region]
    return [queue for queue in backend.queues.values() if queue.dead_letter_queue is dead_letter_queue]


class SqsMoveTasks:
    """Installs the three actions into moto's SQS; `tasks` is every task started, newest last."""

    def __init__(self) -> None:
        self.tasks: list[MoveTask] = []
        self._lock = threading.Lock()
        self._originals: dict[str, Any] = {}

    def install(self) -> SqsMoveTasks:
        if self._originals:
            return self
        for name in ACTIONS:
            self._originals[name] = SQSResponse.__dict__.get(name)
            setattr(SQSResponse, name, self._serve(getattr(self, f"_{name}"), name))
        return self

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            if original is None:
                delattr(SQSResponse, name)
            else:
                setattr(SQSResponse, name, original)
        self._originals.clear()

    def __enter__(self) -> SqsMoveTasks:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    @staticmethod
    def _serve(handler: Any, name: str) -> Any:
        def serve(response: SQSResponse) -> ActionResult:
            return ActionResult(handler(response._get_param))

        serve.__name__ = name
        return serve

    # ------------------------------------------------------------ actions

    def _start_message_move_task(self, param: Any) -> dict[str, Any]:
        source_arn = str(param("SourceArn") or "")
        destination_arn = param("DestinationArn")
        rate = param("MaxNumberOfMessagesPerSecond")
        source = _queue_by_arn(source_arn)
        sources = _redrive_sources(source)
        if not sources:
            raise InvalidParameter(NOT_A_DEAD_LETTER_QUEUE)
        if destination_arn and destination_arn == source_arn:
            raise InvalidParameter("Source queue arn and destination queue arn cannot be the same.")
        destinations = [_queue_by_arn(str(destination_arn), "DestinationArn")] if destination_arn else sources
        with self._lock:
            if any(task.source_arn == source_arn and task.status == "RUNNING" for task in self.tasks):
                raise UnsupportedOperation("There is already a task running. Only one active task is allowed.")
            available = list(source.messages)  # visible and not delayed, as SQS moves
            task = MoveTask(
                handle=str(uuid.uuid4()),
                source_arn=source_arn,
                destination_arn=str(destination_arn) if destination_arn else None,
                max_per_second=int(rate) if rate else None,
                started_ms=int(time.time() * 1000),
                to_move=len(available),
            )
            self.tasks.append(task)
            self._move(task, source, available, destinations)
        return {"TaskHandle": task.handle}

    def _move(self, task: MoveTask, source: Queue, messages: list[Any], destinations: list[Queue]) -> None:
        """Re-send each message (a new message, receive count 0) and delete it from the source."""
        destination = destinations[0]
        backend = sqs_backends[destination.account_id][destination.region]
        for message in messages:
            backend.send_message(
                destination.name,
                message.body,
                message_attributes=dict(message.message_attributes),
                group_id=message.group_id,
                deduplication_id=message.deduplication_id,
            )
            source._messages = [kept for kept in source._messages if kept is not message]
            source.pending_messages.discard(message)
            task.moved += 1
        task.status = "COMPLETED"

    def _list_message_move_tasks(self, param: Any) -> dict[str, Any]:
        source_arn = str(param("SourceArn") or "")
        _queue_by_arn(source_arn)
        limit = int(param("MaxResults") or 1)
        if not 1 <= limit <= 10:
            raise InvalidParameter(f"Value {limit} for parameter MaxResults is invalid. Reason: must be 1 to 10.")
        with self._lock:
            tasks = [task for task in self.tasks if task.source_arn == source_arn]
        return {"Results": [task.as_entry() for task in reversed(tasks[-limit:])]}

    def _cancel_message_move_task(self, param: Any) -> dict[str, Any]:
        handle = str(param("TaskHandle") or "")
        with self._lock:
            task = next((task for task in self.tasks if task.handle == handle), None)
            if task is None:
                raise ResourceNotFound(f"Task with handle {handle} does not exist.")
            if task.status != "RUNNING":
                raise UnsupportedOperation(f"Task is {task.status}; only a running task can be cancelled.")
            task.status = "CANCELLED"
            return {"ApproximateNumberOfMessagesMoved": task.moved}
