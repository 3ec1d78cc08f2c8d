"""The AutoML Job State Change event: one per newly archived state, on the configured bus, in state order.

A state's event is stored with the state, in the same conditional write (so a duplicate, stale or
replayed state never makes one). After the state's archive and alert, the job's due events are put on
the bus, oldest first, and each is removed from the store once the bus accepted it. What a failure
leaves stays due on the state item: the next record of that job, the queue's retry of this one, or the
reconcile pass (which reads the EventsDue index every minute) puts it, before any newer event of the
job. Delivery is at least once: a crash between put and removal, an SDK retry of a put whose answer was
lost, or two archivers of one job at once can put an event twice (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from automl_archive.contracts.job_table import PENDING_EVENTS_LIMIT
from automl_archive.contracts.metric_names import (
    STATE_CHANGE_EVENTS_DROPPED,
    STATE_CHANGE_EVENTS_FAILED,
    STATE_CHANGE_EVENTS_PUBLISHED,
)
from automl_archive.contracts.state_change_event import state_change_detail
from automl_archive.dal.interfaces import EventBus, JobStore, MetricsSink, StateChangeEvent
from automl_archive.observability import logger

# Events put by one record at most: a job with many due (a long outage) is finished by later records
# and the minute pass, so one record's time stays bounded.
MAX_EVENTS_PER_RECORD = 10


class Delivery(StrEnum):
    DONE = "done"  # nothing of the job is left due
    MORE_DUE = "more-due"  # this record put its share; the rest is handed over by the next passes
    FAILED = "failed"  # the bus refused or failed an event: it and every later one stay due


class EventsStillDue(Exception):
    """A state-change event could not be put or its removal stored: the record is retried (the archive
    and the alert are done), and the event stays due until the bus accepts it."""


class EventDelivery:
    def __init__(self, store: JobStore, bus: EventBus | None, metrics: MetricsSink) -> None:
        self._store = store
        self._bus = bus  # None: the stack publishes no events
        self._metrics = metrics
        # Events this container put whose removal was not stored yet: a retry here only removes them.
        self._put: set[tuple[str, int]] = set()

    def event_for(
        self,
        record: dict[str, Any],
        ordering: int,
        previous_status: str | None,
        locations: tuple[str, str],
        historical: bool,
        pending: int,
    ) -> StateChangeEvent | None:
        """The event to store with a newly archived state (None: events are off, or too many are due)."""
        if self._bus is None:
            return None
        if pending >= PENDING_EVENTS_LIMIT:
            self._metrics.count(STATE_CHANGE_EVENTS_DROPPED)
            logger.error(
                "State-change event dropped: too many of this job's events are still due",
                extra={"state_id": record["state_id"], "pending_events": pending},
            )
            return None
        raw_uri, record_uri = locations
        detail = state_change_detail(record, previous_status, raw_uri, record_uri, historical=historical)
        return StateChangeEvent(ordering=ordering, job_arn=record["job_arn"], detail=detail)

    def publish(
        self,
        job_key: str,
        events: Sequence[StateChangeEvent],
        marked_due: bool = True,
        unreadable: Sequence[str] = (),
    ) -> Delivery:
        """Put the job's due events in state order (at most MAX_EVENTS_PER_RECORD), each removed from the
        store once accepted; stops at the first failure (a later event never overtakes an earlier one).
        Then takes the job off the index of events due (`marked_due`: it is on it)."""
        if unreadable:  # not events (edited by hand): never put, removed so the job can leave the index
            self._metrics.count(STATE_CHANGE_EVENTS_DROPPED, len(unreadable))
            logger.error("Unreadable state-change events removed", extra={"elements": [e[:200] for e in unreadable]})
            self._store.discard_unreadable_events(job_key, tuple(unreadable))
        if not events and not marked_due and not unreadable:
            return Delivery.DONE
        ordered = sorted(events, key=lambda due: due.ordering)
        cleared = False
        for event in ordered[:MAX_EVENTS_PER_RECORD]:
            try:
                self._put_once(job_key, event)
                cleared = self._store.event_published(job_key, event)
            except Exception as error:  # the event stays due; the archive and the alert are already done
                self._metrics.count(STATE_CHANGE_EVENTS_FAILED)
                logger.warning(
                    "State-change event still due",
                    extra={"state_id": event.state_id, "error": f"{type(error).__name__}: {error}"},
                )
                return Delivery.FAILED
            self._put.discard((job_key, event.ordering))
        if len(ordered) > MAX_EVENTS_PER_RECORD:
            return Delivery.MORE_DUE
        if cleared:
            return Delivery.DONE
        try:
            # False: an event is still due (a newer state's, which its writer puts, or one another
            # archiver is putting); the job stays on the index and the minute pass looks again.
            self._store.clear_event_due(job_key)
        except Exception as error:
            logger.warning("Event-due mark not cleared", extra={"error": f"{type(error).__name__}: {error}"})
            return Delivery.FAILED
        return Delivery.DONE

    def _put_once(self, job_key: str, event: StateChangeEvent) -> None:
        if self._bus is None:  # events turned off since this one was stored: discarded, counted
            self._metrics.count(STATE_CHANGE_EVENTS_DROPPED)
            return
        if (job_key, event.ordering) in self._put:
            return
        event_id = self._bus.put(event)
        self._put.add((job_key, event.ordering))
        self._metrics.count(STATE_CHANGE_EVENTS_PUBLISHED)
        logger.info("State-change event published", extra={"state_id": event.state_id, "event_id": event_id})
