"""When a message needs no describe: the archive already holds what it could announce.

Every rule here only saves a SageMaker call; none can lose a state, because a state no event
announces is listed by the reconcile pass within a minute (logic/reconcile.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from automl_archive.dal.interfaces import StoredState
from automl_archive.models.messages import JobReference

# Child-job statuses that suggest the AutoML job itself failed or stopped: always worth a describe.
FAILURE_EVIDENCE = frozenset({"Failed", "Stopped", "Stopping"})


class Skip(StrEnum):
    ALREADY_CURRENT = "already-current"  # the reconcile pass listed a state the archive already holds
    PROGRESS_ABSORBED = "progress-absorbed"  # child-job progress that cannot announce a new state


def needless_describe(reference: JobReference, state: StoredState) -> Skip | None:
    """Why describing this running job now would learn nothing new, if it would not.

    - The reconcile pass listed a state the archive already holds (an event got there first).
    - A child job's progress (not its failure or stop) that happened no later than the archive's
      look at the stored state (its LastModifiedTime, or when it was archived): the describe made
      then already saw what the event could announce (a phase's own first events, late events).
    - A child job's progress at a state that a progress event of the same kind of child job
      (training, tuning, processing, transform) already described and found current: each state
      pays for at most one such probe per kind. Autopilot's phases change the kind of child job
      that runs, so a new phase's first event still describes; a change announced only by a
      repeated kind is listed by the next reconcile pass, within a minute (a state shorter than
      that can be missed: docs/reliability.md).
    """
    if reference.listed_ordering is not None and state.ordering >= reference.listed_ordering:
        return Skip.ALREADY_CURRENT
    if is_progress(reference) and (
        reference.child_kind in state.probed_kinds or happened_by(reference.occurred_at, state)
    ):
        return Skip.PROGRESS_ABSORBED
    return None


def happened_by(moment: datetime | None, state: StoredState) -> bool:
    """True when `moment` is no later than the archive's look at the stored state.

    EventBridge stamps events to the second (truncated), so an event in the same second as the look
    counts as seen by it.
    """
    looks = [
        datetime.fromisoformat(value)
        for value in (state.attributes.get("last_modified_time"), state.attributes.get("archived_at"))
        if isinstance(value, str)
    ]
    return moment is not None and bool(looks) and moment <= max(looks)


def listed_newer(reference: JobReference, state: StoredState) -> bool:
    """The reconcile pass listed this job at a later state than the archive holds (e.g. a Completed job
    that SageMaker later reports with a deployed endpoint or a ModelDeploymentError)."""
    return reference.listed_ordering is not None and reference.listed_ordering > state.ordering


def is_progress(reference: JobReference) -> bool:
    """A child-job event that reports progress (started, completed), not a failure or a stop."""
    return reference.child_status is not None and reference.child_status not in FAILURE_EVIDENCE


def seen_entry(fingerprint: str | None, message_id: str) -> str | None:
    """What the state remembers of a handled event: its fingerprint and the message that carried it."""
    return f"{fingerprint}|{message_id}" if fingerprint else None


def is_copy(fingerprint: str | None, message_id: str, seen_events: frozenset[str]) -> bool:
    """True when another message already carried this event (a redelivery of the same message is not)."""
    if not fingerprint:
        return False
    prefix = f"{fingerprint}|"
    return any(entry.startswith(prefix) and entry != prefix + message_id for entry in seen_events)
