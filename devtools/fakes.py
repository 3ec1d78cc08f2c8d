"""In-memory fakes of the data-access interfaces, faithful to the conditional semantics of DynamoDB."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from automl_archive.contracts.job_identity import JobId, JobSource, source_of_key
from automl_archive.contracts.job_identity import job_key as key_of_job
from automl_archive.contracts.job_status import TERMINAL_STATUSES, ChildKind, DescribeApi
from automl_archive.dal.interfaces import (
    CandidatesUnavailable,
    ChildJobNotFound,
    ChildLink,
    CompactionQueryFailed,
    EventNotAccepted,
    InvalidWatermark,
    JobNotFound,
    LakeObject,
    SavedState,
    StateChangeEvent,
    StoredJob,
    StoredState,
    WrongDescribeApi,
)


class FakeSageMaker:
    def __init__(self) -> None:
        self.jobs: dict[str, tuple[str, dict[str, Any]]] = {}  # lower name -> (created api, answer)
        self.child_links: dict[tuple[ChildKind, str], str | None] = {}
        self.tuning_training_jobs: dict[str, str] = {}
        self.candidates: dict[str, list[dict[str, Any]]] = {}
        self.list_filters: list[dict[str, Any]] = []
        self.page_size = 100
        self.calls: Counter[str] = Counter()
        self.fail_next: list[Exception] = []

    def put_job(self, answer: dict[str, Any], api: DescribeApi = DescribeApi.V1) -> None:
        self.jobs[answer["AutoMLJobName"].lower()] = (api, answer)

    def describe_automl_job(self, job_name: str, api: DescribeApi) -> dict[str, Any]:
        self.calls[api] += 1
        if self.fail_next:
            raise self.fail_next.pop(0)
        if job_name.lower() not in self.jobs:
            raise JobNotFound(job_name)
        created_with, answer = self.jobs[job_name.lower()]
        if api is DescribeApi.V1 and created_with is DescribeApi.V2:
            raise WrongDescribeApi(job_name)
        return dict(answer)

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        self.calls["list_candidates"] += 1
        if job_name.lower() not in self.jobs:
            raise CandidatesUnavailable(job_name, "ResourceNotFound")
        return list(self.candidates.get(job_name.lower(), []))

    def job_summary_pages(self, **filters: Any) -> Iterator[list[dict[str, Any]]]:
        self.calls["list_jobs"] += 1
        self.list_filters.append(filters)
        after = filters.get("LastModifiedTimeAfter")
        summaries = [
            {
                "AutoMLJobName": answer["AutoMLJobName"],
                "AutoMLJobArn": answer["AutoMLJobArn"],
                "AutoMLJobStatus": answer["AutoMLJobStatus"],
                "AutoMLJobSecondaryStatus": answer["AutoMLJobSecondaryStatus"],
                "CreationTime": answer["CreationTime"],
                "LastModifiedTime": answer["LastModifiedTime"],
            }
            for _, answer in self.jobs.values()
            if after is None or answer["LastModifiedTime"] > after
        ]
        for start in range(0, len(summaries), self.page_size):
            yield summaries[start : start + self.page_size]

    def automl_job_arn_of_child(self, kind: ChildKind, child_name: str) -> str | None:
        self.calls[f"describe_{kind.value}"] += 1
        key = (kind, child_name)
        if key not in self.child_links:
            raise ChildJobNotFound(child_name)
        return self.child_links[key]

    def first_training_job_of_tuning_job(self, tuning_job_name: str) -> str | None:
        self.calls["list_tuning_training_jobs"] += 1
        return self.tuning_training_jobs.get(tuning_job_name)


@dataclass
class FakeStore:
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    links: dict[tuple[ChildKind, str], ChildLink] = field(default_factory=dict)
    watermarks: dict[str, Any] = field(default_factory=dict)  # a str plays a corrupted value
    fail_next_mark: list[Exception] = field(default_factory=list)
    fail_next_event_removal: list[Exception] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    def stored_orderings(self, job_keys: list[str]) -> dict[str, int]:
        self.calls["stored_orderings"] += 1
        return {key: self.states[key]["ordering"] for key in job_keys if key in self.states}

    def get_watermark(self, name: str) -> datetime | None:
        value = self.watermarks.get(name)
        if value is not None and not (isinstance(value, datetime) and value.tzinfo):
            raise InvalidWatermark(name, str(value))
        return value

    def advance_watermark(self, name: str, value: datetime, replace_invalid: bool = False) -> bool:
        if replace_invalid:
            self.watermarks[name] = value
            return True
        if name in self.watermarks and self.watermarks[name] >= value:
            return False
        self.watermarks[name] = value
        return True

    def scan_states(self, attributes: tuple[str, ...] | None = None) -> Iterator[tuple[str, StoredJob]]:
        for job_key in list(self.states):
            yield job_key, self.load_job(job_key)

    def load_job(self, job_key: str) -> StoredJob:
        self.calls["load_job"] += 1
        item = self.states.get(job_key)
        state = None
        if item is not None:
            state = StoredState(
                ordering=item["ordering"],
                status=item["status"],
                is_terminal=item["is_terminal"],
                describe_api=DescribeApi(item["describe_api"]),
                alert_category=item.get("alert_category"),
                seen_events=frozenset(item.get("seen_events") or ()),
                probed_kinds=frozenset(item.get("probed_kinds") or ()),
                attributes=item,
            )
        sent = frozenset(
            status for (key, status), claim in self.alerts.items() if key == job_key and "sent_at" in claim
        ) | frozenset(status for status in TERMINAL_STATUSES if f"alert_{status}_sent_at" in (item or {}))
        pending = tuple(sorted((item or {}).get("pending_events", {}).values(), key=lambda event: event.ordering))
        return StoredJob(
            state=state,
            alerts_sent=sent,
            pending_events=pending,
            event_due="event_due" in (item or {}),
            unreadable_events=tuple((item or {}).get("unreadable_events", ())),
        )

    def save_state(
        self, job_key: str, ordering: int, summary: dict[str, Any], event: StateChangeEvent | None = None
    ) -> SavedState:
        self.calls["save_state"] += 1
        current = self.states.get(job_key)
        if current is not None and current["ordering"] >= ordering:
            return SavedState(written=False)
        item = dict(current or {})
        item.update({k: v for k, v in summary.items() if v is not None})
        for absent in [k for k, v in summary.items() if v is None]:  # as DynamoDB's REMOVE
            item.pop(absent, None)
        item["seen_events"] = summary.get("seen_events") or frozenset()
        item["ordering"] = ordering
        pending: dict[int, StateChangeEvent] = dict(item.get("pending_events") or {})
        if event is not None:
            pending[event.ordering] = event
            item["event_due"] = "DUE"
        item["pending_events"] = pending
        self.states[job_key] = item
        return SavedState(written=True, pending_events=tuple(sorted(pending.values(), key=lambda e: e.ordering)))

    def event_published(self, job_key: str, event: StateChangeEvent) -> bool:
        self.calls["event_published"] += 1
        if self.fail_next_event_removal:
            raise self.fail_next_event_removal.pop(0)
        item = self.states[job_key]
        pending = item.get("pending_events") or {}
        if set(pending) == {event.ordering}:
            pending.clear()
            item.pop("event_due", None)
            return True
        pending.pop(event.ordering, None)
        return False

    def discard_unreadable_events(self, job_key: str, elements: tuple[str, ...]) -> None:
        self.calls["discard_unreadable_events"] += 1
        item = self.states[job_key]
        item["unreadable_events"] = tuple(e for e in item.get("unreadable_events", ()) if e not in elements)

    def clear_event_due(self, job_key: str) -> bool:
        self.calls["clear_event_due"] += 1
        item = self.states.get(job_key)
        if item is None or item.get("pending_events") or item.get("unreadable_events"):
            return False
        item.pop("event_due", None)
        return True

    def jobs_with_event_due(self) -> list[JobId]:
        self.calls["jobs_with_event_due"] += 1
        return [
            JobId(item["job_name"], source_of_key(key)) for key, item in self.states.items() if item.get("event_due")
        ]

    def remember_event(self, job_key: str, fingerprint: str, limit: int, probed_kind: str | None = None) -> None:
        self.calls["remember_event"] += 1
        item = self.states.get(job_key)
        if item is not None and len(item.get("seen_events") or ()) < limit:
            item["seen_events"] = frozenset(item.get("seen_events") or ()) | {fingerprint}
            if probed_kind:
                item["probed_kinds"] = frozenset(item.get("probed_kinds") or ()) | {probed_kind}

    def claim_alert(self, job_key: str, status: str, owner: str, now: int, lease_until: int) -> bool:
        self.calls["claim_alert"] += 1
        claim = self.alerts.setdefault((job_key, status), {})
        if "sent_at" in claim or f"alert_{status}_sent_at" in self.states.get(job_key, {}):
            return False
        if "owner" in claim and claim["owner"] != owner and claim["until"] >= now:
            return False
        claim.update(owner=owner, until=lease_until)
        return True

    def mark_alert_sent(self, job_key: str, status: str, sent_at: str, notification_id: str) -> None:
        self.calls["mark_alert_sent"] += 1
        if self.fail_next_mark:
            raise self.fail_next_mark.pop(0)
        self.alerts[(job_key, status)].update(sent_at=sent_at, notification_id=notification_id)
        self.states[job_key].pop("alert_due", None)

    def jobs_with_alert_due(self) -> list[JobId]:
        self.calls["jobs_with_alert_due"] += 1
        return [
            JobId(item["job_name"], source_of_key(key)) for key, item in self.states.items() if item.get("alert_due")
        ]

    def get_child_link(self, kind: ChildKind, child_name: str, source: JobSource | None = None) -> ChildLink | None:
        self.calls["get_child_link"] += 1
        return self.links.get((kind, key_of_job(child_name, source)))

    def put_child_link(
        self, kind: ChildKind, child_name: str, link: ChildLink, expires_at: int, source: JobSource | None = None
    ) -> None:
        self.calls["put_child_link"] += 1
        self.links[(kind, key_of_job(child_name, source))] = link


@dataclass
class FakeArchive:
    objects: dict[str, bytes] = field(default_factory=dict)
    puts: int = 0

    def put_json(self, key: str, body: bytes, content_type: str) -> None:
        self.puts += 1
        self.objects[key] = body

    def location(self, key: str) -> str:
        return f"s3://archive/{key}"


@dataclass
class FakeNotifier:
    published: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)

    def publish(self, subject: str, message: str, attributes: dict[str, str], chat: str) -> str:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.published.append({"subject": subject, "message": message, "attributes": attributes, "chat": chat})
        return f"msg-{len(self.published)}"


@dataclass
class FakeEventBus:
    """The bus: what it accepted, in order; `refuse_next` answers as a failed entry, `fail_next` raises."""

    accepted: list[StateChangeEvent] = field(default_factory=list)
    refuse_next: int = 0
    fail_next: list[Exception] = field(default_factory=list)

    def put(self, event: StateChangeEvent) -> str:
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.refuse_next:
            self.refuse_next -= 1
            raise EventNotAccepted("InternalFailure", "refused (fake)")
        self.accepted.append(event)
        return f"event-{len(self.accepted)}"

    def state_ids(self, job_name: str | None = None) -> list[str]:
        return [e.state_id for e in self.accepted if job_name is None or e.detail["job_name"] == job_name]


@dataclass
class FakeQueue:
    sent: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def send_batch(self, bodies: list[dict[str, Any]]) -> None:
        self.sent.extend((body, 0) for body in bodies)


class RecordingMetrics:
    """A MetricsSink that keeps what logic counted, so tests assert on it."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.values: dict[str, list[float]] = {}
        self.by_dimension: Counter[tuple[str, str, str]] = Counter()

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value

    def seconds(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def count_by(self, name: str, dimension: str, value: str) -> None:
        self.by_dimension[(name, dimension, value)] += 1


@dataclass
class FakeLakeStorage:
    """The archive bucket's objects by prefix and the compaction's watermark."""

    objects: list[LakeObject] = field(default_factory=list)
    watermark: str | None = None
    listed: list[str] = field(default_factory=list)

    def list_objects(self, prefix: str) -> Iterator[LakeObject]:
        self.listed.append(prefix)
        return iter([entry for entry in self.objects if entry.key.startswith(prefix)])

    def read_watermark(self) -> str | None:
        return self.watermark

    def write_watermark(self, body: bytes) -> None:
        self.watermark = body.decode()

    lease_until: datetime | None = None
    leases_taken: int = 0

    def acquire_lease(self, until: datetime, now: datetime) -> datetime | None:
        if self.lease_until is not None and self.lease_until > now:
            return self.lease_until
        self.lease_until, self.leases_taken = until, self.leases_taken + 1
        return None

    def release_lease(self) -> None:
        self.lease_until = None


@dataclass
class FakeQueryEngine:
    """Records each statement; ``fail_on`` makes the statement whose label starts with it fail."""

    statements: list[tuple[str, str]] = field(default_factory=list)
    fail_on: str | None = None
    scanned_per_statement: int = 10

    def run(self, label: str, sql: str, deadline: float) -> int:
        if self.fail_on is not None and label.startswith(self.fail_on):
            raise CompactionQueryFailed(label, "FAILED: injected")
        self.statements.append((label, sql))
        return self.scanned_per_statement


@dataclass
class FakeLakeCatalog:
    """Glue's view of the compacted tables: their column names by table (absent: no such table)."""

    tables: dict[str, list[str]] = field(default_factory=dict)

    def columns(self, table_name: str) -> list[str] | None:
        return self.tables.get(table_name)
