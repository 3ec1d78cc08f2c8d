"""Client-side fault injection for boto3 calls made anywhere in this process (production code untouched).

Faults are registered on the default boto3 session's event system, which every client created with
`boto3.client(...)` inherits: `before-send` hooks answer in place of the server (throttling, 5xx) or
raise a read timeout, so botocore's own retry logic sees them exactly as it would see AWS's; an
`after-call` hook raises `SimulatedCrash` right after a call succeeded, as if the Lambda process died.
A `failed-entry` fault (EventBridge PutEvents only) answers 200 with every entry failed, as PutEvents
reports a partial failure: no exception, no botocore retry; the caller must read `FailedEntryCount`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

FAULT_KINDS = ("throttle", "server-error", "timeout", "crash-after", "failed-entry")
# Calls that answer a partial failure entry by entry, so `failed-entry` applies to them alone.
# PutEvents: 200 with FailedEntryCount and, per failed entry, ErrorCode and ErrorMessage; InternalFailure
# ("The request processing has failed because of an unknown error, exception or failure") is one of the
# retryable codes PutEventsResultEntry lists, with ThrottlingException.
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
_ENTRY_FAULT_CALLS = {("events", "PutEvents")}

# service id -> (protocol, throttling error code, throttling HTTP status)
_SERVICES = {
    "sagemaker": ("json", "ThrottlingException", 400),
    "dynamodb": ("json", "ThrottlingException", 400),
    "sqs": ("json", "ThrottlingException", 400),
    "sns": ("query", "Throttling", 400),
    "s3": ("rest-xml", "SlowDown", 503),
    # EventBridge speaks AWS JSON 1.1; ThrottlingException, HTTP 400, is its modelled throttling error
    # ("This request cannot be completed due to throttling issues").
    # https://docs.aws.amazon.com/botocore/latest/reference/services/events/client/exceptions/ThrottlingException.html
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html
    "events": ("json", "ThrottlingException", 400),
}
# botocore names events by the service id (hyphenized), which differs from the client name for some:
# `before-send.eventbridge.PutEvents` is a call of boto3.client("events").
_SERVICE_IDS = {"eventbridge": "events"}
# Protocols of the other services the emulator answers for (devtools.emulator.iam denies their calls too).
_PROTOCOLS = {
    **{service: protocol for service, (protocol, _, _) in _SERVICES.items()},
    "kms": "json",
    "events": "json",
    "lambda": "rest-json",
    "cloudformation": "query",
    "iam": "query",
    "sts": "query",
}


class SimulatedCrash(BaseException):
    """The function's process died right after an AWS call succeeded (no `except Exception` sees it)."""


@dataclass
class _Fault:
    kind: str
    remaining: int


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def error_response(
    url: str, service: str, code: str, status: int, message: str, query_code: str | None = None
) -> AWSResponse:
    """An error answer in the service's wire protocol, for botocore to parse as it parses AWS's.

    `query_code`: the code a query-compatible JSON service (SQS) sends in `x-amzn-query-error`, which
    botocore reports as the error's Code."""
    protocol = _PROTOCOLS[service]
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
        if query_code:
            headers["x-amzn-query-error"] = f"{query_code};Sender"
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
            "</Error><RequestId>fault-injected</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:
        body = f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse(url, status, headers, _RawBody(body))


def _entry_count(body: Any) -> int:
    """How many entries the PutEvents request the client built carries (its JSON body)."""
    if isinstance(body, bytes | bytearray):
        body = body.decode()
    try:
        entries = json.loads(body or "{}").get("Entries", [])
    except (ValueError, AttributeError):
        return 1
    return len(entries) if isinstance(entries, list) else 1


def failed_entries_response(url: str, entries: int, message: str) -> AWSResponse:
    """PutEvents' answer when every entry failed with InternalFailure, for botocore to parse as a success."""
    body = json.dumps(
        {
            "FailedEntryCount": entries,
            "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": message} for _ in range(entries)],
        }
    ).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault-injected"}
    return AWSResponse(url, 200, headers, _RawBody(body))


class FaultInjector:
    """Inject faults into named calls: `inject("dynamodb", "UpdateItem", "throttle", times=3)`;
    `inject("events", "PutEvents", "failed-entry", times=2)`: the next two PutEvents calls answer 200 with
    every entry failed (InternalFailure)."""

    def __init__(self) -> None:
        self._faults: dict[tuple[str, str], list[_Fault]] = {}
        self._lock = threading.Lock()
        self.injected: Counter[tuple[str, str, str]] = Counter()
        self._session: Any = None

    def install(self) -> FaultInjector:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        self._session = boto3.DEFAULT_SESSION
        events = self._session.events
        events.register("before-send", self._before_send, unique_id="emulator-faults-before-send")
        events.register("after-call", self._after_call, unique_id="emulator-faults-after-call")
        return self

    def uninstall(self) -> None:
        if self._session is not None:
            events = self._session.events
            events.unregister("before-send", unique_id="emulator-faults-before-send")
            events.unregister("after-call", unique_id="emulator-faults-after-call")
            self._session = None
        self.clear()

    def __enter__(self) -> FaultInjector:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def inject(self, service: str, operation: str, kind: str, times: int = 1) -> None:
        if service not in _SERVICES or kind not in FAULT_KINDS:
            raise ValueError(f"unsupported fault {service}.{operation}:{kind}")
        if kind == "failed-entry" and (service, operation) not in _ENTRY_FAULT_CALLS:
            raise ValueError(f"failed-entry applies to events.PutEvents only, not {service}.{operation}")
        with self._lock:
            self._faults.setdefault((service, operation), []).append(_Fault(kind, times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(fault.remaining for faults in self._faults.values() for fault in faults)

    def _take(self, event_name: str, kinds: tuple[str, ...]) -> tuple[str, str, str] | None:
        _, service_id, operation = event_name.split(".", 2)
        service = _SERVICE_IDS.get(service_id, service_id)
        with self._lock:
            for fault in self._faults.get((service, operation), []):
                if fault.kind in kinds and fault.remaining > 0:
                    fault.remaining -= 1
                    key = (service, operation, fault.kind)
                    self.injected[key] += 1
                    return key
        return None

    def _before_send(self, request: Any, event_name: str, **kwargs: Any) -> AWSResponse | None:
        taken = self._take(event_name, ("throttle", "server-error", "timeout", "failed-entry"))
        if taken is None:
            return None
        service, operation, kind = taken
        if kind == "failed-entry":
            return failed_entries_response(request.url, _entry_count(request.body), "Internal failure (injected)")
        if kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if kind == "throttle":
            _, code, status = _SERVICES[service]
            return error_response(request.url, service, code, status, "Rate exceeded (injected)")
        return error_response(request.url, service, "ServiceUnavailable", 503, f"{operation} unavailable (injected)")

    def _after_call(self, http_response: Any, event_name: str, **kwargs: Any) -> None:
        if http_response is None or http_response.status_code >= 300:
            return
        if self._take(event_name, ("crash-after",)) is not None:
            raise SimulatedCrash(f"process died after {event_name}")
