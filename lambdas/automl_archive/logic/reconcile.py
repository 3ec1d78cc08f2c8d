"""Reconcile the archive with SageMaker's own list of AutoML jobs.

Events are best-effort (CloudTrail may be off, EventBridge drops what it cannot deliver, jobs may
predate the stack). The sweep lists jobs modified since a stored watermark and hands every job whose
archived state is missing or older to the work queue, where the archiver does the rest. Comparing a
summary's ordering key with the stored one costs no describe, so a quiet account stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from automl_archive.contracts.metric_names import (
    SWEEP_ALERTS_DUE,
    SWEEP_EVENTS_DUE,
    SWEEP_JOBS_ENQUEUED,
    SWEEP_JOBS_LISTED,
    SWEEP_LAG_SECONDS,
    SWEEP_WATERMARK_INVALID,
)
from automl_archive.dal.interfaces import InvalidWatermark, JobStore, MetricsSink, SageMakerGateway, WorkQueue
from automl_archive.logic.state import ordering_key
from automl_archive.models.messages import ALERT_DUE_ORIGIN, EVENT_DUE_ORIGIN, reference_body
from automl_archive.observability import logger

SWEEP_WATERMARK = "sweep"


def summaries_needing_archive(summaries: Iterable[dict[str, Any]], stored: dict[str, int]) -> list[dict[str, Any]]:
    """Summaries whose job is not archived, or archived at an older state than the summary shows."""
    return [
        summary
        for summary in summaries
        if stored.get(summary["AutoMLJobName"].lower(), -1)
        < ordering_key(summary["AutoMLJobStatus"], summary["LastModifiedTime"])
    ]


def job_reference(summary: dict[str, Any], origin: str) -> dict[str, Any]:
    """The job's reference; from a listed summary it carries the ordering key SageMaker listed, so an
    archiver that already holds that state (an event got there first) skips the describe."""
    listed = None
    if "AutoMLJobStatus" in summary and "LastModifiedTime" in summary:
        listed = ordering_key(summary["AutoMLJobStatus"], summary["LastModifiedTime"])
    return reference_body(summary["AutoMLJobName"], origin, listed_ordering=listed)


@dataclass(frozen=True)
class SweepPolicy:
    overlap: timedelta
    initial_lookback: timedelta


@dataclass(frozen=True)
class SweepReport:
    listed: int
    enqueued: int
    complete: bool
    since: datetime
    watermark: datetime | None


class ReconcileSweep:
    def __init__(
        self,
        sagemaker: SageMakerGateway,
        store: JobStore,
        queue: WorkQueue,
        policy: SweepPolicy,
        clock: Callable[[], datetime],
        metrics: MetricsSink,
    ) -> None:
        self._sagemaker = sagemaker
        self._store = store
        self._queue = queue
        self._policy = policy
        self._clock = clock
        self._metrics = metrics

    def run(self, out_of_time: Callable[[], bool] = lambda: False) -> SweepReport:
        """One pass; the watermark advances to this pass's start only if every page was handed off."""
        started = self._clock()
        self._finish_due_alerts()
        self._finish_due_events()
        invalid = False
        try:
            watermark = self._store.get_watermark(SWEEP_WATERMARK)
        except InvalidWatermark as error:
            # Corrupted or edited by hand: look back as a first pass would, and replace it when done.
            logger.warning("Sweep watermark invalid; using the initial look-back", extra={"value": error.value})
            self._metrics.count(SWEEP_WATERMARK_INVALID)
            watermark, invalid = None, True
        since = (watermark or started - self._policy.initial_lookback) - self._policy.overlap
        listed = enqueued = 0
        for page in self._sagemaker.job_summary_pages(LastModifiedTimeAfter=since):
            listed += len(page)
            stored = self._store.stored_orderings([summary["AutoMLJobName"].lower() for summary in page])
            todo = summaries_needing_archive(page, stored)
            self._queue.send_batch([job_reference(summary, "sweep") for summary in todo])
            enqueued += len(todo)
            if out_of_time():
                logger.warning("Sweep stopped before its last page; watermark kept", extra={"listed": listed})
                return self._report(listed, enqueued, complete=False, since=since, watermark=watermark)
        self._store.advance_watermark(SWEEP_WATERMARK, started, replace_invalid=invalid)
        self._metrics.count(SWEEP_JOBS_LISTED, listed)
        self._metrics.count(SWEEP_JOBS_ENQUEUED, enqueued)
        lag = (started - watermark).total_seconds() if watermark else 0.0
        self._metrics.seconds(SWEEP_LAG_SECONDS, lag)
        return self._report(listed, enqueued, complete=True, since=since, watermark=started)

    def _finish_due_alerts(self) -> None:
        """Hand over every archived terminal state whose alert is still due (its publish failed past the
        queue's retries, or the retry read a stale answer): the archiver sends it from the store."""
        due = self._store.jobs_with_alert_due()
        if due:
            self._queue.send_batch([reference_body(name, ALERT_DUE_ORIGIN) for name in due])
            logger.info("Alerts still due handed over", extra={"jobs": len(due)})
        self._metrics.count(SWEEP_ALERTS_DUE, len(due))

    def _finish_due_events(self) -> None:
        """Hand over every job with a state-change event the bus has not accepted (its put failed past
        the queue's retries): the archiver puts it from the store. The reference carries the stored
        state's ordering key, so the archiver publishes without describing the job again."""
        due = self._store.jobs_with_event_due()
        if due:
            stored = self._store.stored_orderings([name.lower() for name in due])
            self._queue.send_batch(
                [reference_body(name, EVENT_DUE_ORIGIN, listed_ordering=stored.get(name.lower())) for name in due]
            )
            logger.info("State-change events still due handed over", extra={"jobs": len(due)})
        self._metrics.count(SWEEP_EVENTS_DUE, len(due))

    @staticmethod
    def _report(listed: int, enqueued: int, complete: bool, since: datetime, watermark: datetime | None) -> SweepReport:
        report = SweepReport(listed=listed, enqueued=enqueued, complete=complete, since=since, watermark=watermark)
        logger.info("Sweep finished", extra={"listed": listed, "enqueued": enqueued, "complete": complete})
        return report
