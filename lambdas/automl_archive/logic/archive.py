"""Archives one AutoML job's current state: describe, archive, keep the latest, alert, publish its event.

The rules that make duplicated, out-of-order events safe:
- every DynamoDB write is conditional on the state's ordering key, so nothing regresses;
- S3 keys are derived from the state, so a repeated write lands on the same key;
- an alert is claimed per job and terminal status before it is published (logic/alert_delivery.py);
- a state's AutoML Job State Change event is stored in the write that archives the state, and put on
  the bus after the alert, never before an earlier state's event (logic/event_delivery.py).

A running job is not followed here: SageMaker emits no AutoML event, and the states no event
announces are found by the reconcile pass (logic/reconcile.py), which runs every minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from automl_archive.contracts.archive_layout import (
    JSON_CONTENT_TYPE,
    JSON_LINES_CONTENT_TYPE,
    iso,
    json_document,
    json_lines,
    raw_key,
    record_key,
)
from automl_archive.contracts.job_identity import JobId, JobSource
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.contracts.job_table import ALERT_DUE_ATTRIBUTE
from automl_archive.contracts.metric_names import (
    ARCHIVE_LAG_SECONDS,
    CHILD_JOBS_SKIPPED,
    DESCRIBES,
    DESCRIBES_SKIPPED,
    DUPLICATE_EVENTS_SKIPPED,
    DUPLICATE_STATES,
    JOBS_FINISHED,
    JOBS_FINISHED_DIMENSION,
    JOBS_NOT_FOUND,
    MESSAGES_FROM_UNREGISTERED_SOURCES,
    STATES_ARCHIVED,
)
from automl_archive.contracts.spoke import SpokeAccess, UnregisteredSource
from automl_archive.dal.interfaces import (
    Archive,
    EventBus,
    JobNotFound,
    JobStore,
    MetricsSink,
    Notifier,
    SageMakerGateway,
    SpokeGateways,
    StateChangeEvent,
    StoredJob,
)
from automl_archive.logic.alert_delivery import AlertDecision, AlertDelivery, AlertPolicy
from automl_archive.logic.child_jobs import archive_child_job
from automl_archive.logic.describe import describe_job
from automl_archive.logic.event_delivery import Delivery, EventDelivery, EventsStillDue
from automl_archive.logic.leaderboard import archive_leaderboard
from automl_archive.logic.normalise import normalise
from automl_archive.logic.resolve import ChildJobResolver
from automl_archive.logic.skip_rules import is_copy, is_progress, listed_newer, needless_describe, seen_entry
from automl_archive.logic.state import ordering_key, state_id
from automl_archive.logic.stored_state import record_from_state, state_summary
from automl_archive.models.messages import (
    BACKFILL_ORIGIN,
    CLI_ORIGIN,
    EVENT_DUE_ORIGIN,
    ChildJobEvent,
    JobReference,
    WorkItem,
)
from automl_archive.observability import logger

SEEN_EVENTS_LIMIT = 200  # fingerprints remembered per job state (a tuning phase emits many events)
# Freshness is measured for states the product should have seen as they happened: not for history an
# operator backfills, nor for states older than this (a first sweep's look-back archives weeks of them).
FRESHNESS_HORIZON_SECONDS = 86_400
HISTORY_ORIGINS = frozenset({BACKFILL_ORIGIN})
# An operator's work: no alert unless the reference asks for it (docs/operations-cli.md).
OPERATOR_ORIGINS = frozenset({BACKFILL_ORIGIN, CLI_ORIGIN})


class Outcome(StrEnum):
    ARCHIVED = "archived"  # a newer state was written
    UNCHANGED = "unchanged"  # described, but the archive already held this state
    ALREADY_FINAL = "already-final"  # the archive holds a terminal state: no describe needed
    ALERT_FINISHED = "alert-finished"  # a stored terminal state's due alert, sent from the store
    NOT_AUTOML = "not-automl"  # a child job that belongs to no AutoML job
    JOB_NOT_FOUND = "job-not-found"
    SAME_BATCH = "same-batch"  # the job was already archived by an earlier record of this batch
    ALREADY_CURRENT = "already-current"  # the reconcile pass listed a state the archive already holds
    PROGRESS_ABSORBED = "progress-absorbed"  # child-job progress that cannot announce a new state
    DUPLICATE_EVENT = "duplicate-event"  # a copy of an event already handled at the stored state
    UNREGISTERED_SOURCE = "unregistered-source"  # from an account or Region the hub does not read


@dataclass(frozen=True)
class ArchivePolicy:
    alert_on: frozenset[str]
    alert_claim_lease_seconds: int
    alert_max_age_seconds: int = 86_400


@dataclass(frozen=True)
class StateMarks:
    """What the archiver stores with a new state besides its record."""

    seen: str | None  # the fingerprint of the event that found it
    probed_kind: str | None  # the child-job kind whose progress event found it
    alert: AlertDecision  # its alert: due (the AlertsDue index key), or settled without one (history)
    historical: bool  # learned of late (its event says so)


@dataclass(frozen=True)
class ArchivedState:
    record: dict[str, Any]
    ordering: int
    written: bool  # False when the archive already held this state or a newer one
    record_key: str
    # the job's events due after a write that stored this state's event (None: no such write)
    pending_events: tuple[StateChangeEvent, ...] | None = None


class JobArchiver:
    def __init__(
        self,
        sagemaker: SageMakerGateway,
        store: JobStore,
        archive: Archive,
        notifier: Notifier,
        resolver: ChildJobResolver,
        policy: ArchivePolicy,
        clock: Callable[[], datetime],
        metrics: MetricsSink,
        bus: EventBus | None = None,
        access: SpokeAccess | None = None,
        spokes: SpokeGateways | None = None,
    ) -> None:
        """`access` None: every job is the hub's own (an environment from before spokes); `spokes` reads
        SageMaker in a registered spoke (None: no spoke is registered)."""
        self._sagemaker = sagemaker
        self._access = access
        self._spokes = spokes
        self._store = store
        self._archive = archive
        self._notifier = notifier
        self._resolver = resolver
        self._policy = policy
        self._clock = clock
        self._metrics = metrics
        self._known_api: dict[str, DescribeApi] = {}  # warm-container memory of which describe works per job
        self._alerts = AlertDelivery(
            store,
            notifier,
            archive,
            AlertPolicy(policy.alert_on, policy.alert_claim_lease_seconds, policy.alert_max_age_seconds),
            clock,
            metrics,
            account_alias=access.account_alias if access else (lambda _account: ""),
        )
        self._events = EventDelivery(store, bus, metrics)

    def process(
        self, item: WorkItem, message_id: str, archived_in_batch: set[str], first_delivery: bool = True
    ) -> Outcome:
        """Handle one work item.

        `archived_in_batch` holds the jobs an earlier record of this batch described and finished; a
        later first delivery for the same job is skipped. A redelivered message is never skipped: it
        may hold an alert claim that only it can finish.
        """
        try:
            source = (
                self._access.source_of_envelope(*item.stated_source) if self._access and item.stated_source else None
            )
        except UnregisteredSource as error:
            # Admitted by the bus (or sent to the queue) but not registered: nothing there is read.
            self._metrics.count(MESSAGES_FROM_UNREGISTERED_SOURCES)
            logger.warning("Message from an unregistered account or Region; acknowledged", extra={"reason": str(error)})
            return Outcome.UNREGISTERED_SOURCE
        try:
            return self._process_from(source, item, message_id, archived_in_batch, first_delivery)
        except Exception:
            if source is not None and self._spokes is not None:
                # The spoke's session may be what failed (its role deleted and restored): the retry
                # assumes the role again rather than reuse it.
                self._spokes.forget(source)
            raise

    def _process_from(
        self,
        source: JobSource | None,
        item: WorkItem,
        message_id: str,
        archived_in_batch: set[str],
        first_delivery: bool,
    ) -> Outcome:
        sagemaker = self._gateway(source)
        if isinstance(item, ChildJobEvent):
            resolution = self._resolver.resolve(item, sagemaker, source)
            if resolution.job_name is None:
                self._metrics.count(CHILD_JOBS_SKIPPED)
                return Outcome.NOT_AUTOML
            item = JobReference(
                job_name=resolution.job_name,
                origin=f"event:{item.kind}",
                fingerprint=item.fingerprint,
                child_kind=item.kind.value,
                child_status=item.child_status,
                occurred_at=item.occurred_at,
                child_usage=item.child_usage,
            )
        job = JobId(item.job_name, source)
        if item.child_usage is not None:
            archive_child_job(self._archive, self._metrics, job.key, item.job_name, item.child_usage, self._clock())
        if job.key in archived_in_batch and first_delivery:
            return Outcome.SAME_BATCH
        outcome = self._archive_job(item, job, sagemaker, message_id)
        if outcome in (Outcome.ARCHIVED, Outcome.UNCHANGED):
            archived_in_batch.add(job.key)
        return outcome

    def _source_of(self, stated: tuple[str, str] | None) -> JobSource | None:
        """The registered source a message states (None: the hub's own); UnregisteredSource otherwise."""
        if self._access is None or stated is None:
            return None
        return self._access.source_of_envelope(*stated)

    def _gateway(self, source: JobSource | None) -> SageMakerGateway:
        if source is None:
            return self._sagemaker
        if self._spokes is None:  # a registered spoke needs its gateway: a wiring error, retried
            raise RuntimeError(f"no SageMaker gateway for spoke {source}")
        return self._spokes.gateway(source)

    def _archive_job(
        self, reference: JobReference, job: JobId, sagemaker: SageMakerGateway, message_id: str
    ) -> Outcome:
        job_key = job.key
        logger.append_keys(automl_job=reference.job_name, origin=reference.origin, source=str(job.source or "hub"))
        stored = self._store.load_job(job_key)
        outcome, written_pending = self._archive_stored(reference, job, sagemaker, stored, message_id)
        # Then the job's state-change events, oldest first: those earlier states left due and the one
        # just written (the write returned them all). A bus that fails holds up neither the archive nor
        # the alert, which are done; the record is retried (a hand-over waits for the next pass instead).
        delivery = self._events.publish(
            job_key,
            stored.pending_events if written_pending is None else written_pending,
            marked_due=stored.event_due or written_pending is not None,
            unreadable=stored.unreadable_events,
        )
        if delivery is Delivery.FAILED and reference.origin != EVENT_DUE_ORIGIN:
            raise EventsStillDue(f"{reference.job_name}: a state-change event is still due; the record is retried")
        return outcome

    def _archive_stored(
        self,
        reference: JobReference,
        job: JobId,
        sagemaker: SageMakerGateway,
        stored: StoredJob,
        message_id: str,
    ) -> tuple[Outcome, tuple[StateChangeEvent, ...] | None]:
        """Describe and archive the job given what the store holds; returns the outcome and, when a new
        state was written with its event, the job's events due after that write (else None)."""
        job_key = job.key
        state = stored.state
        if (
            state is not None
            and state.is_terminal
            and not reference.force
            and not listed_newer(reference, state)  # SageMaker lists a later terminal state: archive it
        ):
            self._metrics.count(DESCRIBES_SKIPPED)
            operator_history = reference.origin in OPERATOR_ORIGINS and not reference.alerts
            if self._alerts.settled(state, stored.alerts_sent) or operator_history:
                return Outcome.ALREADY_FINAL, None
            # The alert of a stored terminal state is still due: finish it from the store, whatever a
            # describe would answer now (a stale InProgress, a transient not-found).
            record = record_from_state(state)
            self._alerts.deliver(job_key, record, record["raw_s3_key"], record["record_s3_key"], message_id)
            return Outcome.ALERT_FINISHED, None
        if (
            state is not None
            and not state.is_terminal  # a terminal state gets here only when forced or listed newer
            and not reference.force
            and is_copy(reference.fingerprint, message_id, state.seen_events)
        ):
            # Another message carried this event and was handled at the state still stored; if that
            # message failed afterwards, its own redelivery finishes the work.
            self._metrics.count(DUPLICATE_EVENTS_SKIPPED)
            return Outcome.DUPLICATE_EVENT, None
        if state is not None and not state.is_terminal and not reference.force:
            skipped = needless_describe(reference, state)
            if skipped is not None:
                self._metrics.count(DESCRIBES_SKIPPED)
                return Outcome(skipped.value), None
        try:
            answer, api = self._describe(reference, job_key, sagemaker, state.describe_api if state else None)
        except JobNotFound:
            self._metrics.count(JOBS_NOT_FOUND)
            logger.warning("AutoML job not found; acknowledged", extra={"job_name": reference.job_name})
            return Outcome.JOB_NOT_FOUND, None
        self._known_api[job_key] = api
        seen = seen_entry(reference.fingerprint, message_id)
        probed_kind = reference.child_kind if is_progress(reference) else None
        # An operator's backfill or archive is history unless it asked for alerts (--alerts).
        alert = self._alerts.decide(
            answer,
            stored.alerts_sent,
            history=reference.origin in OPERATOR_ORIGINS and not reference.alerts,
            requested=reference.alerts,
        )
        historical = self._is_history(reference, answer["LastModifiedTime"])
        archived = self._archive_if_newer(
            job_key, sagemaker, answer, api, stored, StateMarks(seen, probed_kind, alert, historical)
        )
        if archived.written and not historical:
            self._observe_freshness(answer["LastModifiedTime"])
        record = archived.record
        if seen and not archived.written and not record["is_terminal"]:
            self._store.remember_event(job_key, seen, SEEN_EVENTS_LIMIT, probed_kind=probed_kind)
        outcome = Outcome.ARCHIVED if archived.written else Outcome.UNCHANGED
        if record["is_terminal"] and alert.deliver:
            self._alerts.deliver(job_key, record, record["raw_s3_key"], archived.record_key, message_id)
        logger.info(
            "Job state archived",
            extra={"outcome": outcome.value, "status": record["status"], "state_id": record["state_id"]},
        )
        return outcome, archived.pending_events

    def _is_history(self, reference: JobReference, last_modified: datetime) -> bool:
        """A state the archive learns of late: an operator's backfill, or one recorded long ago (a first
        sweep's look-back). Its freshness is not measured, and its event says `historical`."""
        lag = (self._clock() - last_modified).total_seconds()
        return reference.origin in HISTORY_ORIGINS or lag > FRESHNESS_HORIZON_SECONDS

    def _observe_freshness(self, last_modified: datetime) -> None:
        """How late the archive holds a state: one ArchiveLagSeconds value per newly archived state."""
        lag = (self._clock() - last_modified).total_seconds()
        if lag >= 0:
            self._metrics.seconds(ARCHIVE_LAG_SECONDS, round(lag, 3))

    def _describe(
        self, reference: JobReference, job_key: str, sagemaker: SageMakerGateway, stored_api: DescribeApi | None
    ) -> tuple[dict[str, Any], DescribeApi]:
        known_api = self._known_api.get(job_key) or stored_api or reference.api_hint
        self._metrics.count(DESCRIBES)
        return describe_job(sagemaker, reference.job_name, known_api)

    def _archive_if_newer(
        self,
        job_key: str,
        sagemaker: SageMakerGateway,
        answer: dict[str, Any],
        api: DescribeApi,
        stored: StoredJob,
        marks: StateMarks,
    ) -> ArchivedState:
        ordering = ordering_key(answer["AutoMLJobStatus"], answer["LastModifiedTime"])
        now = self._clock()
        state_name = state_id(
            answer["AutoMLJobStatus"], answer.get("AutoMLJobSecondaryStatus", ""), answer["LastModifiedTime"]
        )
        raw_s3_key = raw_key(job_key, state_name)
        record = normalise(answer, api, raw_s3_key=raw_s3_key, archived_at=now)
        record_s3_key = record_key(job_key, record)
        written = False
        pending: tuple[StateChangeEvent, ...] | None = None
        if stored.state is None or ordering > stored.state.ordering:
            if record["is_terminal"]:
                archive_leaderboard(sagemaker, self._archive, self._metrics, job_key, record, now)
            # S3 first, DynamoDB last: the item never points at an object that does not exist.
            raw = {"DescribeApi": api, "DescribedAt": iso(now), "Response": answer}
            self._archive.put_json(raw_s3_key, json_document(raw), JSON_CONTENT_TYPE)
            self._archive.put_json(record_s3_key, json_lines([record]), JSON_LINES_CONTENT_TYPE)
            summary = state_summary(record, record_s3_key)
            summary["seen_events"] = frozenset({marks.seen} if marks.seen else ())  # reset at each new state
            # A new state is probed only by the progress event that found it (None removes the attribute).
            summary["probed_kinds"] = frozenset({marks.probed_kind}) if marks.probed_kind else None
            summary[ALERT_DUE_ATTRIBUTE] = marks.alert.due  # the sparse index of alerts still due
            if marks.alert.not_sent:  # settled without an alert, in the same write: never sent later
                summary.update(self._alerts.not_sent_marks(record["status"], marks.alert.not_sent))
            event = self._events.event_for(
                record,
                ordering,
                previous_status=stored.state.status if stored.state else None,
                locations=(self._archive.location(raw_s3_key), self._archive.location(record_s3_key)),
                historical=marks.historical,
                pending=len(stored.pending_events),
            )
            saved = self._store.save_state(job_key, ordering, summary, event)
            written = saved.written
            pending = saved.pending_events if written and event is not None else None
            if written and record["is_terminal"]:
                self._metrics.count_by(JOBS_FINISHED, JOBS_FINISHED_DIMENSION, record["status"])
        self._metrics.count(STATES_ARCHIVED if written else DUPLICATE_STATES)
        return ArchivedState(
            record=record,
            ordering=ordering,
            written=written,
            record_key=record_s3_key,
            pending_events=pending,
        )
