"""AWS's documented value limits that moto does not enforce, applied to every boto3 call of this process.

moto accepts a DynamoDB number of 1e-200, an SNS subject with a line break and a 300 KB queue message;
AWS rejects each with an error. The product could hit these, so the emulator answers as AWS would:
the check runs on the call's parameters (`before-parameter-build`) and a violation short-circuits the
call with the service's own error (`before-call` returns the response, as botocore's Stubber does), so
the caller sees exactly the exception class and code AWS would give, and botocore does not retry it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
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


CHECKS: dict[str, Check] = {"dynamodb": _dynamodb, "sns": _sns, "sqs": _sqs}


# ---------------------------------------------------------------- installation


class _ErrorBody:
    def stream(self, **_: Any) -> Any:
        yield b""


def violation_response(violation: Violation) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore's `before-call` short-circuit expects: the HTTP response and the parsed answer."""
    http = AWSResponse("https://emulator.local/", violation.status, {}, _ErrorBody())
    parsed = {
        "Error": {"Code": violation.code, "Message": violation.message},
        "ResponseMetadata": {"HTTPStatusCode": violation.status, "RequestId": "emulator-limits"},
    }
    return http, parsed


class AwsLimits:
    """Installs the checks on the default boto3 session (every `boto3.client(...)` inherits them)."""

    _CONTEXT_KEY = "emulator_limit_violation"

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

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        violation = context.get(self._CONTEXT_KEY)
        return violation_response(violation) if violation is not None else None

    def _hooks(self) -> list[tuple[str, Any]]:
        return [("before-parameter-build", self._check), ("before-call", self._answer)]

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
