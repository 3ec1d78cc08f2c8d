"""What the archiver's logic needs from AWS, as small interfaces.

Logic depends on these Protocols only; `dal/aws/` implements them with boto3 and unit tests pass
in-memory fakes. Implementations turn AWS errors the logic must decide on into the exceptions below;
anything else (throttling after retries, 5xx, timeouts) propagates and the queue retries the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from automl_archive.contracts.job_identity import JobId, JobSource
from automl_archive.contracts.job_status import ChildKind, DescribeApi


class JobNotFound(Exception):
    """SageMaker has no AutoML job of that name."""


class InvalidWatermark(Exception):
    """The stored watermark is not an ISO 8601 time with a UTC offset (corrupted or edited by hand)."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"watermark {name!r} holds {value[:80]!r}")
        self.value = value


class WrongDescribeApi(Exception):
    """DescribeAutoMLJob refused the job: it was created with CreateAutoMLJobV2."""


class CandidatesUnavailable(Exception):
    """SageMaker did not list this job's candidates: a problem type without them, a denied or unknown job,
    or an error that outlived the SDK's retries. The leaderboard only enriches a record, so the caller
    archives the state without it (`reason` says why, for the log)."""

    def __init__(self, job_name: str, reason: str) -> None:
        super().__init__(f"{job_name}: {reason}")
        self.job_name = job_name
        self.reason = reason


class ChildJobNotFound(Exception):
    """SageMaker has no child job of that name (deleted, or another account's event)."""


class EventNotAccepted(Exception):
    """The event bus answered but refused the entry (PutEvents' FailedEntryCount): `code` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class StateChangeEvent:
    """An archived state's AutoML Job State Change event (contracts/state_change_event.py), kept with the
    job's state until the bus accepts it. `ordering` is the state's ordering key: events go out in it."""

    ordering: int
    job_arn: str
    detail: dict[str, Any] = field(hash=False, compare=False)
    # The store's own encoding of this event, when read from it: removed by exactly that value.
    stored_as: str | None = field(default=None, hash=False, compare=False)

    @property
    def state_id(self) -> str:
        return str(self.detail["state_id"])


@dataclass(frozen=True)
class StoredState:
    """The summary of a job's latest archived state, as kept in DynamoDB."""

    ordering: int
    status: str
    is_terminal: bool
    describe_api: DescribeApi | None
    alert_category: str | None
    seen_events: frozenset[str] = frozenset()  # fingerprints of events already handled at this state
    # child-job kinds whose progress event already described this state and found it current
    probed_kinds: frozenset[str] = frozenset()
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredJob:
    state: StoredState | None
    alerts_sent: frozenset[str]  # terminal statuses whose alert has been published
    pending_events: tuple[StateChangeEvent, ...] = ()  # not yet accepted by the bus, in state order
    event_due: bool = False  # on the index of events due (the reconcile pass hands the job over)
    # stored elements that are not an event (edited by hand): removed unread, never put
    unreadable_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedState:
    written: bool  # False: the store already held this state or a newer one
    pending_events: tuple[StateChangeEvent, ...] = ()  # after the write, in state order (this one included)


@dataclass(frozen=True)
class ChildLink:
    """Which AutoML job a child job belongs to; `job_name` None means none (an ordinary job)."""

    job_name: str | None


class SageMakerGateway(Protocol):
    def describe_automl_job(self, job_name: str, api: DescribeApi) -> dict[str, Any]:
        """Answer of DescribeAutoMLJob or DescribeAutoMLJobV2."""
        ...

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        """Every candidate of the job (all pages of ListCandidatesForAutoMLJob); CandidatesUnavailable
        for any failure, since the leaderboard must never block the state it enriches."""
        ...

    def automl_job_arn_of_child(self, kind: ChildKind, child_name: str) -> str | None: ...

    def job_summary_pages(self, **filters: Any) -> Iterator[list[dict[str, Any]]]:
        """Pages of ListAutoMLJobs summaries; filters are the API's (LastModifiedTimeAfter, ...)."""
        ...

    def first_training_job_of_tuning_job(self, tuning_job_name: str) -> str | None: ...


class SpokeGateways(Protocol):
    def gateway(self, source: JobSource) -> SageMakerGateway:
        """SageMaker in a registered spoke's account and Region, through its reader role."""
        ...

    def forget(self, source: JobSource) -> None:
        """Drop the spoke's gateway after a failure: the next `gateway(source)` assumes the role again.
        A session of a role deleted and created again stays refused until it expires (up to an hour)."""
        ...


class JobStore(Protocol):
    def load_job(self, job_key: str) -> StoredJob: ...

    def scan_states(self, attributes: tuple[str, ...] | None = None) -> Iterator[tuple[str, StoredJob]]:
        """Every job's stored state as (job key, job): the operator's status reads the archive this way.
        `attributes`: read only these (and the state's ordering and status), not whole items."""
        ...

    def save_state(
        self, job_key: str, ordering: int, summary: dict[str, Any], event: StateChangeEvent | None = None
    ) -> SavedState:
        """Write the state if it is newer than the stored one, adding its event to the job's pending
        events in the same write (`event` None: no event)."""
        ...

    def event_published(self, job_key: str, event: StateChangeEvent) -> bool:
        """Remove an event the bus accepted from the job's pending events (a no-op if already removed);
        when it was the only one, take the job off the index of events due in the same write (True)."""
        ...

    def discard_unreadable_events(self, job_key: str, elements: tuple[str, ...]) -> None:
        """Remove stored elements that are not events (so the job can leave the index of events due)."""
        ...

    def clear_event_due(self, job_key: str) -> bool:
        """Take the job off the index of events still due, unless an event is pending; False if one is."""
        ...

    def jobs_with_event_due(self) -> list[JobId]:
        """The jobs with a state-change event the bus has not accepted yet."""
        ...

    def remember_event(self, job_key: str, fingerprint: str, limit: int, probed_kind: str | None = None) -> None:
        """Add an event's fingerprint to the stored state's seen events (while fewer than `limit`);
        `probed_kind` also records that a progress event of that child-job kind found the state current."""
        ...

    def claim_alert(self, job_key: str, status: str, owner: str, now: int, lease_until: int) -> bool: ...

    def mark_alert_sent(self, job_key: str, status: str, sent_at: str, notification_id: str) -> None:
        """Record the alert as sent (and no longer due)."""
        ...

    def jobs_with_alert_due(self) -> list[JobId]:
        """The jobs whose archived terminal state has an alert not yet sent."""
        ...

    def stored_orderings(self, job_keys: list[str]) -> dict[str, int]:
        """The stored state's ordering key per job key; jobs not archived are absent."""
        ...

    def get_watermark(self, name: str) -> datetime | None:
        """The stored watermark (None: none yet); InvalidWatermark if what is stored is not one."""
        ...

    def advance_watermark(self, name: str, value: datetime, replace_invalid: bool = False) -> bool:
        """Move the watermark forward only; False when it already was at or past `value`.
        `replace_invalid` overwrites whatever is stored (a watermark found invalid)."""
        ...

    def get_child_link(self, kind: ChildKind, child_name: str, source: JobSource | None = None) -> ChildLink | None:
        """The remembered link of a child job in `source` (None: the hub's own account and Region)."""
        ...

    def put_child_link(
        self, kind: ChildKind, child_name: str, link: ChildLink, expires_at: int, source: JobSource | None = None
    ) -> None: ...


class Archive(Protocol):
    def put_json(self, key: str, body: bytes, content_type: str) -> None: ...

    def location(self, key: str) -> str: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, attributes: dict[str, str], chat: str) -> str:
        """One publish for every subscriber: `message` is the readable text (e-mail and any subscriber
        without a message of its own), `chat` the custom-notification JSON AWS Chatbot reads; returns
        the message id. One call per alert: the exactly-once alert design depends on it."""
        ...


class EventBus(Protocol):
    def put(self, event: StateChangeEvent) -> str:
        """Put one event on the bus; returns its event id. EventNotAccepted when the bus refused the entry;
        anything else (throttling after retries, 5xx) propagates."""
        ...


class WorkQueue(Protocol):
    def send_batch(self, bodies: list[dict[str, Any]]) -> None:
        """Send every body (in batches of 10); raises if any could not be sent."""
        ...


class MetricsSink(Protocol):
    """Where logic counts what it did; the functions send it to CloudWatch (observability.py)."""

    def count(self, name: str, value: int = 1) -> None: ...

    def seconds(self, name: str, value: float) -> None: ...

    def count_by(self, name: str, dimension: str, value: str) -> None:
        """One count with an extra dimension (e.g. jobs finished by status)."""
        ...


@dataclass(frozen=True)
class LakeObject:
    """One object under a record prefix, as a listing gives it."""

    key: str
    last_modified: datetime
    size: int


class CompactionQueryFailed(Exception):
    """The query engine ran a compaction statement and it failed (or was cancelled)."""

    def __init__(self, statement: str, reason: str) -> None:
        super().__init__(f"{statement}: {reason}")
        self.statement = statement
        self.reason = reason


class LakeStorage(Protocol):
    """The archive bucket as the compaction sees it: the record objects and its own watermark."""

    def list_objects(self, prefix: str) -> Iterator[LakeObject]: ...

    def read_watermark(self) -> str | None:
        """The stored watermark text, or None before the first complete compaction."""
        ...

    def write_watermark(self, body: bytes) -> None: ...

    def acquire_lease(self, until: datetime, now: datetime) -> datetime | None:
        """Take the one-run-at-a-time lease until ``until``: None when taken, else the time the other
        holder's lease runs out. A lease that ran out by ``now`` is taken over."""
        ...

    def release_lease(self) -> None: ...


class LakeCatalog(Protocol):
    def columns(self, table_name: str) -> list[str] | None:
        """The catalog table's column names, or None when the table does not exist."""
        ...


class QueryEngine(Protocol):
    def run(self, label: str, sql: str, deadline: float) -> int:
        """Run one statement to its end; returns the bytes it scanned. CompactionQueryFailed when it
        fails; TimeoutError when it is still running at ``deadline`` (epoch seconds)."""
        ...
