"""The stack's dead-letter queues: which there are, how each is drained, how deep each is, and what a
redrive did to it (read by `redrive` and `status`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from automl_archive_cli.aws import Deployment, QueueRef

QUEUE_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
WORK_QUEUE_DLQ_LABEL = "work queue DLQ"
SWEEP_SCHEDULE_DLQ_LABEL = "sweep schedule DLQ"
COMPACTION_SCHEDULE_DLQ_LABEL = "compaction schedule DLQ"


class Method(StrEnum):
    MOVE_TASK = "move task"
    RESEND = "receive, send, delete"
    ACKNOWLEDGE = "acknowledge"


@dataclass(frozen=True)
class DeadLetterQueue:
    label: str
    queue: QueueRef
    method: Method


def dead_letter_queues(deployment: Deployment) -> list[DeadLetterQueue]:
    """Every dead-letter queue of the stack (from its outputs), with how each is drained."""
    return [
        DeadLetterQueue(WORK_QUEUE_DLQ_LABEL, deployment.work_queue_dead_letter_queue, Method.MOVE_TASK),
        *(
            DeadLetterQueue(f"{rule_id} DLQ", queue, Method.RESEND)
            for rule_id, queue in deployment.rule_dead_letter_queues.items()
        ),
        DeadLetterQueue(SWEEP_SCHEDULE_DLQ_LABEL, deployment.sweep_schedule_dead_letter_queue, Method.ACKNOWLEDGE),
        # A missed compaction needs no replay either: the next run merges every day changed since the last.
        DeadLetterQueue(
            COMPACTION_SCHEDULE_DLQ_LABEL, deployment.compaction_schedule_dead_letter_queue, Method.ACKNOWLEDGE
        ),
    ]


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed


def queue_depth(sqs: Any, queue_url: str) -> QueueDepth:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(QUEUE_DEPTH_ATTRIBUTES))["Attributes"]
    visible, in_flight, delayed = (int(attributes.get(name, 0)) for name in QUEUE_DEPTH_ATTRIBUTES)
    return QueueDepth(visible=visible, in_flight=in_flight, delayed=delayed)


@dataclass
class QueueRedrive:
    """What happened to one dead-letter queue."""

    dlq: DeadLetterQueue
    found: QueueDepth
    status: str = "EMPTY"  # EMPTY, DRY_RUN, RUNNING (move task not awaited), COMPLETED, CANCELLED, FAILED
    moved: int = 0  # now in the work queue and gone from the DLQ
    acknowledged: int = 0  # deleted without replay (missed sweep or compaction schedule events)
    sent_not_deleted: int = 0  # in the work queue and still in the DLQ: the next run sends them again
    left: list[str] = field(default_factory=list)  # one reason per message left in the DLQ
    reason: str | None = None  # why a move task or the drain failed

    @property
    def ok(self) -> bool:
        return (
            self.status in ("EMPTY", "DRY_RUN", "RUNNING", "COMPLETED") and not self.left and not self.sent_not_deleted
        )

    def line(self) -> str:
        text = f"{self.dlq.label}: "
        unseen = self.found.in_flight + self.found.delayed
        later = (
            f"; {unseen} were in flight or delayed (held by another reader or an interrupted run): "
            "run again once they are visible"
            if unseen
            else ""
        )
        if self.status == "EMPTY":
            return text + ("empty" if not unseen else f"no visible messages{later}")
        if self.status == "DRY_RUN":
            verb = "would acknowledge" if self.dlq.method is Method.ACKNOWLEDGE else "would move"
            return text + f"{verb} ~{self.found.visible} messages ({self.dlq.method}){later}"
        if self.status == "RUNNING":
            return text + f"move task started for ~{self.found.visible} messages (not awaited)"
        parts = []
        if self.dlq.method is Method.ACKNOWLEDGE:
            scheduled = self.dlq.label.removesuffix(" DLQ")
            parts.append(
                f"acknowledged {self.acknowledged} missed {scheduled} events (no replay needed: its watermark only "
                "advances after a complete run, so the next run covers the gap)"
            )
        elif self.dlq.method is Method.MOVE_TASK:
            parts.append(f"moved {self.moved} messages to the work queue (move task {self.status})")
        else:
            parts.append(f"moved {self.moved} events to the work queue")
        if self.sent_not_deleted:
            parts.append(f"{self.sent_not_deleted} sent but not deleted (the next run sends them again)")
        if self.left:
            parts.append(f"{len(self.left)} left in the queue: {'; '.join(sorted(set(self.left)))}")
        if self.reason:
            parts.append(self.reason)
        return text + ", ".join(parts) + later
