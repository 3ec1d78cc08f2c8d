"""What a job state is, how two states of one job are ordered, and when a state deserves an alert.

Events arrive duplicated and out of order, and describes can race, so every write compares an
`ordering key` instead of trusting arrival order: a terminal state outranks any running state,
then later LastModifiedTime wins, then the further-along status. Equal keys mean the same state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from automl_archive.contracts.job_status import (
    COMPLETED,
    COMPLETED_WITH_PROBLEMS,
    ERROR_SECONDARY_STATUSES,
    FAILED,
    STATUS_RANK,
    STOPPED,
    TERMINAL_STATUSES,
)


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


def ordering_key(status: str, last_modified: datetime) -> int:
    """A number that grows with every newer state of one job (stored and compared in DynamoDB)."""
    terminal_flag = 1 if is_terminal(status) else 0
    millis = int(last_modified.timestamp() * 1000)
    # terminal flag | 13+ digits of epoch millis | one digit of status rank
    return (terminal_flag * 10**15 + millis) * 10 + STATUS_RANK.get(status, 0)


def state_id(status: str, secondary_status: str, last_modified: datetime) -> str:
    """A stable, S3-key-safe name for one observed state of a job."""
    stamp = last_modified.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{status}-{secondary_status or 'None'}"


def alert_category(answer: dict[str, Any]) -> str | None:
    """What kind of alert this state would raise, before configuration decides whether it does."""
    status = answer.get("AutoMLJobStatus")
    if status in (FAILED, STOPPED):
        return str(status)
    if status == COMPLETED and (
        answer.get("PartialFailureReasons") or answer.get("AutoMLJobSecondaryStatus") in ERROR_SECONDARY_STATUSES
    ):
        return COMPLETED_WITH_PROBLEMS
    return None
