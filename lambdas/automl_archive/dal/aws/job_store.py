"""The jobs table (contracts/job_table.py): job states with their alert claims and pending events,
child links, watermarks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from automl_archive.contracts.job_identity import JobId, JobSource, source_of_key
from automl_archive.contracts.job_status import TERMINAL_STATUSES, ChildKind, DescribeApi
from automl_archive.contracts.job_table import (
    ALERT_DUE_ATTRIBUTE,
    ALERT_DUE_VALUE,
    ALERTS_DUE_INDEX,
    EVENT_DUE_ATTRIBUTE,
    EVENT_DUE_VALUE,
    EVENTS_DUE_INDEX,
    JOB_PREFIX,
    PARTITION_KEY,
    PENDING_EVENTS_ATTRIBUTE,
    SORT_KEY,
    STATE_SORT_KEY,
    TTL_ATTRIBUTE,
    alert_notification_attribute,
    alert_sent_attribute,
    child_link_key,
    job_key_of,
    state_key,
    watermark_key,
)
from automl_archive.dal.aws.client import BotoClient, error_code
from automl_archive.dal.aws.dynamo_codec import absent, from_dynamo, storable_summary, to_dynamo
from automl_archive.dal.interfaces import (
    ChildLink,
    InvalidWatermark,
    SavedState,
    StateChangeEvent,
    StoredJob,
    StoredState,
)


class DynamoJobStore(BotoClient):
    """One table: job state and its alert claims (sk STATE), child links (pk CHILD#...), watermarks."""

    _service = "dynamodb"

    def __init__(self, table_name: str) -> None:
        self._table = table_name

    def load_job(self, job_key: str) -> StoredJob:
        answer = self._client.get_item(TableName=self._table, Key=state_key(job_key), ConsistentRead=True)
        if "Item" not in answer:
            return StoredJob(state=None, alerts_sent=frozenset())
        return _stored_job(from_dynamo(answer["Item"]))

    def scan_states(self, attributes: tuple[str, ...] | None = None) -> Iterator[tuple[str, StoredJob]]:
        """Every job's stored state, as (job key, job), in no particular order (a paginated Scan)."""
        names = {"#pk": PARTITION_KEY, "#sk": SORT_KEY}
        request: dict[str, Any] = {}
        if attributes is not None:  # a projection: the seen events and events due stay in the table
            wanted = dict.fromkeys((PARTITION_KEY, SORT_KEY, "ordering", "status", *attributes))
            names.update({f"#p{index}": name for index, name in enumerate(wanted)})
            request["ProjectionExpression"] = ", ".join(f"#p{index}" for index in range(len(wanted)))
        paginator = self._client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self._table,
            FilterExpression="#sk = :state AND begins_with(#pk, :job)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":state": {"S": STATE_SORT_KEY}, ":job": {"S": JOB_PREFIX}},
            **request,
        ):
            for raw in page.get("Items", []):
                key = job_key_of(raw[PARTITION_KEY]["S"])
                if key is not None:
                    yield key, _stored_job(from_dynamo(raw))

    def save_state(
        self, job_key: str, ordering: int, summary: dict[str, Any], event: StateChangeEvent | None = None
    ) -> SavedState:
        summary = storable_summary(summary)
        values = {name: value for name, value in summary.items() if not absent(value)}
        values["ordering"] = ordering
        removed = [name for name, value in summary.items() if absent(value)]
        names = {f"#a{index}": name for index, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#a{index} = :a{index}" for index in range(len(values)))
        if removed:
            names.update({f"#r{index}": name for index, name in enumerate(removed)})
            expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removed)))
        attribute_values = {f":a{index}": to_dynamo(value) for index, value in enumerate(values.values())}
        attribute_values[":ordering"] = to_dynamo(ordering)
        names["#ordering"] = "ordering"
        if event is not None:
            # The event joins the job's pending events in the same conditional write as its state, so a
            # state is never archived without its event, nor an event kept for a state not archived.
            expression = expression.replace("SET ", "SET #due = :due, ", 1) + " ADD #pending :event"
            names.update({"#due": EVENT_DUE_ATTRIBUTE, "#pending": PENDING_EVENTS_ATTRIBUTE})
            attribute_values.update({":due": {"S": EVENT_DUE_VALUE}, ":event": {"SS": [encode_event(event)]}})
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=state_key(job_key),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY}) OR #ordering < :ordering",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ReturnValues="UPDATED_NEW" if event is not None else "NONE",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return SavedState(written=False)
            raise
        pending = answer.get("Attributes", {}).get(PENDING_EVENTS_ATTRIBUTE, {}).get("SS", [])
        return SavedState(written=True, pending_events=decode_events(pending))

    def event_published(self, job_key: str, event: StateChangeEvent) -> bool:
        names = {"#pending": PENDING_EVENTS_ATTRIBUTE}
        # The element exactly as stored when read from the store, so removal never depends on encoding
        element = {"SS": [event.stored_as or encode_event(event)]}
        # The usual case, the job's only event due: removed and off the index in one write.
        if self._conditional_update(
            key=state_key(job_key),
            expression="DELETE #pending :event REMOVE #due",
            condition="contains(#pending, :element) AND size(#pending) = :one",
            names={**names, "#due": EVENT_DUE_ATTRIBUTE},
            values={":event": element, ":one": to_dynamo(1), ":element": {"S": element["SS"][0]}},
        ):
            return True
        # Others are due too (or another publisher removed it first): DELETE from a set is idempotent.
        # (Conditional on the item, so a removal never creates an item of its own.)
        self._remove_elements(job_key, element)
        return False

    def discard_unreadable_events(self, job_key: str, elements: tuple[str, ...]) -> None:
        if elements:
            self._remove_elements(job_key, {"SS": list(elements)})

    def _remove_elements(self, job_key: str, elements: dict[str, Any]) -> None:
        self._conditional_update(
            key=state_key(job_key),
            expression="DELETE #pending :elements",
            condition=f"attribute_exists({PARTITION_KEY})",
            names={"#pending": PENDING_EVENTS_ATTRIBUTE},
            values={":elements": elements},
        )

    def clear_event_due(self, job_key: str) -> bool:
        # DynamoDB removes a set whose last element is deleted, so "no pending events" is its absence.
        return self._conditional_update(
            key=state_key(job_key),
            expression="REMOVE #due",
            condition=f"attribute_exists({PARTITION_KEY}) AND attribute_not_exists(#pending)",
            names={"#due": EVENT_DUE_ATTRIBUTE, "#pending": PENDING_EVENTS_ATTRIBUTE},
            values=None,
        )

    def jobs_with_event_due(self) -> list[JobId]:
        return self._due_jobs(EVENTS_DUE_INDEX, EVENT_DUE_ATTRIBUTE, EVENT_DUE_VALUE)

    def remember_event(self, job_key: str, fingerprint: str, limit: int, probed_kind: str | None = None) -> None:
        # A bounded set: past `limit` fingerprints at one state, duplicates cost a describe again.
        values: dict[str, Any] = {":fingerprint": {"SS": [fingerprint]}, ":limit": to_dynamo(limit)}
        expression = "ADD seen_events :fingerprint"
        if probed_kind:
            expression += ", probed_kinds :kind"
            values[":kind"] = {"SS": [probed_kind]}
        self._conditional_update(
            key=state_key(job_key),
            expression=expression,
            condition=f"attribute_exists({PARTITION_KEY})"
            " AND (attribute_not_exists(seen_events) OR size(seen_events) < :limit)",
            names=None,
            values=values,
        )

    def claim_alert(self, job_key: str, status: str, owner: str, now: int, lease_until: int) -> bool:
        # The claim lives on the state item (one GetItem reads state and alerts); the status is one of
        # the three terminal statuses, so the attribute names are fixed.
        _check_terminal(status)
        return self._conditional_update(
            key=state_key(job_key),
            expression="SET #owner = :owner, #until = :lease",
            condition=(
                f"attribute_exists({PARTITION_KEY}) AND attribute_not_exists(#sent)"
                " AND (attribute_not_exists(#owner) OR #owner = :owner OR #until < :now)"
            ),
            names={
                "#owner": f"alert_{status}_owner",
                "#until": f"alert_{status}_until",
                "#sent": alert_sent_attribute(status),
            },
            values={":owner": {"S": owner}, ":lease": to_dynamo(lease_until), ":now": to_dynamo(now)},
        )

    def mark_alert_sent(self, job_key: str, status: str, sent_at: str, notification_id: str) -> None:
        _check_terminal(status)
        self._client.update_item(
            TableName=self._table,
            Key=state_key(job_key),
            UpdateExpression="SET #sent = :sent, #id = :id REMOVE #due",
            ExpressionAttributeNames={
                "#sent": alert_sent_attribute(status),
                "#id": alert_notification_attribute(status),
                "#due": ALERT_DUE_ATTRIBUTE,
            },
            ExpressionAttributeValues={":sent": {"S": sent_at}, ":id": {"S": notification_id}},
        )

    def jobs_with_alert_due(self) -> list[JobId]:
        return self._due_jobs(ALERTS_DUE_INDEX, ALERT_DUE_ATTRIBUTE, ALERT_DUE_VALUE)

    def _due_jobs(self, index: str, attribute: str, value: str) -> list[JobId]:
        """The jobs on a sparse index: the projected name, and the source the key names (an index
        always projects the table's keys)."""
        jobs: list[JobId] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression="#due = :due",
            ExpressionAttributeNames={"#due": attribute},
            ExpressionAttributeValues={":due": {"S": value}},
        ):
            for item in page.get("Items", []):
                key = job_key_of(item[PARTITION_KEY]["S"])
                if "job_name" in item and key is not None:
                    jobs.append(JobId(item["job_name"]["S"], source_of_key(key)))
        return jobs

    def stored_orderings(self, job_keys: list[str]) -> dict[str, int]:
        orderings: dict[str, int] = {}
        unique = list(dict.fromkeys(job_keys))
        for start in range(0, len(unique), 100):  # BatchGetItem's limit
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [state_key(key) for key in unique[start : start + 100]],
                    "ProjectionExpression": "#pk, #ordering",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#ordering": "ordering"},
                    "ConsistentRead": True,
                }
            }
            while pending:
                answer = self._client.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self._table, []):
                    orderings[item[PARTITION_KEY]["S"].removeprefix(JOB_PREFIX)] = int(item["ordering"]["N"])
                pending = answer.get("UnprocessedKeys") or {}
        return orderings

    def get_watermark(self, name: str) -> datetime | None:
        answer = self._client.get_item(TableName=self._table, Key=watermark_key(name), ConsistentRead=True)
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
            key=watermark_key(name),
            expression="SET #value = :value",
            # ISO 8601 in UTC orders as text; an invalid value is replaced only when the caller says so
            condition=f"attribute_exists({PARTITION_KEY})"
            if replace_invalid
            else "attribute_not_exists(#value) OR #value < :value",
            names={"#value": "value"},
            values={":value": {"S": value.astimezone(UTC).isoformat()}},
        )

    def rewind_watermark(self, name: str, value: datetime) -> bool:
        """Move a watermark back to `value` (creating it if absent), so the next pass lists from there:
        the operator's backfill of a spoke. False when it already was at or before `value`."""
        return self._conditional_update(
            key=watermark_key(name),
            expression="SET #value = :value",
            condition="attribute_not_exists(#value) OR #value > :value",
            names={"#value": "value"},
            values={":value": {"S": value.astimezone(UTC).isoformat()}},
        )

    def get_child_link(self, kind: ChildKind, child_name: str, source: JobSource | None = None) -> ChildLink | None:
        answer = self._client.get_item(
            TableName=self._table, Key=child_link_key(kind.value, child_name, source), ProjectionExpression="job_name"
        )
        if "Item" not in answer:
            return None
        job_name = answer["Item"].get("job_name", {}).get("S")
        return ChildLink(job_name=job_name)

    def put_child_link(
        self, kind: ChildKind, child_name: str, link: ChildLink, expires_at: int, source: JobSource | None = None
    ) -> None:
        item = {**child_link_key(kind.value, child_name, source), TTL_ATTRIBUTE: to_dynamo(expires_at)}
        if link.job_name:
            item["job_name"] = {"S": link.job_name}
        self._client.put_item(TableName=self._table, Item=item)

    def _conditional_update(
        self,
        key: dict[str, Any],
        expression: str,
        condition: str,
        names: dict[str, str] | None,
        values: dict[str, Any] | None,
    ) -> bool:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _stored_job(item: dict[str, Any]) -> StoredJob:
    state = StoredState(
        ordering=int(item["ordering"]),
        status=item["status"],
        is_terminal=bool(item.get("is_terminal")),
        describe_api=_describe_api(item.get("describe_api")),
        alert_category=item.get("alert_category"),
        seen_events=frozenset(item.get("seen_events") or ()),
        probed_kinds=frozenset(item.get("probed_kinds") or ()),
        attributes=item,
    )
    alerts_sent = frozenset(status for status in TERMINAL_STATUSES if item.get(alert_sent_attribute(status)))
    return StoredJob(
        state=state,
        alerts_sent=alerts_sent,
        pending_events=decode_events(item.get(PENDING_EVENTS_ATTRIBUTE) or ()),
        event_due=EVENT_DUE_ATTRIBUTE in item,
        unreadable_events=unreadable_events(item.get(PENDING_EVENTS_ATTRIBUTE) or ()),
    )


def encode_event(event: StateChangeEvent) -> str:
    """The set element of a pending event: compact JSON in the detail's own field order, which decoding
    keeps, so an event read back encodes to the same element (DELETE removes it by value); a non-finite
    number fails here rather than at the bus."""
    document = {"ordering": event.ordering, "job_arn": event.job_arn, "detail": event.detail}
    return json.dumps(document, separators=(",", ":"), allow_nan=False)


def _decode(text: str) -> StateChangeEvent | None:
    try:
        document = json.loads(text)
        detail = document["detail"]
        if not isinstance(detail, dict):
            return None
        return StateChangeEvent(int(document["ordering"]), str(document["job_arn"]), detail, stored_as=text)
    except (ValueError, KeyError, TypeError):
        return None


def decode_events(encoded: Iterable[str]) -> tuple[StateChangeEvent, ...]:
    """Pending events in state order, each carrying its stored element (see `unreadable_events`)."""
    events = [event for event in map(_decode, encoded) if event is not None]
    return tuple(sorted(events, key=lambda event: event.ordering))


def unreadable_events(encoded: Iterable[str]) -> tuple[str, ...]:
    """Stored elements that are not an event (edited by hand, or written by a future format)."""
    return tuple(text for text in encoded if _decode(text) is None)


def _describe_api(value: Any) -> DescribeApi | None:
    return DescribeApi(value) if value in set(DescribeApi) else None


def _check_terminal(status: str) -> None:
    if status not in TERMINAL_STATUSES:
        raise ValueError(f"alerts are per terminal status, not {status!r}")
