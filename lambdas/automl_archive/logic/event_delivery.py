"""The AutoML Job State Change event: one per newly archived state, on the configured bus, in state order.

A state's event is stored with the state, in the same conditional write (so a duplicate, stale or
replayed state never makes one), then put on the bus after the state's alert, and removed from the
store once the bus accepted it. What a failure leaves stays due on the state item: the next record of
that job, the queue's retry of this one, or the reconcile pass (which reads the EventsDue index every
minute) puts it, before any newer event of the job. Delivery is at least once: a crash between put and
removal, or two archivers of one job at once, can put an event twice (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def publish(self, job_key: str, events: Sequence[StateChangeEvent], marked_due: bool = True) -> bool:
        """Put the job's due events in state order, each removed from the store once accepted; stops at
        the first failure (a later event never overtakes an earlier one). Then takes the job off the
        index of events due (`marked_due`: it is on it). True when none is left due."""
        if not events and not marked_due:
            return True
        cleared = False
        for event in sorted(events, key=lambda due: due.ordering):
            try:
                self._put_once(job_key, event)
                cleared = self._store.event_published(job_key, event)
            except Exception as error:  # the event stays due; the record is retried after the archive's work
                self._metrics.count(STATE_CHANGE_EVENTS_FAILED)
                logger.warning(
                    "State-change event still due",
                    extra={"state_id": event.state_id, "error": f"{type(error).__name__}: {error}"},
                )
                return False
            self._put.discard((job_key, event.ordering))
        if cleared:
            return True
        try:
            self._store.clear_event_due(job_key)  # False: a newer state's event is due, its writer puts it
        except Exception as error:
            logger.warning("Event-due mark not cleared", extra={"error": f"{type(error).__name__}: {error}"})
            return False
        return True

    def _put_once(self, job_key: str, event: StateChangeEvent) -> None:
        if self._bus is None:  # events turned off since this one was stored: discard it
            return
        if (job_key, event.ordering) in self._put:
            return
        event_id = self._bus.put(event)
        self._put.add((job_key, event.ordering))
        self._metrics.count(STATE_CHANGE_EVENTS_PUBLISHED)
        logger.info("State-change event published", extra={"state_id": event.state_id, "event_id": event_id})
