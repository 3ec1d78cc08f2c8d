"""boto3 implementations of the data-access interfaces.

Clients are created on first use (cold-start cost is paid only for the services a record needs)
and reach the endpoint in AWS_ENDPOINT_URL when it is set, so the same code runs against AWS and
the local emulator. Throttling and transient errors are retried by botocore's retry modes; what is
still failing after that propagates so the queue redelivers the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from automl_archive.contracts.call_budget import SAGEMAKER, STORAGE, CallBudget
from automl_archive.contracts.job_table import ALERT_DUE_ATTRIBUTE, ALERT_DUE_VALUE, ALERTS_DUE_INDEX
from automl_archive.dal.interfaces import (
    CandidatesUnavailable,
    ChildJobNotFound,
    ChildLink,
    InvalidWatermark,
    JobNotFound,
    StoredJob,
    StoredState,
    WrongDescribeApi,
)
from automl_archive.logic.state import TERMINAL_STATUSES
from automl_archive.models.messages import ChildKind
from automl_archive.models.record import NUMERIC_JOB_RECORD_COLUMNS

STATE_SK = "STATE"
_SHORT_API_NAMES = {"DescribeAutoMLJob": "v1", "DescribeAutoMLJobV2": "v2"}
_NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})

_CHILD_DESCRIBE = {
    ChildKind.TRAINING: ("describe_training_job", "TrainingJobName"),
    ChildKind.PROCESSING: ("describe_processing_job", "ProcessingJobName"),
    ChildKind.TRANSFORM: ("describe_transform_job", "TransformJobName"),
}


class _BotoClient:
    """A lazily created boto3 client (cold start pays only for the services a record needs)."""

    _service = ""

    def _make_client(self) -> Any:
        return boto3.client(self._service, config=_aws_config("standard", STORAGE))

    @cached_property
    def _client(self) -> Any:
        return self._make_client()

    def connect(self) -> None:
        """Create the client now (in the calling thread)."""
        _ = self._client


def job_pk(job_key: str) -> str:
    return f"JOB#{job_key}"


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _aws_config(retry_mode: str, budget: CallBudget) -> Config:
    return Config(
        retries={"mode": retry_mode, "max_attempts": budget.max_attempts},
        connect_timeout=budget.connect_timeout_seconds,
        read_timeout=budget.read_timeout_seconds,
    )


class SageMakerApi(_BotoClient):
    _service = "sagemaker"

    def __init__(self, retry_mode: str, max_attempts: int) -> None:
        budget = CallBudget(SAGEMAKER.connect_timeout_seconds, SAGEMAKER.read_timeout_seconds, max_attempts)
        self._config = _aws_config(retry_mode, budget)

    def _make_client(self) -> Any:
        return boto3.client(self._service, config=self._config)

    def describe_automl_job(self, job_name: str, api: str) -> dict[str, Any]:
        try:
            if api == "v2":
                answer = self._client.describe_auto_ml_job_v2(AutoMLJobName=job_name)
            else:
                answer = self._client.describe_auto_ml_job(AutoMLJobName=job_name)
        except ClientError as error:
            code = _error_code(error)
            if code in _NOT_FOUND_CODES:
                raise JobNotFound(job_name) from error
            if code == "ValidationException" and api == "v1":
                raise WrongDescribeApi(job_name) from error
            raise
        answer.pop("ResponseMetadata", None)
        return dict(answer)

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        candidates: list[dict[str, Any]] = []
        try:
            for page in self._client.get_paginator("list_candidates_for_auto_ml_job").paginate(
                AutoMLJobName=job_name, PaginationConfig={"PageSize": 100}
            ):
                candidates.extend(page.get("Candidates", []))
        except ClientError as error:
            # AccessDenied, ValidationException (no candidates for this problem type), ResourceNotFound,
            # throttling or 5xx after the SDK's retries: all end the same way for an enrichment.
            raise CandidatesUnavailable(job_name, _error_code(error) or "ClientError") from error
        except BotoCoreError as error:  # timeouts and connection errors after the SDK's retries
            raise CandidatesUnavailable(job_name, type(error).__name__) from error
        return candidates

    def job_summary_pages(self, **filters: Any) -> Iterator[list[dict[str, Any]]]:
        paginator = self._client.get_paginator("list_auto_ml_jobs")
        for page in paginator.paginate(**filters, PaginationConfig={"PageSize": 100}):
            yield list(page.get("AutoMLJobSummaries", []))

    def automl_job_arn_of_child(self, kind: ChildKind, child_name: str) -> str | None:
        method, name_field = _CHILD_DESCRIBE[kind]
        try:
            answer = getattr(self._client, method)(**{name_field: child_name})
        except ClientError as error:
            # SageMaker answers ValidationException for a child job it does not know.
            if _error_code(error) in _NOT_FOUND_CODES | {"ValidationException"}:
                raise ChildJobNotFound(child_name) from error
            raise
        arn = answer.get("AutoMLJobArn")
        return str(arn) if arn else None

    def first_training_job_of_tuning_job(self, tuning_job_name: str) -> str | None:
        try:
            answer = self._client.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=tuning_job_name, MaxResults=1
            )
        except ClientError as error:
            if _error_code(error) in _NOT_FOUND_CODES | {"ValidationException"}:
                raise ChildJobNotFound(tuning_job_name) from error
            raise
        summaries = answer.get("TrainingJobSummaries") or []
        return str(summaries[0]["TrainingJobName"]) if summaries else None


class DynamoJobStore(_BotoClient):
    """One table: job state and its alert claims (sk STATE), child links (pk CHILD#...), watermarks."""

    _service = "dynamodb"

    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def load_job(self, job_key: str) -> StoredJob:
        answer = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": job_pk(job_key)}, "sk": {"S": STATE_SK}}, ConsistentRead=True
        )
        if "Item" not in answer:
            return StoredJob(state=None, alerts_sent=frozenset())
        item = from_dynamo(answer["Item"])
        state = StoredState(
            ordering=int(item["ordering"]),
            status=item["status"],
            is_terminal=bool(item.get("is_terminal")),
            describe_api=_SHORT_API_NAMES.get(item.get("describe_api", "")),
            alert_category=item.get("alert_category"),
            seen_events=frozenset(item.get("seen_events") or ()),
            probed_kinds=frozenset(item.get("probed_kinds") or ()),
            attributes=item,
        )
        alerts_sent = frozenset(status for status in TERMINAL_STATUSES if item.get(f"alert_{status}_sent_at"))
        return StoredJob(state=state, alerts_sent=alerts_sent)

    def save_state(self, job_key: str, ordering: int, summary: dict[str, Any]) -> bool:
        summary = storable_summary(summary)
        values = {name: value for name, value in summary.items() if not _absent(value)}
        values["ordering"] = ordering
        removed = [name for name, value in summary.items() if _absent(value)]
        names = {f"#a{index}": name for index, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#a{index} = :a{index}" for index in range(len(values)))
        if removed:
            names.update({f"#r{index}": name for index, name in enumerate(removed)})
            expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removed)))
        attribute_values = {f":a{index}": to_dynamo(value) for index, value in enumerate(values.values())}
        attribute_values[":ordering"] = to_dynamo(ordering)
        names["#ordering"] = "ordering"
        return self._conditional_update(
            key={"pk": {"S": job_pk(job_key)}, "sk": {"S": STATE_SK}},
            expression=expression,
            condition="attribute_not_exists(pk) OR #ordering < :ordering",
            names=names,
            values=attribute_values,
        )

    def remember_event(self, job_key: str, fingerprint: str, limit: int, probed_kind: str | None = None) -> None:
        # A bounded set: past `limit` fingerprints at one state, duplicates cost a describe again.
        values: dict[str, Any] = {":fingerprint": {"SS": [fingerprint]}, ":limit": to_dynamo(limit)}
        expression = "ADD seen_events :fingerprint"
        if probed_kind:
            expression += ", probed_kinds :kind"
            values[":kind"] = {"SS": [probed_kind]}
        self._conditional_update(
            key={"pk": {"S": job_pk(job_key)}, "sk": {"S": STATE_SK}},
            expression=expression,
            condition="attribute_exists(pk) AND (attribute_not_exists(seen_events) OR size(seen_events) < :limit)",
            names=None,
            values=values,
        )

    def claim_alert(self, job_key: str, status: str, owner: str, now: int, lease_until: int) -> bool:
        # The claim lives on the state item (one GetItem reads state and alerts); the status is one of
        # the three terminal statuses, so the attribute names are fixed.
        _check_terminal(status)
        return self._conditional_update(
            key={"pk": {"S": job_pk(job_key)}, "sk": {"S": STATE_SK}},
            expression="SET #owner = :owner, #until = :lease",
            condition=(
                "attribute_exists(pk) AND attribute_not_exists(#sent)"
                " AND (attribute_not_exists(#owner) OR #owner = :owner OR #until < :now)"
            ),
            names={
                "#owner": f"alert_{status}_owner",
                "#until": f"alert_{status}_until",
                "#sent": f"alert_{status}_sent_at",
            },
            values={":owner": {"S": owner}, ":lease": to_dynamo(lease_until), ":now": to_dynamo(now)},
        )

    def mark_alert_sent(self, job_key: str, status: str, sent_at: str, notification_id: str) -> None:
        _check_terminal(status)
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": job_pk(job_key)}, "sk": {"S": STATE_SK}},
            UpdateExpression="SET #sent = :sent, #id = :id REMOVE #due",
            ExpressionAttributeNames={
                "#sent": f"alert_{status}_sent_at",
                "#id": f"alert_{status}_notification_id",
                "#due": ALERT_DUE_ATTRIBUTE,
            },
            ExpressionAttributeValues={":sent": {"S": sent_at}, ":id": {"S": notification_id}},
        )

    def jobs_with_alert_due(self) -> list[str]:
        names: list[str] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=ALERTS_DUE_INDEX,
            KeyConditionExpression="#due = :due",
            ExpressionAttributeNames={"#due": ALERT_DUE_ATTRIBUTE},
            ExpressionAttributeValues={":due": {"S": ALERT_DUE_VALUE}},
        ):
            names += [item["job_name"]["S"] for item in page.get("Items", []) if "job_name" in item]
        return names

    def stored_orderings(self, job_keys: list[str]) -> dict[str, int]:
        orderings: dict[str, int] = {}
        unique = list(dict.fromkeys(job_keys))
        for start in range(0, len(unique), 100):  # BatchGetItem's limit
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [{"pk": {"S": job_pk(key)}, "sk": {"S": STATE_SK}} for key in unique[start : start + 100]],
                    "ProjectionExpression": "pk, #ordering",
                    "ExpressionAttributeNames": {"#ordering": "ordering"},
                    "ConsistentRead": True,
                }
            }
            while pending:
                answer = self._client.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self._table, []):
                    orderings[item["pk"]["S"][len("JOB#") :]] = int(item["ordering"]["N"])
                pending = answer.get("UnprocessedKeys") or {}
        return orderings

    def get_watermark(self, name: str) -> datetime | None:
        answer = self._client.get_item(TableName=self._table, Key=self._watermark_key(name), ConsistentRead=True)
        stored = answer.get("Item", {}).get("value")
        if stored is None:
            return None
        text = stored.get("S", "")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidWatermark(name, str(text or stored)) from None
        if value.tzinfo is None:
            raise InvalidWatermark(name, text)  # a time without its offset cannot be ordered safely
        return value

    def advance_watermark(self, name: str, value: datetime, replace_invalid: bool = False) -> bool:
        return self._conditional_update(
            key=self._watermark_key(name),
            expression="SET #value = :value",
            # ISO 8601 in UTC orders as text; an invalid value is replaced only when the caller says so
            condition="attribute_exists(pk)" if replace_invalid else "attribute_not_exists(#value) OR #value < :value",
            names={"#value": "value"},
            values={":value": {"S": value.astimezone(UTC).isoformat()}},
        )

    @staticmethod
    def _watermark_key(name: str) -> dict[str, Any]:
        return {"pk": {"S": f"WATERMARK#{name}"}, "sk": {"S": "WATERMARK"}}

    def get_child_link(self, kind: ChildKind, child_name: str) -> ChildLink | None:
        answer = self._client.get_item(
            TableName=self._table, Key=self._child_key(kind, child_name), ProjectionExpression="job_name"
        )
        if "Item" not in answer:
            return None
        job_name = answer["Item"].get("job_name", {}).get("S")
        return ChildLink(job_name=job_name)

    def put_child_link(self, kind: ChildKind, child_name: str, link: ChildLink, expires_at: int) -> None:
        item = {**self._child_key(kind, child_name), "expires_at": to_dynamo(expires_at)}
        if link.job_name:
            item["job_name"] = {"S": link.job_name}
        self._client.put_item(TableName=self._table, Item=item)

    @staticmethod
    def _child_key(kind: ChildKind, child_name: str) -> dict[str, Any]:
        return {"pk": {"S": f"CHILD#{kind.value}#{child_name.lower()}"}, "sk": {"S": "LINK"}}

    def _conditional_update(
        self,
        key: dict[str, Any],
        expression: str,
        condition: str,
        names: dict[str, str] | None,
        values: dict[str, Any],
    ) -> bool:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


class S3Archive(_BotoClient):
    _service = "s3"

    def __init__(self, bucket_name: str) -> None:
        self._bucket = bucket_name

    def put_json(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def location(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"


class SnsNotifier(_BotoClient):
    _service = "sns"

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Subject=subject,
            Message=message,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
            },
        )
        return str(answer["MessageId"])


class SqsWorkQueue(_BotoClient):
    _service = "sqs"

    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def send_batch(self, bodies: list[dict[str, Any]]) -> None:
        for start in range(0, len(bodies), 10):  # SendMessageBatch's limit
            entries = [
                {"Id": str(index), "MessageBody": json.dumps(body)}
                for index, body in enumerate(bodies[start : start + 10])
            ]
            answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            if answer.get("Failed"):
                reasons = sorted({failure.get("Code", "?") for failure in answer["Failed"]})
                raise RuntimeError(f"{len(answer['Failed'])} messages not sent to the work queue: {reasons}")


def _check_terminal(status: str) -> None:
    if status not in TERMINAL_STATUSES:
        raise ValueError(f"alerts are per terminal status, not {status!r}")


def _absent(value: Any) -> bool:
    """None and empty collections are not stored (DynamoDB rejects empty sets)."""
    return value is None or (isinstance(value, list | tuple | set | frozenset) and not value)


# DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 to 9.99...E+125 (or zero); anything
# else is a ValidationException. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
DYNAMO_NUMBER_MAX_DIGITS = 38
DYNAMO_NUMBER_MIN_EXPONENT = -130
DYNAMO_NUMBER_MAX_EXPONENT = 125


def dynamo_number(value: int | float | Decimal | str) -> str | None:
    """The number as DynamoDB's N text, or None when DynamoDB cannot hold it (range, precision, NaN)."""
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number.is_zero():
        return "0"
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")  # DynamoDB trims both ends
    if len(significant) > DYNAMO_NUMBER_MAX_DIGITS:
        return None
    if not DYNAMO_NUMBER_MIN_EXPONENT <= number.adjusted() <= DYNAMO_NUMBER_MAX_EXPONENT:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def storable_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A top-level number DynamoDB cannot hold (a metric of 1e-200, say) is stored as null plus its text
    in `<name>_text`; the `_text` attribute of a number that fits (or is absent) is removed, so it never
    outlives the state it came from. The S3 record and the raw answer keep the value exactly."""
    storable: dict[str, Any] = {}
    for name, value in summary.items():
        storable[name] = value
        if name in NUMERIC_JOB_RECORD_COLUMNS or _is_number(value):
            unstorable = value is not None and dynamo_number(value) is None
            storable[name] = None if unstorable else value
            storable[f"{name}_text"] = repr(value) if unstorable else None
    return storable


def to_dynamo(value: Any) -> dict[str, Any]:
    """Marshal the plain values the archiver stores (no floats lost to Decimal conversions); a nested
    number DynamoDB cannot hold is kept as its text."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        text = dynamo_number(value)
        return {"N": text} if text is not None else {"S": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, frozenset | set):
        return {"SS": sorted(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_dynamo(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {key: to_dynamo(item) for key, item in value.items() if item is not None}}
    if value is None:
        return {"NULL": True}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def from_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _from_attribute(value) for name, value in item.items()}


def _from_attribute(value: dict[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "N":
        # Integers stay exact: the state ordering key is wider than a float's 53-bit mantissa.
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "L":
        return [_from_attribute(item) for item in raw]
    if kind == "M":
        return from_dynamo(raw)
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(raw)
    return raw
