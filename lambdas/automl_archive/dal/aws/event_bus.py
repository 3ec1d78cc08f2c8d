"""The event bus the AutoML Job State Change event goes to (contracts/state_change_event.py).

One entry per PutEvents call: events of one job must reach the bus in state order, and EventBridge does
not say in which order it handles the entries of one call. A refused entry is reported in the answer,
not as an error (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html:
FailedEntryCount, and ErrorCode/ErrorMessage on the entry), so the SDK's retries never see it: an entry
failed with a code AWS calls retryable is put again here, a few times with a short back-off, and what
still fails is raised as EventNotAccepted (the queue then retries the record).
"""

from __future__ import annotations

import json
import random
import time

from automl_archive.contracts.call_budget import EVENTS
from automl_archive.contracts.state_change_event import DETAIL_TYPE, SOURCE
from automl_archive.dal.aws.client import BotoClient, aws_config
from automl_archive.dal.interfaces import EventNotAccepted, StateChangeEvent

# The entry error codes PutEventsResultEntry documents as retryable; the others (MalformedDetail,
# NotAuthorizedForSourceException, InvalidArgument) fail the same way every time.
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
RETRYABLE_ENTRY_ERRORS = frozenset({"InternalFailure", "ThrottlingException"})
ENTRY_ATTEMPTS = 3
BACKOFF_SECONDS = 0.1  # doubled per attempt, with full jitter: at most 0.3 s in all


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
    _config = aws_config("standard", EVENTS)

    def __init__(self, bus: str) -> None:
        self._bus = bus

    def put(self, event: StateChangeEvent) -> str:
        request = [put_events_entry(event, self._bus)]
        for attempt in range(1, ENTRY_ATTEMPTS + 1):
            answer = self._client.put_events(Entries=request)
            (entry,) = answer.get("Entries") or [{}]
            if not answer.get("FailedEntryCount") and "EventId" in entry:
                return str(entry["EventId"])
            code, message = str(entry.get("ErrorCode", "Unknown")), str(entry.get("ErrorMessage", ""))
            if code not in RETRYABLE_ENTRY_ERRORS or attempt == ENTRY_ATTEMPTS:
                raise EventNotAccepted(code, message)
            time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")
