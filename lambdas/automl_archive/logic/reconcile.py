"""Reconcile the archive with SageMaker's own list of AutoML jobs.

Events are best-effort (CloudTrail may be off, EventBridge drops what it cannot deliver, jobs may
predate the stack). The sweep lists jobs modified since a stored watermark and hands every job whose
archived state is missing or older to the work queue, where the archiver does the rest. Comparing a
summary's ordering key with the stored one costs no describe, so a quiet account stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from automl_archive.contracts.job_identity import JobSource, job_key
from automl_archive.contracts.job_table import watermark_name
from automl_archive.contracts.metric_names import (
    SWEEP_ALERTS_DUE,
    SWEEP_EVENTS_DUE,
    SWEEP_JOBS_ENQUEUED,
    SWEEP_JOBS_LISTED,
    SWEEP_LAG_SECONDS,
    SWEEP_SPOKE_FAILURES,
    SWEEP_WATERMARK_INVALID,
)
from automl_archive.dal.interfaces import (
    InvalidWatermark,
    JobStore,
    MetricsSink,
    SageMakerGateway,
    SpokeGateways,
    WorkQueue,
)
from automl_archive.logic.state import ordering_key
from automl_archive.models.messages import ALERT_DUE_ORIGIN, EVENT_DUE_ORIGIN, reference_body
from automl_archive.observability import logger

SWEEP_WATERMARK = "sweep"


def summaries_needing_archive(
    summaries: Iterable[dict[str, Any]], stored: dict[str, int], source: JobSource | None = None
) -> list[dict[str, Any]]:
    """Summaries whose job is not archived, or archived at an older state than the summary shows."""
    return [
        summary
        for summary in summaries
        if stored.get(job_key(summary["AutoMLJobName"], source), -1)
        < ordering_key(summary["AutoMLJobStatus"], summary["LastModifiedTime"])
    ]


def job_reference(summary: dict[str, Any], origin: str, source: JobSource | None = None) -> dict[str, Any]:
    """The job's reference; from a listed summary it carries the ordering key SageMaker listed, so an
    archiver that already holds that state (an event got there first) skips the describe."""
    listed = None
    if "AutoMLJobStatus" in summary and "LastModifiedTime" in summary:
        listed = ordering_key(summary["AutoMLJobStatus"], summary["LastModifiedTime"])
    return reference_body(summary["AutoMLJobName"], origin, listed_ordering=listed, source=source)


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
    # the spokes this pass could not read (each keeps its watermark; the next pass tries again)
    failed_spokes: tuple[str, ...] = field(default=())


class ReconcileSweep:
    def __init__(
        self,
        sagemaker: SageMakerGateway,
        store: JobStore,
        queue: WorkQueue,
        policy: SweepPolicy,
        clock: Callable[[], datetime],
        metrics: MetricsSink,
        spokes: tuple[JobSource, ...] = (),
        spoke_gateways: SpokeGateways | None = None,
    ) -> None:
        """`spokes`: the registered spokes swept after the hub's own account and Region, each through
        `spoke_gateways` with its own watermark."""
        self._spokes = spokes
        self._spoke_gateways = spoke_gateways
        self._sagemaker = sagemaker
        self._store = store
        self._queue = queue
        self._policy = policy
        self._clock = clock
        self._metrics = metrics

    def run(self, out_of_time: Callable[[], bool] = lambda: False) -> SweepReport:
        """One pass over the hub's own account and Region, then each spoke; each source's watermark
        advances to this pass's start only if every page of it was handed off. A spoke that fails is
        counted and skipped: it never holds up the hub or the other spokes."""
        started = self._clock()
        self._finish_due_alerts()
        self._finish_due_events()
        report = self._sweep_source(None, self._sagemaker, started, out_of_time)
        failed: list[str] = []
        for source in self._spokes:
            if out_of_time():
                logger.warning("Sweep out of time before every spoke", extra={"spoke": str(source)})
                return self._combined(report, complete=False, failed=failed)
            try:
                if self._spoke_gateways is None:
                    raise RuntimeError("no SageMaker gateway for spokes")
                spoke = self._sweep_source(source, self._spoke_gateways.gateway(source), started, out_of_time)
            except Exception as error:  # role deleted, Region disabled, throttled: the others go on
                failed.append(str(source))
                if self._spoke_gateways is not None:
                    self._spoke_gateways.forget(source)  # the next pass assumes the role afresh
                self._metrics.count(SWEEP_SPOKE_FAILURES)  # one metric for the alarm; the log says which
                logger.warning(
                    "Spoke not swept; its watermark is kept",
                    extra={"spoke": str(source), "error": f"{type(error).__name__}: {str(error)[:300]}"},
                )
                continue
            report = self._combined(report, complete=report.complete and spoke.complete, failed=(), add=spoke)
        return self._combined(report, complete=report.complete and not failed, failed=failed)

    @staticmethod
    def _combined(
        report: SweepReport, complete: bool, failed: Iterable[str], add: SweepReport | None = None
    ) -> SweepReport:
        return SweepReport(
            listed=report.listed + (add.listed if add else 0),
            enqueued=report.enqueued + (add.enqueued if add else 0),
            complete=complete,
            since=report.since,
            watermark=report.watermark,
            failed_spokes=report.failed_spokes + tuple(failed),
        )

    def _sweep_source(
        self,
        source: JobSource | None,
        sagemaker: SageMakerGateway,
        started: datetime,
        out_of_time: Callable[[], bool],
    ) -> SweepReport:
        """List one source's jobs modified since its watermark and hand over those not archived."""
        name = watermark_name(SWEEP_WATERMARK, source)
        invalid = False
        try:
            watermark = self._store.get_watermark(name)
        except InvalidWatermark as error:
            # Corrupted or edited by hand: look back as a first pass would, and replace it when done.
            logger.warning("Sweep watermark invalid; using the initial look-back", extra={"value": error.value})
            self._metrics.count(SWEEP_WATERMARK_INVALID)
            watermark, invalid = None, True
        since = (watermark or started - self._policy.initial_lookback) - self._policy.overlap
        listed = enqueued = 0
        for page in sagemaker.job_summary_pages(LastModifiedTimeAfter=since):
            listed += len(page)
            stored = self._store.stored_orderings([job_key(summary["AutoMLJobName"], source) for summary in page])
            todo = summaries_needing_archive(page, stored, source)
            self._queue.send_batch([job_reference(summary, "sweep", source) for summary in todo])
            enqueued += len(todo)
            if out_of_time():
                logger.warning("Sweep stopped before its last page; watermark kept", extra={"listed": listed})
                return self._report(listed, enqueued, complete=False, since=since, watermark=watermark)
        self._store.advance_watermark(name, started, replace_invalid=invalid)
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
            self._queue.send_batch([reference_body(job.name, ALERT_DUE_ORIGIN, source=job.source) for job in due])
            logger.info("Alerts still due handed over", extra={"jobs": len(due)})
        self._metrics.count(SWEEP_ALERTS_DUE, len(due))

    def _finish_due_events(self) -> None:
        """Hand over every job with a state-change event the bus has not accepted (its put failed past
        the queue's retries): the archiver puts it from the store. The reference carries the stored
        state's ordering key, so the archiver publishes without describing the job again."""
        due = self._store.jobs_with_event_due()
        if due:
            stored = self._store.stored_orderings([job.key for job in due])
            self._queue.send_batch(
                [
                    reference_body(job.name, EVENT_DUE_ORIGIN, listed_ordering=stored.get(job.key), source=job.source)
                    for job in due
                ]
            )
            logger.info("State-change events still due handed over", extra={"jobs": len(due)})
        self._metrics.count(SWEEP_EVENTS_DUE, len(due))

    @staticmethod
    def _report(listed: int, enqueued: int, complete: bool, since: datetime, watermark: datetime | None) -> SweepReport:
        report = SweepReport(listed=listed, enqueued=enqueued, complete=complete, since=since, watermark=watermark)
        logger.info("Sweep finished", extra={"listed": listed, "enqueued": enqueued, "complete": complete})
        return report
