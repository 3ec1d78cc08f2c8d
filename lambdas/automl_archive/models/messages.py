"""Typed work items parsed from the work queue's message bodies.

The queue carries three kinds of message: EventBridge events for SageMaker child jobs, CloudTrail
API-call events for AutoML jobs, and plain job references (`{"AutoMLJobName": "..."}`) sent by the
reconcile pass and by operator tools. Anything else is rejected with a reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from automl_archive.contracts.job_identity import AUTOML_JOB_NAME, CHILD_JOB_NAME, JobSource
from automl_archive.contracts.job_status import (
    AUTOML_API_CALLS,
    CHILD_EVENT_FIELDS,
    CLOUDTRAIL_DETAIL_TYPE,
    CLOUDTRAIL_EVENT_SOURCE,
    ChildKind,
    DescribeApi,
)
from automl_archive.contracts.metric_names import MALFORMED_MESSAGES, UNRELATED_MESSAGES
from automl_archive.models.child_usage import ChildUsage, child_usage

AUTOML_JOB_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:automl-job/(?P<name>.+)$")
MAX_BODY_BYTES = 256 * 1024

# A job reference's fields (`reference_body` writes them, `parse_message` reads them).
JOB_NAME_FIELD = "AutoMLJobName"
ORIGIN_FIELD = "Origin"
LISTED_ORDERING_FIELD = "ListedOrdering"  # the ordering key the reconcile pass listed
FORCE_FIELD = "Force"  # describe even when the archive holds a terminal state
ALERTS_FIELD = "Alerts"  # an operator's backfill or archive asks for alerts all the same
DESCRIBE_API_FIELD = "DescribeApi"
# Where the job runs, when not in the hub's own account and Region (a spoke's job).
ACCOUNT_FIELD = "Account"
REGION_FIELD = "Region"

# The origin of references the operator's backfill sends or archives, and of `automl-archive archive`:
# history, not news (no alert unless the operator asks).
BACKFILL_ORIGIN = "backfill"
CLI_ORIGIN = "cli"
# The reconcile pass's hand-overs of an alert, or of a state-change event, still due (it hands them over
# again every minute while they are due).
ALERT_DUE_ORIGIN = "alert-due"
EVENT_DUE_ORIGIN = "event-due"
# A reference's DescribeApi field: the short names earlier versions sent are read as well.
_DESCRIBE_API_FIELD = {"v1": DescribeApi.V1, "v2": DescribeApi.V2, **{api.value: api for api in DescribeApi}}


class RejectedMessage(Exception):
    """A message that can never be processed; acknowledged, logged and counted, never retried."""

    metric = MALFORMED_MESSAGES

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedMessage(RejectedMessage):
    """The body is not a message this product understands."""


class UnrelatedMessage(RejectedMessage):
    """A well-formed message that concerns no AutoML job (e.g. a failed API call)."""

    metric = UNRELATED_MESSAGES


@dataclass(frozen=True)
class JobReference:
    """A message that names its AutoML job directly."""

    job_name: str
    origin: str
    api_hint: DescribeApi | None = None  # when the message proves which API created the job
    force: bool = False
    fingerprint: str | None = None  # set for events: duplicates of one event share it
    child_kind: str | None = None  # set for child-job events: training, tuning, processing, transform
    child_status: str | None = None  # set for child-job events: the child's status (progress or failure)
    listed_ordering: int | None = None  # set by the reconcile pass: the ordering key SageMaker listed
    occurred_at: datetime | None = None  # set for events: the envelope's `time` (when the change happened)
    alerts: bool = False  # an operator's reference that asks for alerts (backfill --alerts)
    # The (account, Region) the message states: an event's envelope (EventBridge stamps the sender's, a
    # payload cannot change it), a reference's Account/Region. None: the hub's own. The archiver
    # checks it against the registered spokes before reading anything there.
    stated_source: tuple[str, str] | None = None
    child_usage: ChildUsage | None = None  # set for a finished child job's event: what it used


@dataclass(frozen=True)
class ChildJobEvent:
    """A SageMaker child-job state change whose AutoML job, if any, is still to be found."""

    kind: ChildKind
    child_name: str
    child_status: str | None
    fingerprint: str | None = None
    occurred_at: datetime | None = None
    stated_source: tuple[str, str] | None = None  # the envelope's account and Region
    child_usage: ChildUsage | None = None  # set when the child job finished: what it used


WorkItem = JobReference | ChildJobEvent


def event_fingerprint(detail_type: str, detail: dict[str, Any]) -> str:
    """Same for every copy of one event (EventBridge duplicates differ only in envelope id/time)."""
    canonical = json.dumps([detail_type, detail], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def job_name_from_arn(arn: str) -> str | None:
    match = AUTOML_JOB_ARN.match(arn or "")
    return match.group("name") if match else None


def exact_job_name(automl_job_arn: str | None, child_name: object) -> str | None:
    """The job name from its ARN, with its real case recovered from the child's name when possible.

    ARNs are lower-cased; Autopilot's child names start with the job's name in its real case.
    """
    name = job_name_from_arn(automl_job_arn or "")
    if not name:
        return None
    prefix = child_name[: len(name)] if isinstance(child_name, str) else name
    return prefix if prefix.lower() == name.lower() else name


def reference_body(
    job_name: str,
    origin: str,
    *,
    listed_ordering: int | None = None,
    force: bool = False,
    source: JobSource | None = None,
    alerts: bool = False,
) -> dict[str, Any]:
    """A job reference's message body, as `parse_message` reads it back (`source` None: the hub's own)."""
    body: dict[str, Any] = {JOB_NAME_FIELD: job_name, ORIGIN_FIELD: origin}
    if source is not None:
        body[ACCOUNT_FIELD], body[REGION_FIELD] = source.account_id, source.region
    if listed_ordering is not None:
        body[LISTED_ORDERING_FIELD] = listed_ordering
    if force:
        body[FORCE_FIELD] = True
    if alerts:
        body[ALERTS_FIELD] = True
    return body


def parse_message(body: str) -> WorkItem:
    """The body's work item; any body that cannot become one raises a RejectedMessage (never retried:
    a retry would fail the same way and only reach the dead-letter queue)."""
    try:
        return _parse(body)
    except RejectedMessage:
        raise
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        # e.g. JSON nested deeper than the interpreter's recursion limit, an integer literal over
        # Python's 4,300-digit conversion limit, a field of an unexpected JSON type.
        raise MalformedMessage(f"body cannot be parsed: {type(error).__name__}: {str(error)[:200]}") from None


def _parse(body: str) -> WorkItem:
    if len(body.encode("utf-8", errors="replace")) > MAX_BODY_BYTES:
        raise MalformedMessage(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, TypeError) as error:
        raise MalformedMessage(f"body is not JSON: {error.msg if hasattr(error, 'msg') else error}") from None
    if not isinstance(payload, dict):
        raise MalformedMessage(f"body is a JSON {type(payload).__name__}, not an object")
    if "detail-type" in payload:
        return _parse_event(payload)
    if JOB_NAME_FIELD in payload:
        return _parse_reference(payload)
    raise MalformedMessage("body is neither an EventBridge event nor a job reference")


def _parse_reference(payload: dict[str, Any]) -> JobReference:
    name = _job_name(payload.get(JOB_NAME_FIELD), JOB_NAME_FIELD)
    api_field = payload.get(DESCRIBE_API_FIELD)
    api_hint = _DESCRIBE_API_FIELD.get(api_field) if isinstance(api_field, str) else None
    if api_field is not None and api_hint is None:
        raise MalformedMessage(f"DescribeApi must be one of {sorted(_DESCRIBE_API_FIELD)}")
    origin = payload.get(ORIGIN_FIELD, "reference")
    listed = payload.get(LISTED_ORDERING_FIELD)
    if listed is not None and (not isinstance(listed, int) or isinstance(listed, bool) or listed < 0):
        raise MalformedMessage("ListedOrdering must be a non-negative integer")
    account, region = payload.get(ACCOUNT_FIELD), payload.get(REGION_FIELD)
    stated = (account, region) if isinstance(account, str) and isinstance(region, str) else None
    if stated is None and (account, region) != (None, None):
        raise MalformedMessage(f"{ACCOUNT_FIELD} and {REGION_FIELD} must be given together, as strings")
    return JobReference(
        job_name=name,
        origin=str(origin)[:64],
        api_hint=api_hint,
        force=payload.get(FORCE_FIELD) is True,
        alerts=payload.get(ALERTS_FIELD) is True,
        listed_ordering=listed,
        stated_source=stated,
    )


def _parse_event(payload: dict[str, Any]) -> WorkItem:
    detail_type = payload.get("detail-type")
    detail = payload.get("detail")
    if not isinstance(detail, dict):
        raise MalformedMessage(f"event {detail_type!r} has no detail object")
    fingerprint = event_fingerprint(str(detail_type), detail)
    occurred_at = _event_time(payload.get("time"))
    source = _envelope_source(payload)
    if detail_type == CLOUDTRAIL_DETAIL_TYPE:
        return replace(_parse_api_call(detail), fingerprint=fingerprint, occurred_at=occurred_at, stated_source=source)
    fields = CHILD_EVENT_FIELDS.get(str(detail_type))
    if fields is None:
        raise UnrelatedMessage(f"event detail-type {detail_type!r} is not handled")
    kind, name_field, status_field = fields
    automl_arn = detail.get("AutoMLJobArn")
    child_name = detail.get(name_field)
    status = detail.get(status_field)
    child_status = status if isinstance(status, str) else None
    usage = child_usage(kind, detail)
    if isinstance(automl_arn, str) and (name := exact_job_name(automl_arn, child_name)):
        return JobReference(
            job_name=_job_name(name, "AutoMLJobArn"),
            origin=f"event:{kind}",
            fingerprint=fingerprint,
            child_kind=kind.value,
            child_status=child_status,
            occurred_at=occurred_at,
            stated_source=source,
            child_usage=usage,
        )
    if not isinstance(child_name, str) or not CHILD_JOB_NAME.match(child_name):
        raise MalformedMessage(f"{name_field} is missing or not a valid job name")
    return ChildJobEvent(
        kind=kind,
        child_name=child_name,
        child_status=child_status,
        fingerprint=fingerprint,
        occurred_at=occurred_at,
        stated_source=source,
        child_usage=usage,
    )


def _envelope_source(payload: dict[str, Any]) -> tuple[str, str] | None:
    """The envelope's account and Region: the account EventBridge received the event from (kept when a
    rule forwards it to another account's bus). A payload naming another account's job changes nothing."""
    account, region = payload.get("account"), payload.get("region")
    if account is None or region is None:
        # EventBridge always sets both; only a local emulator's or a hand-written event lacks one, and it
        # reached the queue through the hub's own rules: the hub's own, as before spokes.
        return None
    if not isinstance(account, str) or not isinstance(region, str):
        raise MalformedMessage("event envelope's account and region must be strings")
    return account, region


def _parse_api_call(detail: dict[str, Any]) -> JobReference:
    event_name = detail.get("eventName")
    if detail.get("eventSource") != CLOUDTRAIL_EVENT_SOURCE or event_name not in AUTOML_API_CALLS:
        raise UnrelatedMessage(f"API call {detail.get('eventSource')}:{event_name} is not an AutoML call")
    if detail.get("errorCode"):
        raise UnrelatedMessage(f"{event_name} failed with {detail.get('errorCode')}; no job to archive")
    parameters = detail.get("requestParameters")
    if not isinstance(parameters, dict):
        raise MalformedMessage(f"{event_name} event has no requestParameters")
    name = parameters.get("autoMLJobName", parameters.get("AutoMLJobName"))
    return JobReference(
        job_name=_job_name(name, "requestParameters.autoMLJobName"),
        origin=f"cloudtrail:{event_name}",
        api_hint=AUTOML_API_CALLS[str(event_name)],
    )


def _event_time(value: Any) -> datetime | None:
    """The envelope's `time` (ISO 8601, e.g. 2026-11-30T21:05:09Z); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _job_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not AUTOML_JOB_NAME.match(value):
        shown = value[:80] if isinstance(value, str) else type(value).__name__
        raise MalformedMessage(f"{field} is not a valid AutoML job name: {shown!r}")
    return value
