"""Fault injection on EventBridge PutEvents (emulator/faults.py), against the session's moto server."""

from __future__ import annotations

import botocore.config
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from devtools.emulator.faults import FaultInjector, SimulatedCrash
from tests.conftest import NO_RETRIES

ENTRY = {"Source": "automl-job-archive", "DetailType": "AutoML Job State Change", "Detail": '{"state_id": "s-1"}'}


@pytest.fixture
def faults(fresh_aws):
    with FaultInjector() as injector:
        yield injector


@pytest.fixture
def events(fresh_aws, faults):
    # Created after the injector is installed: a client copies the session's hooks when it is made
    return fresh_aws.client("events", config=NO_RETRIES)


def test_failed_entry_answers_200_with_every_entry_failed_for_n_calls(events, faults):
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: a partial failure is a
    # 200 with FailedEntryCount and ErrorCode/ErrorMessage per entry; InternalFailure is retryable
    faults.inject("events", "PutEvents", "failed-entry", times=2)
    for entries in ([ENTRY], [ENTRY, ENTRY, ENTRY]):
        answer = events.put_events(Entries=entries)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert answer["FailedEntryCount"] == len(entries)
        assert [entry["ErrorCode"] for entry in answer["Entries"]] == ["InternalFailure"] * len(entries)
        assert all(entry["ErrorMessage"] and "EventId" not in entry for entry in answer["Entries"])
    answer = events.put_events(Entries=[ENTRY])
    assert answer["FailedEntryCount"] == 0 and answer["Entries"][0]["EventId"]
    assert faults.injected[("events", "PutEvents", "failed-entry")] == 2
    assert faults.pending() == 0


def test_failed_entry_keeps_the_emulators_own_refusals_in_place(events, faults):
    # An "aws." source is refused by the emulator's limits; the others meet the injected failure
    faults.inject("events", "PutEvents", "failed-entry")
    answer = events.put_events(Entries=[ENTRY, {**ENTRY, "Source": "aws.sagemaker"}, ENTRY])
    assert answer["FailedEntryCount"] == 3
    assert [entry["ErrorCode"] for entry in answer["Entries"]] == [
        "InternalFailure",
        "NotAuthorizedForSourceException",
        "InternalFailure",
    ]


def test_failed_entry_is_refused_for_other_calls(faults):
    for service, operation in (("events", "PutRule"), ("sqs", "SendMessageBatch"), ("sns", "Publish")):
        with pytest.raises(ValueError, match="failed-entry"):
            faults.inject(service, operation, "failed-entry")
    assert faults.pending() == 0


def test_put_events_throttled_as_eventbridge_throttles(events, faults):
    faults.inject("events", "PutEvents", "throttle")
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[ENTRY])
    error = raised.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ThrottlingException", 400)
    assert isinstance(raised.value, events.exceptions.ThrottlingException)


def test_botocore_retries_a_throttled_put_events(fresh_aws, faults):
    # ThrottlingException is one of botocore's throttling codes: the standard mode's 3 attempts get through
    events = fresh_aws.client("events", config=botocore.config.Config(retries={"mode": "standard"}))
    faults.inject("events", "PutEvents", "throttle", times=2)
    answer = events.put_events(Entries=[ENTRY])
    assert answer["FailedEntryCount"] == 0 and answer["ResponseMetadata"]["RetryAttempts"] == 2


def test_put_events_server_error_timeout_and_crash_after(events, faults):
    faults.inject("events", "PutEvents", "server-error")
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[ENTRY])
    assert raised.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    faults.inject("events", "PutEvents", "timeout")
    with pytest.raises(ReadTimeoutError):
        events.put_events(Entries=[ENTRY])

    faults.inject("events", "PutEvents", "crash-after")
    with pytest.raises(SimulatedCrash):
        events.put_events(Entries=[ENTRY])
    assert faults.pending() == 0
