"""The event bus the AutoML Job State Change event goes to (contracts/state_change_event.py).

One entry per PutEvents call: events of one job must reach the bus in state order, and EventBridge does
not say in which order it handles the entries of one call. A refused entry is reported in the answer,
not as an error (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html:
FailedEntryCount, and ErrorCode/ErrorMessage on the entry), so it is raised here as EventNotAccepted.
"""

from __future__ import annotations

import json

from automl_archive.contracts.state_change_event import DETAIL_TYPE, SOURCE
from automl_archive.dal.aws.client import BotoClient
from automl_archive.dal.interfaces import EventNotAccepted, StateChangeEvent


def put_events_entry(event: StateChangeEvent, bus: str) -> dict[str, object]:
    """The PutEvents entry of one event; `bus` is the bus's name or ARN."""
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Resources": [event.job_arn],
        "Detail": json.dumps(event.detail, separators=(",", ":"), allow_nan=False),
        "EventBusName": bus,
    }


class EventBridgeBus(BotoClient):
    _service = "events"

    def __init__(self, bus: str) -> None:
        self._bus = bus

    def put(self, event: StateChangeEvent) -> str:
        answer = self._client.put_events(Entries=[put_events_entry(event, self._bus)])
        (entry,) = answer.get("Entries") or [{}]
        if answer.get("FailedEntryCount") or "EventId" not in entry:
            raise EventNotAccepted(str(entry.get("ErrorCode", "Unknown")), str(entry.get("ErrorMessage", "")))
        return str(entry["EventId"])
