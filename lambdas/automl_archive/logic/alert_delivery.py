"""Alerts: at most one per job and terminal status, published to the alerts topic.

The claim lives on the job's state item; the "sent" mark removes the state from the index of alerts
still due, which the reconcile pass reads to finish what a failure left (docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from automl_archive.contracts.archive_layout import iso
from automl_archive.contracts.job_table import ALERT_DUE_VALUE, alert_notification_attribute, alert_sent_attribute
from automl_archive.contracts.metric_names import (
    ALERT_MARKS_FAILED,
    ALERTS_DEDUPLICATED,
    ALERTS_NOT_SENT_FOR_HISTORY,
    ALERTS_SENT,
)
from automl_archive.dal.interfaces import Archive, JobStore, MetricsSink, Notifier, StoredState
from automl_archive.logic.alerts import build_alert
from automl_archive.logic.state import alert_category, is_terminal
from automl_archive.observability import logger


@dataclass(frozen=True)
class AlertPolicy:
    alert_on: frozenset[str]  # alert categories that alert (the stack's alert_on_statuses)
    claim_lease_seconds: int  # how long a claim holds before another message may take it over
    max_age_seconds: int = 86_400  # a job that ended longer before it was archived is history


@dataclass(frozen=True)
class AlertDecision:
    """A described state's alert: due (`due`, the AlertsDue marker); settled without one (`not_sent` says
    why: the job ended too long ago); withheld (`deliver` False, nothing stored: an operator's backfill
    of a recent failure, which a live event of the job may still alert); or nothing to decide (not an
    alerting terminal state, or already sent: delivery deduplicates)."""

    due: str | None = None
    not_sent: str | None = None
    deliver: bool = True


class AlertDelivery:
    def __init__(
        self,
        store: JobStore,
        notifier: Notifier,
        archive: Archive,
        policy: AlertPolicy,
        clock: Callable[[], datetime],
        metrics: MetricsSink,
        account_alias: Callable[[str], str] = lambda _account: "",
    ) -> None:
        """`account_alias`: an account's alias where known (the spoke registry's), else ""."""
        self._account_alias = account_alias
        self._store = store
        self._notifier = notifier
        self._archive = archive
        self._policy = policy
        self._clock = clock
        self._metrics = metrics
        # Alerts this container published whose "sent" mark has not been stored yet: a retry here
        # stores the mark without publishing again.
        self._published: dict[tuple[str, str], str] = {}

    def decide(
        self, answer: dict[str, Any], alerts_sent: frozenset[str], history: bool, requested: bool = False
    ) -> AlertDecision:
        """Whether a described state's alert is due. Alerts are for failures people can still act on:
        not for a job that ended more than the policy's age before now (a first sweep's look-back), nor
        for `history` (an operator's backfill or archive); unless the operator `requested` alerts."""
        status = answer["AutoMLJobStatus"]
        if not is_terminal(status) or alert_category(answer) not in self._policy.alert_on or status in alerts_sent:
            return AlertDecision()
        if requested:
            return AlertDecision(due=ALERT_DUE_VALUE)
        ended = answer.get("EndTime") or answer["LastModifiedTime"]
        age = (self._clock() - ended).total_seconds()
        if age > self._policy.max_age_seconds:
            hours = self._policy.max_age_seconds // 3600
            return AlertDecision(
                not_sent=f"ended {int(age // 3600)} h before it was archived (over {hours} h)", deliver=False
            )
        if history:
            return AlertDecision(deliver=False)
        return AlertDecision(due=ALERT_DUE_VALUE)

    def not_sent_marks(self, status: str, reason: str) -> dict[str, str]:
        """The state item's attributes that settle a terminal status without an alert, saying why."""
        self._metrics.count(ALERTS_NOT_SENT_FOR_HISTORY)
        logger.info("Alert not sent: the state is history", extra={"status": status, "reason": reason})
        return {
            alert_sent_attribute(status): iso(self._clock()) or "",
            alert_notification_attribute(status): f"not-sent: {reason}",
        }

    def settled(self, state: StoredState, alerts_sent: frozenset[str]) -> bool:
        """True when a terminal state needs nothing more: no alert due, or it was sent."""
        return state.alert_category not in self._policy.alert_on or state.status in alerts_sent

    def deliver(
        self, job_key: str, record: dict[str, Any], raw_s3_key: str, record_s3_key: str, message_id: str
    ) -> None:
        """At most one alert per job and terminal status (barring a crash between publish and mark).

        The claim carries the SQS message id as owner and a lease: a redelivery of the same message
        may re-publish after a crash, a different message may only take over an expired claim.
        """
        category = record["alert_category"]
        if category not in self._policy.alert_on:
            return
        now = int(self._clock().timestamp())
        status = record["status"]
        if not self._store.claim_alert(job_key, status, message_id, now, now + self._policy.claim_lease_seconds):
            self._metrics.count(ALERTS_DEDUPLICATED)
            return
        notification_id = self._published.get((job_key, status))
        if notification_id is None:
            alert = build_alert(
                record,
                self._archive.location(raw_s3_key),
                self._archive.location(record_s3_key),
                self._account_alias(record.get("account_id") or ""),
            )
            notification_id = self._notifier.publish(alert.subject, alert.message, alert.attributes, alert.chat)
            self._published[(job_key, status)] = notification_id
            self._metrics.count(ALERTS_SENT)
            logger.info("Alert sent", extra={"alert_category": category, "notification_id": notification_id})
        try:
            self._store.mark_alert_sent(job_key, status, iso(self._clock()) or "", notification_id)
        except Exception as error:  # the alert is out: a retry of this record must not repeat it
            # The record is acknowledged: its redelivery would publish again. The alert stays due in
            # the store; the reconcile pass hands it over after the claim's lease, and this container
            # then only stores the mark (another container would publish once more: docs/reliability.md).
            self._metrics.count(ALERT_MARKS_FAILED)
            logger.error("Alert sent but not marked sent", extra={"error": f"{type(error).__name__}: {error}"})
            return
        self._published.pop((job_key, status), None)
