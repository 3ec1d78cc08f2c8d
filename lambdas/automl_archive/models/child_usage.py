"""What a finished child job used, read from its own state-change event (no describe needed).

A training, processing or transform job's state-change event mirrors its Describe*Job answer: the
instance type and count (`ResourceConfig`, `ProcessingResources.ClusterConfig`, `TransformResources`)
and the start and end times. The data lake's child-job table, and through it each job's instance
hours and cost, is built from the terminal events alone. EventBridge's schema for these events has no
`BillableTimeInSeconds` (a describe would): billable seconds are the end minus the start, which is what
an on-demand job is billed for; when an event does carry the field it wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from automl_archive.contracts.job_status import TERMINAL_STATUSES, ChildKind

BILLED_FROM_EVENT = "BillableTimeInSeconds"
BILLED_FROM_START_END = "start_end"


@dataclass(frozen=True)
class ChildUsage:
    """One finished child job's resources and billable time."""

    kind: ChildKind
    name: str
    arn: str | None
    status: str
    failure_reason: str | None
    instance_type: str | None
    instance_count: int | None
    start_time: datetime | None
    end_time: datetime | None
    last_modified_time: datetime | None
    billable_seconds: int | None
    billable_seconds_source: str | None
    tuning_job_arn: str | None

    @property
    def instance_seconds(self) -> int | None:
        if self.billable_seconds is None or self.instance_count is None:
            return None
        return self.billable_seconds * self.instance_count


# kind -> (name, ARN, status, resources path, start, end)
_FIELDS: dict[ChildKind, tuple[str, str, str, tuple[str, ...], str, str]] = {
    ChildKind.TRAINING: (
        "TrainingJobName",
        "TrainingJobArn",
        "TrainingJobStatus",
        ("ResourceConfig",),
        "TrainingStartTime",
        "TrainingEndTime",
    ),
    ChildKind.PROCESSING: (
        "ProcessingJobName",
        "ProcessingJobArn",
        "ProcessingJobStatus",
        ("ProcessingResources", "ClusterConfig"),
        "ProcessingStartTime",
        "ProcessingEndTime",
    ),
    ChildKind.TRANSFORM: (
        "TransformJobName",
        "TransformJobArn",
        "TransformJobStatus",
        ("TransformResources",),
        "TransformStartTime",
        "TransformEndTime",
    ),
}


def detail_time(value: Any) -> datetime | None:
    """A detail timestamp: epoch milliseconds or seconds (number) or ISO 8601 text; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        seconds = value / 1000 if abs(value) > 1e11 else value  # milliseconds after 1973 exceed 1e11
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return int(value)


def _text(value: Any, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def child_usage(kind: ChildKind, detail: dict[str, Any]) -> ChildUsage | None:
    """The usage a terminal child-job event reports; None for a running job, a tuning job (its training
    jobs report their own) or a detail without the job's name."""
    fields = _FIELDS.get(kind)
    if fields is None:
        return None
    name_field, arn_field, status_field, resources_path, start_field, end_field = fields
    status, name = detail.get(status_field), detail.get(name_field)
    if status not in TERMINAL_STATUSES or not isinstance(name, str):
        return None
    resources: Any = detail
    for step in resources_path:
        resources = resources.get(step) if isinstance(resources, dict) else None
    resources = resources if isinstance(resources, dict) else {}
    start, end = detail_time(detail.get(start_field)), detail_time(detail.get(end_field))
    billed = _positive_int(detail.get(BILLED_FROM_EVENT))
    source = BILLED_FROM_EVENT if billed is not None else None
    if billed is None and start is not None and end is not None and end >= start:
        billed, source = math.ceil((end - start).total_seconds()), BILLED_FROM_START_END
    return ChildUsage(
        kind=kind,
        name=name,
        arn=_text(detail.get(arn_field), 256),
        status=str(status),
        failure_reason=_text(detail.get("FailureReason")),
        instance_type=_text(resources.get("InstanceType"), 64),
        instance_count=_positive_int(resources.get("InstanceCount")),
        start_time=start,
        end_time=end,
        last_modified_time=detail_time(detail.get("LastModifiedTime")),
        billable_seconds=billed,
        billable_seconds_source=source,
        tuning_job_arn=_text(detail.get("TuningJobArn"), 256),
    )
