"""`redrive`, `export` and `status`: small commands over the deployed stack."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from automl_archive.dal.aws import STATE_SK, DynamoJobStore
from automl_archive.logic.export import JobExporter, Outcome
from automl_archive.models.messages import JobReference
from automl_archive_cli.aws import Deployment
from automl_archive_cli.errors import EXIT_FAILED, CliError

QUEUE_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
MOVE_TASK_DONE = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


# ---------------------------------------------------------------- queues


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


# ---------------------------------------------------------------- redrive


@dataclass(frozen=True)
class RedriveResult:
    started: bool
    finished: bool
    moved: int
    to_move: int | None
    status: str
    failure_reason: str | None = None


def redrive(
    sqs: Any,
    deployment: Deployment,
    wait: bool = True,
    poll_seconds: float = 1.0,
    timeout_seconds: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> RedriveResult:
    """Move every dead-letter message back to the work queue (SQS StartMessageMoveTask)."""
    dlq_url = deployment.dead_letter_queue_url
    depth = queue_depth(sqs, dlq_url)
    if depth.visible == 0:
        return RedriveResult(started=False, finished=True, moved=0, to_move=0, status="EMPTY")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=deployment.work_queue_arn)["TaskHandle"]
    if not wait:
        return RedriveResult(started=True, finished=False, moved=0, to_move=depth.visible, status="RUNNING")
    deadline = time.monotonic() + timeout_seconds
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10).get("Results", [])
        task = next((t for t in tasks if t.get("TaskHandle") in (handle, None)), tasks[0] if tasks else None)
        if task is None:
            raise CliError(f"SQS lists no message move task for {dlq_arn}", exit_code=EXIT_FAILED)
        status = str(task.get("Status", "UNKNOWN"))
        if status in MOVE_TASK_DONE:
            return RedriveResult(
                started=True,
                finished=True,
                moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)),
                to_move=task.get("ApproximateNumberOfMessagesToMove"),
                status=status,
                failure_reason=task.get("FailureReason"),
            )
        if time.monotonic() > deadline:
            raise CliError(
                f"The redrive task is still {status} after {timeout_seconds:.0f} s; check it with "
                f"`aws sqs list-message-move-tasks --source-arn {dlq_arn}`.",
                exit_code=EXIT_FAILED,
            )
        sleep(poll_seconds)


# ---------------------------------------------------------------- export


def export_job(exporter: JobExporter, store: DynamoJobStore, s3: Any, bucket: str, job_name: str) -> dict[str, Any]:
    """Export one job now (Force) and return its normalised record as archived in S3."""
    reference = JobReference(job_name=job_name, origin="cli", force=True)
    outcome = exporter.process(reference, f"cli-export-{uuid.uuid4()}", set())
    if outcome is Outcome.JOB_NOT_FOUND:
        raise CliError(f"SageMaker has no AutoML job named '{job_name}' in this region.", exit_code=EXIT_FAILED)
    state = store.load_job(job_name.lower()).state
    record_key = state.attributes.get("record_s3_key") if state else None
    if not record_key:
        raise CliError(f"Job '{job_name}' was exported but the archive holds no record key for it.", EXIT_FAILED)
    body = s3.get_object(Bucket=bucket, Key=record_key)["Body"].read().decode("utf-8")
    record: dict[str, Any] = json.loads(body.splitlines()[0])
    return record


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class ArchivedJob:
    job_name: str
    status: str
    archived_at: str


@dataclass(frozen=True)
class ArchiveStatus:
    jobs_by_status: dict[str, int]
    newest: list[ArchivedJob]
    work_queue: QueueDepth
    dead_letter_queue: QueueDepth

    @property
    def total_jobs(self) -> int:
        return sum(self.jobs_by_status.values())

    def as_json(self) -> dict[str, Any]:
        def depth(value: QueueDepth) -> dict[str, int]:
            return {
                "visible": value.visible,
                "in_flight": value.in_flight,
                "delayed": value.delayed,
                "total": value.total,
            }

        return {
            "total_jobs": self.total_jobs,
            "jobs_by_status": dict(sorted(self.jobs_by_status.items())),
            "newest_archived": [job.__dict__ for job in self.newest],
            "work_queue": depth(self.work_queue),
            "dead_letter_queue": depth(self.dead_letter_queue),
        }

    def as_text(self) -> str:
        lines = [f"Archived jobs: {self.total_jobs}", "", f"  {'status':<12} {'jobs':>8}"]
        lines += [f"  {status:<12} {count:>8}" for status, count in sorted(self.jobs_by_status.items())]
        lines += ["", "Newest archived:"]
        if self.newest:
            width = max(len(job.job_name) for job in self.newest)
            lines += [f"  {'job':<{width}}  {'status':<10}  archived_at"]
            lines += [f"  {job.job_name:<{width}}  {job.status:<10}  {job.archived_at}" for job in self.newest]
        else:
            lines.append("  (none)")
        lines += ["", f"  {'queue':<18} {'visible':>8} {'in flight':>10} {'delayed':>8} {'total':>8}"]
        for name, value in (("work queue", self.work_queue), ("dead-letter queue", self.dead_letter_queue)):
            lines.append(f"  {name:<18} {value.visible:>8} {value.in_flight:>10} {value.delayed:>8} {value.total:>8}")
        return "\n".join(lines)


def archive_status(dynamodb: Any, sqs: Any, deployment: Deployment, newest: int = 5) -> ArchiveStatus:
    """Scan the STATE items (projection only, every page) and read both queues' depth."""
    counts: Counter[str] = Counter()
    latest: list[ArchivedJob] = []
    paginator = dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=deployment.jobs_table_name,
        FilterExpression="sk = :state",
        ProjectionExpression="pk, job_name, #status, archived_at",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":state": {"S": STATE_SK}},
    )
    for page in pages:
        for item in page.get("Items", []):
            status = item.get("status", {}).get("S", "unknown")
            counts[status] += 1
            name = item.get("job_name", {}).get("S") or item["pk"]["S"].removeprefix("JOB#")
            latest.append(ArchivedJob(name, status, item.get("archived_at", {}).get("S", "")))
            if len(latest) > 4 * newest:  # keep memory bounded on a large table
                latest = sorted(latest, key=lambda job: job.archived_at, reverse=True)[:newest]
    latest = sorted(latest, key=lambda job: job.archived_at, reverse=True)[:newest]
    return ArchiveStatus(
        jobs_by_status=dict(counts),
        newest=latest,
        work_queue=queue_depth(sqs, deployment.work_queue_url),
        dead_letter_queue=queue_depth(sqs, deployment.dead_letter_queue_url),
    )
