"""AWS's documented value limits that moto does not enforce, applied to every boto3 call of this process.

moto accepts a DynamoDB number of 1e-200, an SNS subject with a line break and a 300 KB queue message;
AWS rejects each with an error. The product could hit these, so the emulator answers as AWS would:
the check runs on the call's parameters (`before-parameter-build`) and a violation short-circuits the
call with the service's own error (`before-call` returns the response, as botocore's Stubber does), so
the caller sees exactly the exception class and code AWS would give, and botocore does not retry it.

Some calls fail entry by entry instead (EventBridge PutEvents answers 200 with `FailedEntryCount` and an
error per refused entry): the refused entries are taken out of the request before it is built, the rest
go to moto, and `after-call` puts the refusals back at their places in moto's answer, so the caller sees
one answer in the request's order, as AWS gives it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse

# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
# SNS Publish: messages at most 256 KB (262,144 bytes, attributes included); Subject "UTF-8 text with no
# line breaks or control characters, and less than 100 characters long".
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
SNS_MAX_MESSAGE_BYTES = 262_144
SNS_MAX_SUBJECT_CHARACTERS = 99
# SQS: a queue's MaximumMessageSize defaults to 256 KiB (its maximum is 1 MiB); the product sets none, so
# 256 KiB is the limit its messages must fit, as must EventBridge entries that become its messages.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
SQS_MAX_MESSAGE_BYTES = 262_144
SQS_MAX_MESSAGE_ATTRIBUTES = 10
SQS_MAX_DELAY_SECONDS = 900
# EventBridge PutEvents: at most 10 entries a call ("Array Members: Minimum number of 1 item. Maximum number
# of 10 items"; moto checks this too, with the same code).
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
EVENTBRIDGE_MAX_ENTRIES = 10
# The entries of one PutEvents call together: "The total entry size must be less than 256KB", each entry
# measured as "Calculating Amazon EventBridge PutEvents event entry size" says (`put_events_entry_size`).
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
# AWS refuses the whole call, not the entry: ValidationException "Total size of the entries in the request is
# over the limit." (as reported from AWS, e.g. https://github.com/awslabs/aws-service-catalog-puppet/issues/563).
# AWS's Compute Blog of 2026-01-29 announces 1 MB for event buses
# (https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb);
# the emulator keeps the documented 256 KB, the stricter bound, which also fits a 256 KiB SQS target.
EVENTBRIDGE_MAX_REQUEST_BYTES = 262_144
EVENTBRIDGE_TIME_BYTES = 14
# Athena StartQueryExecution: QueryString "Length Constraints: Minimum length of 1. Maximum length of 262144"
# (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html); botocore checks
# only the minimum and moto neither, and the compaction's MERGE names every day it merges.
ATHENA_MAX_QUERY_BYTES = 262_144


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    status: int = 400


Check = Callable[[str, dict[str, Any]], Violation | None]


# ---------------------------------------------------------------- DynamoDB


# DynamoDB's number text: an optional sign, digits with an optional point, an optional exponent. Written
# here from AWS's rules, not imported from the product, so the emulator can disagree with the product.
_NUMBER_TEXT = re.compile(r"^\s*-?(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?\s*$")
DYNAMODB_MAX_DIGITS = 38
DYNAMODB_MIN_MAGNITUDE_EXPONENT = -130  # 1E-130
DYNAMODB_MAX_MAGNITUDE_EXPONENT = 125  # 9.9999999999999999999999999999999999999E+125


def dynamodb_accepts_number(text: str) -> bool:
    """True when DynamoDB stores `text` as a number: at most 38 significant digits (leading and trailing
    zeros trimmed) and a magnitude of 1E-130 to 9.99...E+125, or zero."""
    match = _NUMBER_TEXT.match(text)
    if not match or not (match["int"] or match["frac"]):
        return False
    integer, fraction = match["int"] or "", match["frac"] or ""
    digits = (integer + fraction).lstrip("0")
    if not digits:
        return True  # zero
    leading_zeros = len(integer + fraction) - len(digits)
    # magnitude exponent of the first significant digit
    exponent = len(integer) - 1 - leading_zeros + int(match["exp"] or 0)
    significant = digits.rstrip("0")
    return len(significant) <= DYNAMODB_MAX_DIGITS and (
        DYNAMODB_MIN_MAGNITUDE_EXPONENT <= exponent <= DYNAMODB_MAX_MAGNITUDE_EXPONENT
    )


def _attribute_numbers(value: Any) -> list[str]:
    """Every N (and NS member) text inside an AttributeValue structure."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if key == "N" and isinstance(item, str):
                found.append(item)
            elif key == "NS" and isinstance(item, list):
                found.extend(str(member) for member in item)
            else:
                found.extend(_attribute_numbers(item))
        return found
    if isinstance(value, list):
        return [number for item in value for number in _attribute_numbers(item)]
    return []


def attribute_value_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one AttributeValue (names count separately, UTF-8 bytes for text).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"""
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = len(raw.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_value_size({kind[0]: member}) for member in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(item) for item in raw)
    if kind == "M":
        return 3 + sum(1 + item_size({name: item}) for name, item in raw.items())
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def _dynamodb(operation: str, params: dict[str, Any]) -> Violation | None:
    for text in _attribute_numbers(params):
        if not dynamodb_accepts_number(text):
            # DynamoDB's own wording for an out-of-range number.
            return Violation(
                "ValidationException",
                f"The parameter cannot be converted to a numeric value: {text}"
                if not _looks_finite(text)
                else f"Number overflow. Attempting to store a number with magnitude larger than supported "
                f"range or more than 38 significant digits: {text}",
            )
    items: list[dict[str, Any]] = []
    if operation == "PutItem":
        items.append(params.get("Item", {}))
    elif operation == "UpdateItem":
        # The item after the update is at least its key plus the values this update writes.
        items.append({**params.get("Key", {}), **params.get("ExpressionAttributeValues", {})})
    elif operation == "BatchWriteItem":
        for requests in params.get("RequestItems", {}).values():
            items += [request["PutRequest"]["Item"] for request in requests if "PutRequest" in request]
    for item in items:
        if item_size(item) > DYNAMODB_MAX_ITEM_BYTES:
            return Violation("ValidationException", "Item size has exceeded the maximum allowed size")
    return None


def _looks_finite(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- SNS


def _sns(operation: str, params: dict[str, Any]) -> Violation | None:
    if operation != "Publish":
        return None
    subject = params.get("Subject")
    if subject is not None:
        if len(subject) > SNS_MAX_SUBJECT_CHARACTERS or not subject:
            return Violation("InvalidParameter", "Invalid parameter: Subject")
        if any(ord(character) < 32 or ord(character) == 127 for character in subject):
            return Violation("InvalidParameter", "Invalid parameter: Subject")
    size = len(str(params.get("Message", "")).encode())
    for name, attribute in (params.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len(attribute.get("DataType", "").encode())
        size += len(str(attribute.get("StringValue", "")).encode()) + len(attribute.get("BinaryValue", b""))
    if size > SNS_MAX_MESSAGE_BYTES:
        return Violation("InvalidParameter", "Invalid parameter: Message too long")
    if params.get("MessageStructure") == "json":
        return _sns_structured_message(str(params.get("Message", "")))
    return None


def _sns_structured_message(message: str) -> Violation | None:
    """With MessageStructure json, Message must be a JSON object with a string "default" and a string per
    protocol (API_Publish); moto checks it only when it delivers, and not the values' types."""
    try:
        structure = json.loads(message)
    except ValueError:
        return Violation("InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
    if not isinstance(structure, dict) or not isinstance(structure.get("default"), str):
        return Violation(
            "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body"
        )
    if not all(isinstance(value, str) for value in structure.values()):
        return Violation("InvalidParameter", "Invalid parameter: Message Structure - message values must be strings")
    return None


# ---------------------------------------------------------------- SQS


def _sqs_message_size(entry: dict[str, Any]) -> int:
    size = len(str(entry.get("MessageBody", "")).encode())
    for name, attribute in (entry.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len(attribute.get("DataType", "").encode())
        size += len(str(attribute.get("StringValue", "")).encode()) + len(attribute.get("BinaryValue", b""))
    return size


def _sqs(operation: str, params: dict[str, Any]) -> Violation | None:
    if operation == "SendMessage":
        entries = [params]
    elif operation == "SendMessageBatch":
        entries = list(params.get("Entries", []))
        if sum(_sqs_message_size(entry) for entry in entries) > SQS_MAX_MESSAGE_BYTES:
            return Violation(
                "BatchRequestTooLong", f"Batch requests cannot be longer than {SQS_MAX_MESSAGE_BYTES} bytes."
            )
    else:
        return None
    for entry in entries:
        if _sqs_message_size(entry) > SQS_MAX_MESSAGE_BYTES:
            return Violation(
                "InvalidParameterValue",
                "One or more parameters are invalid. "
                f"Reason: Message must be shorter than {SQS_MAX_MESSAGE_BYTES} bytes.",
            )
        if len(entry.get("MessageAttributes") or {}) > SQS_MAX_MESSAGE_ATTRIBUTES:
            return Violation("InvalidParameterValue", "Number of message attributes exceeds 10.")
        if int(entry.get("DelaySeconds", 0)) > SQS_MAX_DELAY_SECONDS:
            return Violation("InvalidParameterValue", "Value for parameter DelaySeconds is invalid.")
    return None


# ---------------------------------------------------------------- EventBridge


def put_events_entry_size(entry: dict[str, Any]) -> int:
    """EventBridge's size of one PutEventsRequestEntry: Time 14 bytes if present, Source, DetailType and
    Detail as UTF-8 bytes, plus each of Resources as UTF-8 bytes (EventBusName and TraceHeader do not count).
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html"""
    size = EVENTBRIDGE_TIME_BYTES if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name) or "").encode())
    return size + sum(len(str(resource).encode()) for resource in entry.get("Resources") or [] if resource is not None)


def _events(operation: str, params: dict[str, Any]) -> Violation | None:
    if operation != "PutEvents":
        return None
    entries = list(params.get("Entries", []))
    if len(entries) > EVENTBRIDGE_MAX_ENTRIES:
        # The service's constraint message (moto gives the same code and text).
        return Violation(
            "ValidationException",
            "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy "
            f"constraint: Member must have length less than or equal to {EVENTBRIDGE_MAX_ENTRIES}",
        )
    if sum(put_events_entry_size(entry) for entry in entries) > EVENTBRIDGE_MAX_REQUEST_BYTES:
        return Violation("ValidationException", "Total size of the entries in the request is over the limit.")
    return None


# The emulator's own publisher plays AWS's services (SageMaker's "aws.sagemaker" events on the default bus):
# inside `as_aws_service()` its entries may use "aws." sources, as AWS's own may; any other caller is a customer.
_AS_AWS_SERVICE: contextvars.ContextVar[bool] = contextvars.ContextVar("emulator_as_aws_service", default=False)


@contextlib.contextmanager
def as_aws_service() -> Iterator[None]:
    """Calls made inside publish as an AWS service would (the emulator playing SageMaker)."""
    token = _AS_AWS_SERVICE.set(True)
    try:
        yield
    finally:
        _AS_AWS_SERVICE.reset(token)


def _put_events_entry(entry: dict[str, Any], as_aws: bool = False) -> Violation | None:
    """Why EventBridge fails one entry that moto accepts (PutEventsResultEntry's ErrorCode values,
    https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html)."""
    source, detail = entry.get("Source"), entry.get("Detail")
    if not source or not entry.get("DetailType") or not detail:
        return None  # moto answers InvalidArgument for the missing field, as AWS does
    # "aws." sources are AWS's own: a customer's entry is refused (NotAuthorizedForSourceException, "You do not
    # have permissions to publish events with this source onto this event bus"); AWS's message as it answers.
    if str(source).startswith("aws.") and not as_aws:
        return Violation("NotAuthorizedForSourceException", "Not authorized for the source.")
    # Detail: "A valid JSON object" (API_PutEventsRequestEntry); moto refuses text that is not JSON but
    # accepts any JSON value. AWS's message for MalformedDetail.
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return Violation("MalformedDetail", "Detail is malformed.")
    return None


def _events_entries(operation: str, params: dict[str, Any]) -> dict[int, Violation]:
    if operation != "PutEvents":
        return {}
    failures = {}
    as_aws = _AS_AWS_SERVICE.get()
    for index, entry in enumerate(params.get("Entries", [])):
        failure = _put_events_entry(entry, as_aws)
        if failure is not None:
            failures[index] = failure
    return failures


def _athena(operation: str, params: dict[str, Any]) -> Violation | None:
    if operation == "StartQueryExecution" and len(str(params.get("QueryString", "")).encode()) > ATHENA_MAX_QUERY_BYTES:
        return Violation(
            "InvalidRequestException",
            f"1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have "
            f"length less than or equal to {ATHENA_MAX_QUERY_BYTES}",
        )
    return None


CHECKS: dict[str, Check] = {"dynamodb": _dynamodb, "sns": _sns, "sqs": _sqs, "events": _events, "athena": _athena}

EntryCheck = Callable[[str, dict[str, Any]], dict[int, Violation]]
# Calls whose entries fail one by one: (the check, the parameter holding the entries).
ENTRY_CHECKS: dict[str, tuple[EntryCheck, str]] = {"events": (_events_entries, "Entries")}


# ---------------------------------------------------------------- installation


class _ErrorBody:
    def stream(self, **_: Any) -> Any:
        yield b""


@dataclass(frozen=True)
class EntryFailures:
    """Entries refused one by one: their positions in the request, and what moto's answer lists them under."""

    failures: dict[int, Violation]
    total: int
    all_failed: bool


def merge_entry_failures(parsed: dict[str, Any], failures: EntryFailures) -> None:
    """Put the refused entries back at their positions among moto's answers for the others (in place)."""
    answered = iter(parsed.get("Entries", []))
    parsed["Entries"] = [
        {"ErrorCode": failures.failures[index].code, "ErrorMessage": failures.failures[index].message}
        if index in failures.failures
        else next(answered)
        for index in range(failures.total)
    ]
    parsed["FailedEntryCount"] = int(parsed.get("FailedEntryCount", 0)) + len(failures.failures)


def violation_response(violation: Violation) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore's `before-call` short-circuit expects: the HTTP response and the parsed answer."""
    http = AWSResponse("https://emulator.local/", violation.status, {}, _ErrorBody())
    parsed = {
        "Error": {"Code": violation.code, "Message": violation.message},
        "ResponseMetadata": {"HTTPStatusCode": violation.status, "RequestId": "emulator-limits"},
    }
    return http, parsed


def _entries_answer() -> tuple[AWSResponse, dict[str, Any]]:
    """A 200 with no entry answered: every entry was refused, `merge_entry_failures` lists them."""
    http = AWSResponse("https://emulator.local/", 200, {}, _ErrorBody())
    return http, {
        "FailedEntryCount": 0,
        "Entries": [],
        "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "emulator-limits"},
    }


class AwsLimits:
    """Installs the checks on the default boto3 session (every `boto3.client(...)` inherits them)."""

    _CONTEXT_KEY = "emulator_limit_violation"
    _ENTRIES_KEY = "emulator_limit_entry_failures"

    def __init__(self) -> None:
        self._session: Any = None
        self.violations: list[tuple[str, Violation]] = []
        self._lock = threading.Lock()

    def _check(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        check = CHECKS.get(service)
        try:
            violation = check(model.name, params) if check else None
        except (TypeError, ValueError, KeyError, AttributeError):
            violation = None  # malformed parameters: botocore's own validation reports them
        if violation is not None:
            context[self._CONTEXT_KEY] = violation
            with self._lock:
                self.violations.append((f"{service}.{model.name}", violation))
            return
        self._check_entries(service, model.name, params, context)

    def _check_entries(self, service: str, operation: str, params: dict[str, Any], context: dict[str, Any]) -> None:
        """Refused entries leave the request (moto answers for the others); with none left, `_answer` answers."""
        if service not in ENTRY_CHECKS:
            return
        check, key = ENTRY_CHECKS[service]
        try:
            failures = check(operation, params)
        except (TypeError, ValueError, KeyError, AttributeError):
            failures = {}
        if not failures:
            return
        entries = list(params[key])
        all_failed = len(failures) == len(entries)
        if not all_failed:  # left whole otherwise: botocore refuses an empty list before the short-circuit
            params[key] = [entry for index, entry in enumerate(entries) if index not in failures]
        context[self._ENTRIES_KEY] = EntryFailures(failures, len(entries), all_failed)
        with self._lock:
            self.violations += [(f"{service}.{operation}[{index}]", failure) for index, failure in failures.items()]

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        violation = context.get(self._CONTEXT_KEY)
        if violation is not None:
            return violation_response(violation)
        failures = context.get(self._ENTRIES_KEY)
        return _entries_answer() if failures is not None and failures.all_failed else None

    def _merge(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        failures = context.get(self._ENTRIES_KEY)
        if failures is not None and "Error" not in parsed:
            merge_entry_failures(parsed, failures)

    def _hooks(self) -> list[tuple[str, Any]]:
        return [("before-parameter-build", self._check), ("before-call", self._answer), ("after-call", self._merge)]

    def bypass(self, client: Any) -> Any:
        """`client` answers as bare moto from now on (its own event hooks only; for tests that compare)."""
        for event, handler in self._hooks():
            client.meta.events.unregister(event, handler)
        return client

    def install(self) -> AwsLimits:
        """On the default session, and on every session created later (the operator CLI makes its own):
        botocore registers its BUILTIN_HANDLERS on each new session."""
        if self._session is not None:
            return self
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        self._session = boto3.DEFAULT_SESSION
        for event, handler in self._hooks():
            self._session.events.register(event, handler)
            botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
        return self

    def uninstall(self) -> None:
        if self._session is None:
            return
        for event, handler in self._hooks():
            self._session.events.unregister(event, handler)
            if (event, handler) in botocore.handlers.BUILTIN_HANDLERS:
                botocore.handlers.BUILTIN_HANDLERS.remove((event, handler))
        self._session = None

    def __enter__(self) -> AwsLimits:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()
