"""The boto3 data-access layer against moto's server: conditional writes behave as the logic assumes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from automl_archive.contracts.job_identity import JobId, JobSource
from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.contracts.job_table import (
    EVENT_DUE_ATTRIBUTE,
    EVENTS_DUE_INDEX,
    PARTITION_KEY,
    PENDING_EVENTS_ATTRIBUTE,
    SORT_KEY,
    state_key,
)
from automl_archive.contracts.state_change_event import DETAIL_TYPE, SOURCE
from automl_archive.dal.aws import (
    DynamoJobStore,
    EventBridgeBus,
    S3Archive,
    SageMakerApi,
    SnsNotifier,
    SqsWorkQueue,
)
from automl_archive.dal.aws.dynamo_codec import dynamo_number
from automl_archive.dal.aws.event_bus import ENTRY_ATTEMPTS
from automl_archive.dal.interfaces import CandidatesUnavailable, ChildLink, EventNotAccepted, StateChangeEvent
from automl_archive_cli.aws import Deployment
from automl_archive_cli.commands import source_sweeps
from automl_archive_cli.spoke_backfill import rewind_spoke_sweeps

SUMMARY = {
    "job_name": "Churn",
    "status": "InProgress",
    "is_terminal": False,
    "describe_api": "DescribeAutoMLJobV2",
    "alert_category": None,
    "duration_seconds": 12.5,
    "partial_failure_reasons": [],
}


@pytest.fixture
def store(fresh_aws):
    fresh_aws.client("dynamodb").create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
            {"AttributeName": EVENT_DUE_ATTRIBUTE, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": EVENTS_DUE_INDEX,
                "KeySchema": [{"AttributeName": EVENT_DUE_ATTRIBUTE, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["job_name"]},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return DynamoJobStore("jobs")


JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn"


def event(ordering: int, status: str = "InProgress", metric: float | None = 0.5) -> StateChangeEvent:
    detail = {"state_id": f"s-{ordering}", "job_name": "Churn", "status": status, "name": "Ünïcode", "metric": metric}
    return StateChangeEvent(
        ordering=ordering, job_arn="arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn", detail=detail
    )


def test_a_state_and_its_event_are_written_together_and_the_event_stays_due_until_published(store, fresh_aws):
    # Given two states archived while the bus was down: each write keeps its event
    first = store.save_state("churn", 100, SUMMARY, event(100))
    second = store.save_state("churn", 200, {**SUMMARY, "status": "Stopping"}, event(200, "Stopping", 0.1 + 0.2))
    assert [e.state_id for e in first.pending_events] == ["s-100"]
    assert [e.state_id for e in second.pending_events] == ["s-100", "s-200"]
    # And a stale state's write keeps no event
    assert store.save_state("churn", 150, SUMMARY, event(150)).written is False
    job = store.load_job("churn")
    assert [e.ordering for e in job.pending_events] == [100, 200]
    assert job.pending_events[1].detail == event(200, "Stopping", 0.1 + 0.2).detail  # read back exactly
    assert job.event_due and store.jobs_with_event_due() == [JobId("Churn")]
    # When the first is published, the job is still due (one is left) and the mark stays
    assert store.event_published("churn", job.pending_events[0]) is False
    assert store.clear_event_due("churn") is False
    assert [e.ordering for e in store.load_job("churn").pending_events] == [200]
    # When the second, the last one, is published: removed and off the index in the same write
    assert store.event_published("churn", job.pending_events[1]) is True
    assert store.jobs_with_event_due() == []
    # And a second publisher of it removes nothing and finds nothing left to clear
    assert store.event_published("churn", job.pending_events[1]) is False
    assert store.clear_event_due("churn") is True
    item = fresh_aws.client("dynamodb").get_item(TableName="jobs", Key=state_key("churn"))["Item"]
    assert PENDING_EVENTS_ATTRIBUTE not in item and EVENT_DUE_ATTRIBUTE not in item
    assert store.jobs_with_event_due() == []
    assert store.load_job("churn").pending_events == ()


def test_an_event_json_cannot_carry_is_refused_before_the_write(store):
    # A NaN in a detail would be a MalformedDetail at the bus: the write refuses it instead
    with pytest.raises(ValueError):
        store.save_state("churn", 100, SUMMARY, event(100, metric=float("nan")))


def test_the_bus_puts_the_event_a_rule_matches_and_reports_a_refused_entry(fresh_aws):
    # Given a rule on the default bus, as a user would write it, feeding a queue
    events, sqs = fresh_aws.client("events"), fresh_aws.client("sqs")
    url = sqs.create_queue(QueueName="completed-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"status": ["Completed"]}}
    events.put_rule(Name="completed", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="completed", Targets=[{"Id": "queue", "Arn": arn}])
    bus = EventBridgeBus("arn:aws:events:us-east-1:123456789012:event-bus/default")
    # When a running and a completed state's events are put
    bus.put(event(100))
    event_id = bus.put(event(200, "Completed"))
    # Then only the completed one reaches the queue, with the envelope the docs give
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    delivered = json.loads(message["Body"])
    assert (delivered["source"], delivered["detail-type"], delivered["id"]) == (SOURCE, DETAIL_TYPE, event_id)
    assert delivered["resources"] == [event(200).job_arn]
    assert delivered["detail"]["state_id"] == "s-200"

    def failed(code: str) -> dict:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": code, "ErrorMessage": "refused"}]}

    # And an entry PutEvents reports as failed (FailedEntryCount, which the SDK never retries) is put
    # again while its code is a retryable one, then raised, not returned
    with Stubber(bus._client) as stub:
        stub.add_response("put_events", failed("ThrottlingException"))
        stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]})
        assert bus.put(event(300)) == "e-1"
        for _ in range(ENTRY_ATTEMPTS):
            stub.add_response("put_events", failed("InternalFailure"))
        with pytest.raises(EventNotAccepted) as refused:
            bus.put(event(300))
        stub.assert_no_pending_responses()
        assert refused.value.code == "InternalFailure"
        # And a failure that would repeat is raised at once
        stub.add_response("put_events", failed("MalformedDetail"))
        with pytest.raises(EventNotAccepted, match="MalformedDetail"):
            bus.put(event(300))
        stub.assert_no_pending_responses()


def test_state_write_is_conditional_on_ordering(store):
    # Given a stored state
    assert store.save_state("churn", 100, SUMMARY).written is True
    # When an equal or older state is written / Then it is refused
    assert store.save_state("churn", 100, {**SUMMARY, "status": "Stopping"}).written is False
    assert store.save_state("churn", 99, {**SUMMARY, "status": "Stopping"}).written is False
    # When a newer one is written / Then it replaces the state and clears fields that became empty
    assert (
        store.save_state(
            "churn", 2**60, {**SUMMARY, "status": "Failed", "is_terminal": True, "duration_seconds": None}
        ).written
        is True
    )
    stored = store.load_job("churn").state
    assert stored is not None
    assert (stored.ordering, stored.status, stored.is_terminal) == (2**60, "Failed", True)
    assert stored.describe_api is DescribeApi.V2
    assert "duration_seconds" not in stored.attributes


def test_scan_states_reads_every_job_state_and_nothing_else(store):
    # Given two job states, a child link and a watermark in the one table, over several scan pages
    for index in range(3):
        assert store.save_state(f"job-{index}", 100 + index, {**SUMMARY, "job_name": f"Job-{index}"}).written
    store.put_child_link(ChildKind.TRAINING, "job-0-train", ChildLink(job_name="Job-0"), expires_at=2_000_000_000)
    store.advance_watermark("list", datetime(2026, 11, 30, tzinfo=UTC))
    # When every state is scanned
    states = dict(store.scan_states())
    # Then each job state comes back once, typed, and the other items do not
    assert sorted(states) == ["job-0", "job-1", "job-2"]
    assert {key: job.state.ordering for key, job in states.items() if job.state} == {
        "job-0": 100,
        "job-1": 101,
        "job-2": 102,
    }
    assert states["job-1"].state is not None and states["job-1"].state.attributes["job_name"] == "Job-1"
    # And a scan of named attributes reads only those (with the state's ordering and status)
    projected = dict(store.scan_states(("job_name",)))
    job = projected["job-1"].state
    assert job is not None and (job.ordering, job.status, job.attributes["job_name"]) == (101, "InProgress", "Job-1")
    assert "describe_api" not in job.attributes and "duration_seconds" not in job.attributes


def test_alert_claim_lease_and_sent_marker(store):
    # Given no archived state, no claim can be made (the alert follows the terminal state's write)
    assert store.claim_alert("churn", "Failed", "m-1", now=100, lease_until=220) is False
    store.save_state("churn", 100, {**SUMMARY, "status": "Failed", "is_terminal": True})
    assert store.claim_alert("churn", "Failed", "m-1", now=100, lease_until=220) is True
    assert store.claim_alert("churn", "Failed", "m-2", now=150, lease_until=270) is False
    assert store.claim_alert("churn", "Failed", "m-1", now=160, lease_until=280) is True
    assert store.claim_alert("churn", "Failed", "m-2", now=300, lease_until=420) is True  # lease expired
    store.mark_alert_sent("churn", "Failed", "2026-11-20T00:00:00+00:00", "sns-1")
    assert store.claim_alert("churn", "Failed", "m-2", now=301, lease_until=421) is False
    assert store.load_job("churn").alerts_sent == frozenset({"Failed"})
    # And a later state write keeps the alert record
    store.save_state("churn", 200, {**SUMMARY, "status": "Failed", "is_terminal": True})
    assert store.load_job("churn").alerts_sent == frozenset({"Failed"})


def test_child_links_remember_none_and_job(store):
    assert store.get_child_link(ChildKind.TRAINING, "plain-model") is None
    store.put_child_link(ChildKind.TRAINING, "plain-model", ChildLink(None), expires_at=2_000_000_000)
    store.put_child_link(ChildKind.PROCESSING, "Churn-db-1-ab", ChildLink("Churn"), expires_at=2_000_000_000)
    assert store.get_child_link(ChildKind.TRAINING, "plain-model") == ChildLink(None)
    assert store.get_child_link(ChildKind.PROCESSING, "churn-DB-1-ab") == ChildLink("Churn")


def test_same_named_jobs_and_children_of_different_sources_are_kept_apart(store):
    # The hub's own job keeps its unqualified key (an archive written before spokes reads as before)
    spoke = JobSource("111122223333", "eu-west-1")
    store.save_state("churn", 100, SUMMARY, event(100))
    store.save_state(JobId("Churn", spoke).key, 50, SUMMARY, event(50))
    assert store.load_job("churn").state.ordering == 100
    assert store.load_job("111122223333.eu-west-1.churn").state.ordering == 50
    # The sparse index names each job with its source, read from the item's key
    expected = [JobId("Churn", spoke), JobId("Churn")]
    assert sorted(store.jobs_with_event_due(), key=lambda job: job.key) == expected
    assert store.stored_orderings(["churn", JobId("churn", spoke).key]) == {"churn": 100, JobId("churn", spoke).key: 50}
    store.put_child_link(ChildKind.TRAINING, "churnTA-1", ChildLink("Churn"), 2_000_000_000, spoke)
    assert store.get_child_link(ChildKind.TRAINING, "churnTA-1") is None
    assert store.get_child_link(ChildKind.TRAINING, "churnTA-1", spoke) == ChildLink("Churn")


def test_archive_notifier_and_queue_reach_their_resources(fresh_aws):
    s3 = fresh_aws.client("s3")
    s3.create_bucket(Bucket="archive")
    archive = S3Archive("archive")
    archive.put_json("raw/a.json", b"{}", "application/json")
    assert s3.get_object(Bucket="archive", Key="raw/a.json")["ContentType"] == "application/json"
    assert archive.location("raw/a.json") == "s3://archive/raw/a.json"

    sqs = fresh_aws.client("sqs")
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    SqsWorkQueue(url).send_batch([{"AutoMLJobName": f"job-{n}"} for n in range(12)])  # two batches
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    received += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["AutoMLJobName"] for m in received) == sorted(f"job-{n}" for n in range(12))

    sns = fresh_aws.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    alerts_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alerts_arn)
    chat = json.dumps({"version": "1.0", "source": "custom", "content": {"description": "chat"}})
    SnsNotifier(topic).publish("subject", "body", {"status": "Failed", "problem_type": ""}, chat)
    envelope = json.loads(sqs.receive_message(QueueUrl=alerts_url)["Messages"][0]["Body"])
    # An SQS subscriber gets the structured message's "default" text (the chat JSON goes to HTTPS)
    assert envelope["Subject"] == "subject"
    assert envelope["Message"] == "body"
    assert envelope["MessageAttributes"] == {"status": {"Type": "String", "Value": "Failed"}}


def test_seen_events_are_a_bounded_set_reset_by_a_new_state(store):
    # Given a state written with the event that brought it
    store.save_state("churn", 100, {**SUMMARY, "seen_events": frozenset({"fp-1"})})
    # When more events are remembered, up to the limit
    store.remember_event("churn", "fp-2", limit=3)
    store.remember_event("churn", "fp-2", limit=3)
    store.remember_event("churn", "fp-3", limit=3)
    store.remember_event("churn", "fp-4", limit=3)  # over the limit: not kept
    assert store.load_job("churn").state.seen_events == frozenset({"fp-1", "fp-2", "fp-3"})
    # When a progress event probes the state / Then the state is marked probed
    assert store.load_job("churn").state.probed_kinds == frozenset()
    store.remember_event("churn", "fp-1", limit=10, probed_kind="training")
    store.remember_event("churn", "fp-5", limit=10, probed_kind="tuning")
    assert store.load_job("churn").state.probed_kinds == frozenset({"training", "tuning"})
    # When a newer state is written by a reference (no event) / Then the memory and the probe are cleared
    store.save_state("churn", 200, {**SUMMARY, "seen_events": frozenset(), "probed_kinds": None})
    assert store.load_job("churn").state.seen_events == frozenset()
    assert store.load_job("churn").state.probed_kinds == frozenset()
    # And remembering for a job never archived does nothing
    store.remember_event("ghost", "fp-9", limit=3)
    assert store.load_job("ghost").state is None


@pytest.mark.parametrize("value", [1e-200, 1e200, -1e-131, 12345678901234567890123456789012345678901])
def test_a_number_dynamodb_cannot_hold_is_stored_as_null_plus_its_text(store, fresh_aws, value):
    # Given a summary whose metric DynamoDB cannot hold (outside 1E-130..9.99E+125, or over 38 digits);
    # the emulator rejects such numbers as DynamoDB does, so the old code failed here with a ValidationException
    summary = {**SUMMARY, "best_objective_metric_value": value}
    # When the state is saved
    assert store.save_state("churn", 1, summary).written
    # Then the value is null and its text kept beside it
    item = fresh_aws.client("dynamodb").get_item(TableName="jobs", Key={"pk": {"S": "JOB#churn"}, "sk": {"S": "STATE"}})
    assert "best_objective_metric_value" not in item["Item"]
    assert item["Item"]["best_objective_metric_value_text"] == {"S": repr(value)}
    # And a newer state with a value that fits stores it and drops the stale text
    assert store.save_state("churn", 2, {**SUMMARY, "best_objective_metric_value": 0.93}).written
    item = fresh_aws.client("dynamodb").get_item(TableName="jobs", Key={"pk": {"S": "JOB#churn"}, "sk": {"S": "STATE"}})
    assert item["Item"]["best_objective_metric_value"] == {"N": "0.93"}
    assert "best_objective_metric_value_text" not in item["Item"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (0.5, "0.5"), (1e-130, "1e-130"), (9.999e125, "9.999e+125"), (10**40, str(10**40)), (-3, "-3")],
)
def test_numbers_dynamodb_holds_are_stored_as_numbers(value, text):
    assert dynamo_number(value) == text


@pytest.mark.parametrize("value", [1e-131, 1e126, float("nan"), float("inf"), 1 + 10**40])
def test_numbers_dynamodb_rejects_are_recognised(value):
    assert dynamo_number(value) is None


def test_list_candidates_failures_become_candidates_unavailable(local_aws):
    # AccessDenied (a role AWS denies) and errors that outlive the SDK's retries must not propagate:
    # the leaderboard only enriches the record (the old code raised them and the record went to the DLQ).
    api = SageMakerApi("standard", 1)
    stubber = Stubber(api._client)
    stubber.add_client_error("list_candidates_for_auto_ml_job", "AccessDeniedException", http_status_code=400)
    stubber.add_client_error("list_candidates_for_auto_ml_job", "ThrottlingException", http_status_code=400)
    with stubber:
        for expected in ("AccessDeniedException", "ThrottlingException"):
            with pytest.raises(CandidatesUnavailable) as raised:
                api.list_candidates("churn")
            assert raised.value.reason == expected


def test_list_candidates_timeouts_past_the_retries_become_candidates_unavailable(local_aws):
    api = SageMakerApi("standard", 1)

    def time_out(**_kwargs):
        raise ReadTimeoutError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")

    api._client.meta.events.register("before-send.sagemaker.ListCandidatesForAutoMLJob", time_out)
    with pytest.raises(CandidatesUnavailable) as raised:
        api.list_candidates("churn")
    assert raised.value.reason == "ReadTimeoutError"


def test_the_watermark_moves_forward_only_and_an_invalid_one_is_reported_and_replaceable(store, fresh_aws):
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from automl_archive.dal.interfaces import InvalidWatermark  # noqa: PLC0415

    # Given no watermark, then one set
    start = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert store.get_watermark("sweep") is None
    assert store.advance_watermark("sweep", start) is True
    # Then it never moves back
    assert store.advance_watermark("sweep", start - timedelta(minutes=1)) is False
    assert store.get_watermark("sweep") == start
    # When someone edits it by hand, without its UTC offset / Then reading it says so
    fresh_aws.client("dynamodb").put_item(
        TableName="jobs",
        Item={"pk": {"S": "WATERMARK#sweep"}, "sk": {"S": "WATERMARK"}, "value": {"S": "zz-not-a-time"}},
    )
    with pytest.raises(InvalidWatermark):
        store.get_watermark("sweep")
    # And an ordinary advance cannot move past it ("zz..." sorts after any time), a replacing one can
    assert store.advance_watermark("sweep", start) is False
    assert store.advance_watermark("sweep", start, replace_invalid=True) is True
    assert store.get_watermark("sweep") == start


def test_an_event_is_removed_by_its_stored_element_and_an_unreadable_one_can_be_discarded(store, fresh_aws):
    # Given a pending event stored in another encoding (an older writer, a hand edit) and a non-event
    store.save_state("churn", 100, SUMMARY, event(100))
    other_encoding = json.dumps({"detail": event(100).detail, "job_arn": JOB_ARN, "ordering": 100}, indent=1)
    dynamodb = fresh_aws.client("dynamodb")
    dynamodb.update_item(
        TableName="jobs",
        Key=state_key("churn"),
        UpdateExpression="SET #p = :elements",
        ExpressionAttributeNames={"#p": PENDING_EVENTS_ATTRIBUTE},
        ExpressionAttributeValues={":elements": {"SS": [other_encoding, "not an event"]}},
    )
    job = store.load_job("churn")
    (due,) = job.pending_events
    assert job.unreadable_events == ("not an event",)
    # When the event is published and the non-event discarded
    store.event_published("churn", due)
    store.discard_unreadable_events("churn", job.unreadable_events)
    # Then nothing is left and the job leaves the index
    assert store.clear_event_due("churn") is True
    assert PENDING_EVENTS_ATTRIBUTE not in dynamodb.get_item(TableName="jobs", Key=state_key("churn"))["Item"]


def test_removing_an_event_of_a_job_that_is_not_stored_creates_nothing(store, fresh_aws):
    assert store.event_published("ghost", event(1)) is False
    assert "Item" not in fresh_aws.client("dynamodb").get_item(TableName="jobs", Key=state_key("ghost"))


def test_status_reads_the_sweep_watermark_of_the_hub_and_of_every_registered_spoke(store):
    # Given a hub whose stack registers two spokes, one of them never swept (its role is broken)
    deployment = Deployment(
        "AutoMLJobArchive", "us-east-1", {"Spokes": "111122223333:eu-west-1:team-a,444455556666:eu-west-1"}
    )
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    store.advance_watermark("sweep", now - timedelta(minutes=1))
    store.advance_watermark("sweep#111122223333.eu-west-1", now - timedelta(minutes=2))
    # Then status shows each source's watermark and age, and the one never swept as such
    sweeps = source_sweeps(store, deployment, now)
    assert [(s.account_id, s.region, s.alias, s.age_seconds) for s in sweeps] == [
        ("hub", "us-east-1", "", 60),
        ("111122223333", "eu-west-1", "team-a", 120),
        ("444455556666", "eu-west-1", "", None),
    ]
    # A single-account stack has no such section
    assert source_sweeps(store, Deployment("AutoMLJobArchive", "us-east-1", {}), now) == ()


def test_a_spoke_backfill_moves_its_sweep_watermark_back_and_only_back(store):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    spoke, other = JobSource("111122223333", "eu-west-1"), JobSource("111122223333", "us-west-2")
    store.advance_watermark("sweep#111122223333.eu-west-1", now)
    rewinds = rewind_spoke_sweeps(store, [spoke, other], now - timedelta(days=90), dry_run=False)
    assert [r.rewound for r in rewinds] == [True, True]  # the never-swept spoke gets a watermark too
    assert store.get_watermark("sweep#111122223333.eu-west-1") == now - timedelta(days=90)
    assert store.get_watermark("sweep#111122223333.us-west-2") == now - timedelta(days=90)
    # A later --since never moves a watermark forward past history not yet listed
    assert [r.rewound for r in rewind_spoke_sweeps(store, [spoke], now, dry_run=False)] == [False]
    assert store.get_watermark("sweep#111122223333.eu-west-1") == now - timedelta(days=90)
    # A dry run writes nothing, and the hub's own watermark is never touched
    rewind_spoke_sweeps(store, [spoke], now - timedelta(days=365), dry_run=True)
    assert store.get_watermark("sweep#111122223333.eu-west-1") == now - timedelta(days=90)
    assert store.get_watermark("sweep") is None


def test_a_state_settled_without_an_alert_reads_as_sent_and_cannot_be_claimed(store):
    # The archiver stores the not-sent marks in the state's own write (alerts are for recent failures)
    marks = {"alert_Failed_sent_at": "2026-11-23T12:00:00+00:00", "alert_Failed_notification_id": "not-sent: old"}
    store.save_state("churn", 100, {**SUMMARY, "status": "Failed", "is_terminal": True, **marks})
    assert store.load_job("churn").alerts_sent == frozenset({"Failed"})
    assert store.claim_alert("churn", "Failed", "m-1", 1_000, 1_120) is False
