"""The emulator's CallCounter: calls by kind, and the SDK's retries (what `make load` allows a repeated
state-change event for)."""

from __future__ import annotations

import botocore.config

from devtools.emulator.call_counter import CallCounter
from devtools.emulator.faults import FaultInjector

ENTRY = {"Source": "automl-job-archive", "DetailType": "AutoML Job State Change", "Detail": '{"state_id": "s-1"}'}
TWO_ATTEMPTS = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2})


def test_a_retried_call_counts_once_as_a_call_and_once_as_a_retry(fresh_aws):
    # The counter hooks each HTTP attempt before the injector answers it (installed first)
    with CallCounter() as calls, FaultInjector() as faults:
        events = fresh_aws.client("events", config=TWO_ATTEMPTS)
        faults.inject("events", "PutEvents", "server-error")
        events.put_events(Entries=[ENTRY])  # the first attempt fails with a 5xx, the SDK's retry succeeds
        events.put_events(Entries=[ENTRY])
    assert calls.counts["eventbridge.PutEvents"] == 2
    assert calls.retries("eventbridge.PutEvents") == 1
    assert calls.retries("eventbridge.PutRule") == 0
