"""Backfill: archive historical AutoML jobs, by the deployed pipeline (enqueue) or from here (--direct).

Two phases. Planning lists the jobs (ListAutoMLJobs, page by page), drops the ones the archive
already holds at the listed state (`summaries_needing_archive`) and the ones the checkpoint says were
already handed off. Handing off then either enqueues job references in batches of ten (the deployed
archiver works through them at its bounded concurrency) or archives each job with the product's own
`JobArchiver` on a thread pool. Each batch or job is recorded in the checkpoint once handed off.
"""

from __future__ import annotations

import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, TextIO

from automl_archive.dal.interfaces import JobStore, SageMakerGateway, WorkQueue
from automl_archive.logic.archive import JobArchiver, Outcome
from automl_archive.logic.reconcile import summaries_needing_archive
from automl_archive.logic.state import ordering_key
from automl_archive.models.messages import BACKFILL_ORIGIN, JobReference, reference_body
from automl_archive_cli.checkpoint import Checkpoint
from automl_archive_cli.console import Progress

JOB_STATUSES = ("Completed", "InProgress", "Failed", "Stopped", "Stopping")
SEND_BATCH_SIZE = 10  # SendMessageBatch's limit: one checkpoint record per batch


@dataclass(frozen=True)
class BackfillFilters:
    since: datetime | None = None  # CreationTime >= since
    until: datetime | None = None  # CreationTime < until
    status: str | None = None
    name_contains: str | None = None

    def list_parameters(self) -> dict[str, Any]:
        """ListAutoMLJobs filters; the time bounds are widened by a second and re-checked by `matches`."""
        parameters: dict[str, Any] = {}
        if self.since:
            parameters["CreationTimeAfter"] = self.since - timedelta(seconds=1)
        if self.until:
            parameters["CreationTimeBefore"] = self.until + timedelta(seconds=1)
        if self.status:
            parameters["StatusEquals"] = self.status
        if self.name_contains:
            parameters["NameContains"] = self.name_contains
        return parameters

    def matches(self, summary: dict[str, Any]) -> bool:
        created: datetime = summary["CreationTime"]
        if self.since and created < self.since:
            return False
        if self.until and created >= self.until:
            return False
        if self.status and summary.get("AutoMLJobStatus") != self.status:
            return False
        return not (self.name_contains and self.name_contains.lower() not in summary["AutoMLJobName"].lower())

    def describe(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "status": self.status,
            "name_contains": self.name_contains,
        }


@dataclass(frozen=True)
class PendingJob:
    name: str
    ordering: int


@dataclass
class BackfillReport:
    listed: int = 0
    already_archived: int = 0
    from_checkpoint: int = 0
    handed_off: int = 0
    failed: int = 0
    dry_run: bool = False
    direct: bool = False
    interrupted: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def to_do(self) -> int:
        return self.listed - self.already_archived - self.from_checkpoint

    def summary_lines(self) -> list[str]:
        verb = "archived" if self.direct else "enqueued"
        lines = [
            f"listed:                    {self.listed}",
            f"skipped, already archived: {self.already_archived}",
            f"skipped, in checkpoint:    {self.from_checkpoint}",
        ]
        if self.dry_run:
            lines.append(f"would be {verb}:{' ' * (17 - len(verb))}{self.to_do}")
        else:
            lines.append(f"{verb}:{' ' * (26 - len(verb))}{self.handed_off}")
            lines.append(f"failed:                    {self.failed}")
        return lines


class Backfill:
    def __init__(
        self,
        sagemaker: SageMakerGateway,
        store: JobStore,
        checkpoint: Checkpoint,
        filters: BackfillFilters,
        progress: Progress,
        queue: WorkQueue | None = None,
        archiver_factory: Callable[[], JobArchiver] | None = None,
        workers: int = 8,
        errors: TextIO | None = None,
        alerts: bool = False,
    ) -> None:
        """`alerts`: the jobs' failures alert as if they were news (by default a backfill is history)."""
        self._alerts = alerts
        self._sagemaker = sagemaker
        self._store = store
        self._checkpoint = checkpoint
        self._filters = filters
        self._progress = progress
        self._queue = queue
        self._archiver_factory = archiver_factory
        self._workers = workers
        self._errors = errors or sys.stderr
        self.report = BackfillReport(direct=archiver_factory is not None)

    # ------------------------------------------------------------ planning

    def plan(self) -> list[PendingJob]:
        """List and compare only: what the archive and the checkpoint do not hold yet. Writes nothing."""
        pending: dict[str, PendingJob] = {}
        for page in self._sagemaker.job_summary_pages(**self._filters.list_parameters()):
            summaries = [summary for summary in page if self._filters.matches(summary)]
            self.report.listed += len(summaries)
            stored = self._store.stored_orderings([summary["AutoMLJobName"].lower() for summary in summaries])
            todo = summaries_needing_archive(summaries, stored)
            self.report.already_archived += len(summaries) - len(todo)
            for summary in todo:
                ordering = ordering_key(summary["AutoMLJobStatus"], summary["LastModifiedTime"])
                if self._checkpoint.covers(summary["AutoMLJobName"], ordering):
                    self.report.from_checkpoint += 1
                    continue
                pending[summary["AutoMLJobName"].lower()] = PendingJob(summary["AutoMLJobName"], ordering)
            self._progress.note(f"listing: {self.report.listed} jobs, {len(pending)} to archive")
        return list(pending.values())

    # ------------------------------------------------------------ handing off

    def run(self, dry_run: bool = False) -> BackfillReport:
        self.report.dry_run = dry_run
        pending = self.plan()
        if dry_run or not pending:
            self._progress.close()
            return self.report
        self._progress.start("archiving" if self.report.direct else "enqueueing", len(pending))
        try:
            if self._archiver_factory is not None:
                self._archive_directly(pending, self._archiver_factory())
            else:
                self._enqueue(pending)
        finally:
            self._progress.close()
            self._checkpoint.close()
        return self.report

    def _enqueue(self, pending: list[PendingJob]) -> None:
        if self._queue is None:
            raise ValueError("enqueue mode needs a work queue")
        for start in range(0, len(pending), SEND_BATCH_SIZE):
            batch = pending[start : start + SEND_BATCH_SIZE]
            bodies = [reference_body(job.name, BACKFILL_ORIGIN, alerts=self._alerts) for job in batch]
            with deferred_interrupt():  # a Ctrl-C lands after the batch is both sent and recorded
                try:
                    self._queue.send_batch(bodies)
                except Exception as error:  # counted and reported; a rerun retries the batch
                    self._fail([job.name for job in batch], error)
                else:
                    self._checkpoint.record((job.name, job.ordering) for job in batch)
                    self.report.handed_off += len(batch)
            self._progress.advance(len(batch))

    def _archive_directly(self, pending: list[PendingJob], archiver: JobArchiver) -> None:
        jobs = iter(pending)
        in_flight: dict[Future[Outcome], PendingJob] = {}
        executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="backfill")
        try:
            while True:
                while len(in_flight) < self._workers * 2:
                    job = next(jobs, None)
                    if job is None:
                        break
                    in_flight[executor.submit(_archive_one, archiver, job.name, self._alerts)] = job
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                self._settle({future: in_flight.pop(future) for future in done})
        except KeyboardInterrupt:
            # Let the archives already running finish and record them, so nothing is redone.
            executor.shutdown(wait=True, cancel_futures=True)
            self._settle({future: job for future, job in in_flight.items() if future.done()})
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def _settle(self, finished: dict[Future[Outcome], PendingJob]) -> None:
        archived: list[tuple[str, int]] = []
        for future, job in finished.items():
            if future.cancelled():
                continue
            error = future.exception()
            if error is not None:
                self._fail([job.name], error)
            elif future.result() is Outcome.JOB_NOT_FOUND:
                self._fail([job.name], LookupError("SageMaker no longer has this job"))
            else:
                archived.append((job.name, job.ordering))
            self._progress.advance()
        self._checkpoint.record(archived)
        self.report.handed_off += len(archived)

    def _fail(self, names: list[str], error: BaseException) -> None:
        self.report.failed += len(names)
        message = f"{', '.join(names)}: {type(error).__name__}: {error}"
        self.report.failures.append(message)
        self._progress.close()
        print(f"failed: {message}", file=self._errors)


def _archive_one(archiver: JobArchiver, job_name: str, alerts: bool) -> Outcome:
    reference = JobReference(job_name=job_name, origin=BACKFILL_ORIGIN, alerts=alerts)
    return archiver.process(reference, f"{BACKFILL_ORIGIN}-{uuid.uuid4()}", set())


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold a SIGINT that arrives inside the block and raise it at the end (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
