"""`archive` and `status`: small commands over the deployed stack (`redrive` has its own module)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Column, Table

from automl_archive.contracts.job_identity import JobSource
from automl_archive.contracts.job_table import watermark_name
from automl_archive.dal.aws import DynamoJobStore
from automl_archive.dal.interfaces import InvalidWatermark
from automl_archive.logic.archive import JobArchiver, Outcome
from automl_archive.logic.normalise import account_and_region
from automl_archive.logic.reconcile import SWEEP_WATERMARK
from automl_archive.models.messages import CLI_ORIGIN, JobReference
from automl_archive_cli.aws import Deployment
from automl_archive_cli.dead_letter_queues import WORK_QUEUE_DLQ_LABEL, QueueDepth, dead_letter_queues, queue_depth
from automl_archive_cli.errors import EXIT_FAILED, CliError

# ---------------------------------------------------------------- archive


def archive_job(
    archiver: JobArchiver, store: DynamoJobStore, s3: Any, bucket: str, job_name: str, alerts: bool = False
) -> dict[str, Any]:
    """Archive one job now (Force) and return its normalised record as archived in S3; its failure
    alerts only when `alerts` (an operator's archive is history)."""
    reference = JobReference(job_name=job_name, origin=CLI_ORIGIN, force=True, alerts=alerts)
    outcome = archiver.process(reference, f"cli-archive-{uuid.uuid4()}", set())
    if outcome is Outcome.JOB_NOT_FOUND:
        raise CliError(f"SageMaker has no AutoML job named '{job_name}' in this region.", exit_code=EXIT_FAILED)
    state = store.load_job(job_name.lower()).state
    record_key = state.attributes.get("record_s3_key") if state else None
    if not record_key:
        raise CliError(f"Job '{job_name}' was archived but the archive holds no record key for it.", EXIT_FAILED)
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
class SourceSweep:
    """Where the reconcile pass has got to in one source: its watermark (None: never completed a pass,
    or unreadable). A spoke whose watermark falls behind is one the pass cannot read (SpokesNotSwept)."""

    account_id: str
    region: str
    alias: str
    watermark: str | None
    age_seconds: int | None


@dataclass(frozen=True)
class ArchiveStatus:
    jobs_by_status: dict[str, int]
    newest: list[ArchivedJob]
    jobs_by_location: dict[tuple[str, str], int]  # (account, Region) -> jobs archived there
    work_queue: QueueDepth
    dead_letter_queue: QueueDepth  # the work queue's
    dead_letter_queues: dict[str, QueueDepth]  # every DLQ of the stack, by label (the work queue's first)
    sweeps: tuple[SourceSweep, ...] = ()  # the hub's own, then each registered spoke's (spokes only)

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
            "jobs_by_account": [
                {"account_id": account, "region": region, "jobs": count}
                for (account, region), count in sorted(self.jobs_by_location.items())
            ],
            "newest_archived": [job.__dict__ for job in self.newest],
            "work_queue": depth(self.work_queue),
            "dead_letter_queue": depth(self.dead_letter_queue),
            "dead_letter_queues": {label: depth(value) for label, value in self.dead_letter_queues.items()},
            "sweeps": [sweep.__dict__ for sweep in self.sweeps],
        }


def status_renderables(status: ArchiveStatus) -> list[RenderableType]:
    """The text form of `status`: the total, then rich tables of statuses, newest jobs and queue depths."""
    by_status = Table("status", Column("jobs", justify="right"), box=box.SIMPLE_HEAD, show_edge=False)
    for name, count in sorted(status.jobs_by_status.items()):
        by_status.add_row(name, str(count))
    by_location = Table("account", "region", Column("jobs", justify="right"), box=box.SIMPLE_HEAD, show_edge=False)
    for (account, region), count in sorted(status.jobs_by_location.items()):
        by_location.add_row(account, region, str(count))
    parts: list[RenderableType] = [f"Archived jobs: {status.total_jobs}", by_status, by_location, "Newest archived:"]
    if status.newest:
        newest = Table("job", "status", "archived_at", box=box.SIMPLE_HEAD, show_edge=False)
        for job in status.newest:
            newest.add_row(job.job_name, job.status, job.archived_at)
        parts.append(newest)
    else:
        parts.append("  (none)")
    queues = Table(
        "queue",
        *(Column(name, justify="right") for name in ("visible", "in flight", "delayed", "total")),
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    for label, depth in {"work queue": status.work_queue, **status.dead_letter_queues}.items():
        queues.add_row(label, str(depth.visible), str(depth.in_flight), str(depth.delayed), str(depth.total))
    parts.append(queues)
    if status.sweeps:
        sweeps = Table(
            "swept source", "alias", "watermark", Column("age", justify="right"), box=box.SIMPLE_HEAD, show_edge=False
        )
        for sweep in status.sweeps:
            age = "never" if sweep.age_seconds is None else f"{sweep.age_seconds // 60} min"
            sweeps.add_row(f"{sweep.account_id}/{sweep.region}", sweep.alias, sweep.watermark or "-", age)
        parts += ["Reconcile pass by source (a spoke it cannot read falls behind):", sweeps]
    return parts


def source_sweeps(store: DynamoJobStore, deployment: Deployment, now: datetime) -> tuple[SourceSweep, ...]:
    """The sweep watermark of the hub's own account and Region and of every registered spoke."""
    if not deployment.spokes:
        return ()
    sources: list[tuple[JobSource | None, str, str, str]] = [(None, "hub", deployment.region, "")]
    sources += [(s.source, s.source.account_id, s.source.region, s.alias) for s in deployment.spokes]
    sweeps = []
    for source, account, region, alias in sources:
        try:
            watermark = store.get_watermark(watermark_name(SWEEP_WATERMARK, source))
        except InvalidWatermark:
            watermark = None
        age = int((now - watermark).total_seconds()) if watermark else None
        sweeps.append(SourceSweep(account, region, alias, watermark.isoformat() if watermark else None, age))
    return tuple(sweeps)


# What `status` reads of each job's state (a projection: not the events seen or due).
STATUS_ATTRIBUTES = ("job_name", "archived_at", "account_id", "region", "job_arn")


def archive_status(
    store: DynamoJobStore,
    sqs: Any,
    deployment: Deployment,
    newest: int = 5,
    account: str | None = None,
    region: str | None = None,
) -> ArchiveStatus:
    """Every job's stored state (a paginated Scan), of one account and Region if given, and the depth of
    the work queue and every DLQ."""
    counts: Counter[str] = Counter()
    locations: Counter[tuple[str, str]] = Counter()
    latest: list[ArchivedJob] = []
    for job_key, job in store.scan_states(STATUS_ATTRIBUTES):
        if job.state is None:
            continue
        attributes = job.state.attributes
        # A state archived before the record carried them (schema 2) says where through its ARN.
        job_account, job_region = (attributes.get("account_id"), attributes.get("region"))
        if not job_account:
            job_account, job_region = account_and_region(attributes.get("job_arn"))
        if (account and job_account != account) or (region and job_region != region):
            continue
        counts[job.state.status] += 1
        locations[(job_account or "unknown", job_region or "unknown")] += 1
        latest.append(
            ArchivedJob(attributes.get("job_name") or job_key, job.state.status, attributes.get("archived_at", ""))
        )
        if len(latest) > 4 * newest:  # keep memory bounded on a large table
            latest = sorted(latest, key=lambda job: job.archived_at, reverse=True)[:newest]
    latest = sorted(latest, key=lambda job: job.archived_at, reverse=True)[:newest]
    depths = {dlq.label: queue_depth(sqs, dlq.queue.url) for dlq in dead_letter_queues(deployment)}
    return ArchiveStatus(
        jobs_by_status=dict(counts),
        newest=latest,
        jobs_by_location=dict(locations),
        work_queue=queue_depth(sqs, deployment.work_queue_url),
        dead_letter_queue=depths[WORK_QUEUE_DLQ_LABEL],
        dead_letter_queues=depths,
        sweeps=source_sweeps(store, deployment, datetime.now(UTC)),
    )
