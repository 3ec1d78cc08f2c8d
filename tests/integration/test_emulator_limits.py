"""The emulator rejects what AWS rejects where moto does not (emulator/limits.py); each test fails on bare moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.emulator.events import put_event_entry, put_events
from devtools.emulator.limits import (
    ATHENA_MAX_QUERY_BYTES,
    DYNAMODB_MAX_ITEM_BYTES,
    EVENTBRIDGE_MAX_ENTRIES,
    EVENTBRIDGE_MAX_REQUEST_BYTES,
    SNS_MAX_MESSAGE_BYTES,
    SQS_MAX_MESSAGE_BYTES,
    dynamodb_accepts_number,
    item_size,
    put_events_entry_size,
)
from tests.conftest import NO_RETRIES


def _code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


@pytest.fixture
def table(fresh_aws):
    dynamodb = fresh_aws.client("dynamodb", config=NO_RETRIES)
    dynamodb.create_table(
        TableName="limits",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


@pytest.mark.parametrize("number", ["1e-200", "1e200", "-1E+126", "1234567890123456789012345678901234567891"])
def test_dynamodb_rejects_numbers_out_of_range_or_precision(table, number):
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
    assert _code(lambda: table.put_item(TableName="limits", Item={"pk": {"S": "a"}, "v": {"N": number}})) == (
        "ValidationException"
    )
    update = lambda: table.update_item(  # noqa: E731
        TableName="limits",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"M": {"nested": {"N": number}}}},
    )
    assert _code(update) == "ValidationException"


def test_dynamodb_accepts_numbers_at_the_documented_bounds(table):
    for number in ("1E-130", "9.9999999999999999999999999999999999999E+125", "-1E-130", "0"):
        table.put_item(TableName="limits", Item={"pk": {"S": number}, "v": {"N": number}})


def test_dynamodb_rejects_an_item_over_400_kb(table):
    # names count: "pk" + "a" + "v" = 4 bytes besides the big value
    over = {"pk": {"S": "a"}, "v": {"S": "x" * (DYNAMODB_MAX_ITEM_BYTES - 3)}}
    assert item_size(over) == DYNAMODB_MAX_ITEM_BYTES + 1
    assert _code(lambda: table.put_item(TableName="limits", Item=over)) == "ValidationException"
    # moto itself refuses items above 405,000 bytes (stricter than AWS's 409,600): accepted below both
    table.put_item(TableName="limits", Item={"pk": {"S": "a"}, "v": {"S": "x" * 400_000}})


@pytest.fixture
def topic(fresh_aws):
    sns = fresh_aws.client("sns", config=NO_RETRIES)
    return sns, sns.create_topic(Name="limits")["TopicArn"]


@pytest.mark.parametrize("subject", ["line\nbreak", "x" * 100, "tab\there"])
def test_sns_rejects_subjects_aws_rejects(topic, subject):
    # https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: no line breaks or control characters, < 100
    sns, arn = topic
    assert _code(lambda: sns.publish(TopicArn=arn, Subject=subject, Message="m")) == "InvalidParameter"


@pytest.mark.parametrize("message", ["not json", "[]", '{"email": "text"}', '{"default": "text", "https": {"a": 1}}'])
def test_sns_rejects_a_structured_message_without_a_string_default_or_with_other_values(topic, message):
    # https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: MessageStructure json needs a JSON
    # object with a string "default" key (moto checks it only on delivery)
    sns, arn = topic
    assert _code(lambda: sns.publish(TopicArn=arn, Message=message, MessageStructure="json")) == "InvalidParameter"
    sns.publish(TopicArn=arn, Message='{"default": "text", "https": "{}"}', MessageStructure="json")


def test_sns_rejects_a_message_over_256_kb_and_accepts_the_limit(topic):
    sns, arn = topic
    assert _code(lambda: sns.publish(TopicArn=arn, Message="x" * (SNS_MAX_MESSAGE_BYTES + 1))) == "InvalidParameter"
    sns.publish(TopicArn=arn, Subject="y" * 99, Message="x" * SNS_MAX_MESSAGE_BYTES)


@pytest.fixture
def queue(fresh_aws):
    sqs = fresh_aws.client("sqs", config=NO_RETRIES)
    return sqs, sqs.create_queue(QueueName="limits")["QueueUrl"]


def test_sqs_rejects_messages_over_256_kib(queue):
    # moto alone accepts up to 1 MiB
    sqs, url = queue
    body = "x" * (SQS_MAX_MESSAGE_BYTES + 1)
    assert _code(lambda: sqs.send_message(QueueUrl=url, MessageBody=body)) == "InvalidParameterValue"
    half = "x" * (SQS_MAX_MESSAGE_BYTES // 2 + 1)
    entries = [{"Id": str(index), "MessageBody": half} for index in range(2)]
    assert _code(lambda: sqs.send_message_batch(QueueUrl=url, Entries=entries)) == "BatchRequestTooLong"
    sqs.send_message(QueueUrl=url, MessageBody="x" * SQS_MAX_MESSAGE_BYTES)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [("0", True), ("-0.0", True), ("1E-130", True), ("1e-131", False), ("9.99E+125", True), ("1e126", False),
     ("1" * 38, True), ("1" * 39, False), ("1" + "0" * 50, True), ("0.001e-128", False), ("1_000", False),
     ("nan", False), ("Infinity", False)],
)  # fmt: skip
def test_the_emulator_reads_dynamodb_number_rules_on_its_own(text, accepted):
    # Written from AWS's rules, not the product's dynamo_number, so the two can disagree
    assert dynamodb_accepts_number(text) is accepted


def test_clients_of_a_session_made_later_are_checked_too(queue, local_aws):
    # The operator CLI builds its own boto3 session: its clients must meet the same limits
    _, url = queue
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    sqs = session.client("sqs", endpoint_url=local_aws.endpoint_url, config=NO_RETRIES)
    body = "x" * (SQS_MAX_MESSAGE_BYTES + 1)
    assert _code(lambda: sqs.send_message(QueueUrl=url, MessageBody=body)) == "InvalidParameterValue"


# ---------------------------------------------------------------- EventBridge PutEvents


def _event(source: str = "automl-job-archive", detail: str = '{"state_id": "s-1"}', **extra) -> dict:
    return {"Source": source, "DetailType": "AutoML Job State Change", "Detail": detail, **extra}


@pytest.fixture
def events(fresh_aws):
    return fresh_aws.client("events", config=NO_RETRIES)


@pytest.fixture
def bare_events(fresh_aws):
    """A client without the emulator's checks: what moto alone answers."""
    return fresh_aws.limits.bypass(fresh_aws.client("events", config=NO_RETRIES))


@pytest.fixture
def delivered(fresh_aws, events):
    """A rule on the default bus sends events of the product's source to an SQS queue; returns a reader."""
    sqs = fresh_aws.client("sqs", config=NO_RETRIES)
    url = sqs.create_queue(QueueName="delivered")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["automl-job-archive"]}), State="ENABLED")
    events.put_targets(Rule="to-queue", Targets=[{"Id": "queue", "Arn": arn}])

    def read() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def test_a_valid_event_goes_through_and_a_rule_delivers_it_to_sqs(events, delivered, local_aws):
    # On the default bus by name and by ARN, one entry per call as the product sends it
    bus_arn = events.describe_event_bus(Name="default")["Arn"]
    for bus in ("default", bus_arn):
        answer = events.put_events(Entries=[_event(EventBusName=bus, Resources=["arn:aws:sagemaker:job"])])
        assert answer["FailedEntryCount"] == 0
        assert answer["Entries"][0]["EventId"]
    received = delivered()
    assert [(event["source"], event["detail-type"], event["detail"]) for event in received] == [
        ("automl-job-archive", "AutoML Job State Change", {"state_id": "s-1"})
    ] * 2
    assert received[0]["resources"] == ["arn:aws:sagemaker:job"]


def test_put_events_refuses_more_than_10_entries_as_moto_does(events, bare_events, local_aws):
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: 1 to 10 entries
    eleven = [_event() for _ in range(EVENTBRIDGE_MAX_ENTRIES + 1)]
    before = len(local_aws.limits.violations)
    assert _code(lambda: events.put_events(Entries=eleven)) == "ValidationException"
    assert local_aws.limits.violations[before:][0][0] == "events.PutEvents"  # the emulator answered
    assert _code(lambda: bare_events.put_events(Entries=eleven)) == "ValidationException"  # so does moto alone
    assert events.put_events(Entries=eleven[:EVENTBRIDGE_MAX_ENTRIES])["FailedEntryCount"] == 0


def _detail_of_size(entry_bytes: int, **extra) -> dict:
    """An entry whose EventBridge size is exactly `entry_bytes`."""
    event = _event(detail='{"x": ""}', **extra)
    padding = entry_bytes - put_events_entry_size(event)
    return {**event, "Detail": json.dumps({"x": "y" * padding})}


def test_the_entry_size_is_eventbridges_calculation():
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: Time 14 bytes if set,
    # Source, DetailType, Detail and each resource as UTF-8 bytes; the bus name does not count
    entry = {"Source": "é", "DetailType": "t", "Detail": '{"a": "€"}', "Resources": ["r1", "ü"], "EventBusName": "b"}
    assert put_events_entry_size(entry) == 2 + 1 + 12 + 2 + 2
    assert put_events_entry_size({**entry, "Time": datetime(2026, 1, 1, tzinfo=UTC)}) == 19 + 14


def test_put_events_refuses_a_request_whose_entries_total_over_256_kb(events, bare_events, delivered):
    # AWS refuses the whole call (ValidationException), not the entry; the limit is on all the entries
    # together, so two entries under it can exceed it; moto alone accepts them
    over = _detail_of_size(EVENTBRIDGE_MAX_REQUEST_BYTES + 1, Time=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ClientError) as raised:
        events.put_events(Entries=[over])
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Total size of the entries in the request is over the limit.",
    }
    half = _detail_of_size(EVENTBRIDGE_MAX_REQUEST_BYTES // 2 + 1)
    assert _code(lambda: events.put_events(Entries=[half, half])) == "ValidationException"
    assert bare_events.put_events(Entries=[over])["FailedEntryCount"] == 0
    # At the limit: accepted and delivered
    assert events.put_events(Entries=[_detail_of_size(EVENTBRIDGE_MAX_REQUEST_BYTES)])["FailedEntryCount"] == 0
    assert len(delivered()) == 2  # moto's and the one at the limit


@pytest.mark.parametrize("detail", ["[]", '"text"', "1", "null", "not json"])
def test_put_events_fails_an_entry_whose_detail_is_not_a_json_object(events, bare_events, detail):
    # https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html: Detail is
    # "A valid JSON object"; the entry fails with MalformedDetail in a 200 answer, not an exception
    answer = events.put_events(Entries=[_event(detail=detail)])
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (answer["FailedEntryCount"], answer["Entries"]) == (
        1,
        [{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}],
    )
    if detail != "not json":  # moto alone accepts any JSON value (with a warning)
        with pytest.warns(UserWarning, match="EventDetail should be of type dict"):
            assert bare_events.put_events(Entries=[_event(detail=detail)])["FailedEntryCount"] == 0


def test_put_events_fails_an_entry_with_an_aws_source(events, bare_events):
    # "aws." sources are AWS's own (NotAuthorizedForSourceException in PutEventsResultEntry); moto accepts them
    answer = events.put_events(Entries=[_event(source="aws.sagemaker")])
    assert (answer["FailedEntryCount"], answer["Entries"]) == (
        1,
        [{"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}],
    )
    assert bare_events.put_events(Entries=[_event(source="aws.sagemaker")])["FailedEntryCount"] == 0


def test_put_events_answers_each_entry_in_order_and_delivers_the_valid_ones(events, delivered, local_aws):
    entries = [
        _event(detail='{"n": 0}'),
        _event(source="aws.sagemaker"),
        _event(detail="[1]"),
        _event(detail='{"n": 3}'),
        {"DetailType": "no source", "Detail": "{}"},  # moto's own InvalidArgument
    ]
    answer = events.put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 3
    assert [entry.get("ErrorCode") for entry in answer["Entries"]] == [
        None,
        "NotAuthorizedForSourceException",
        "MalformedDetail",
        None,
        "InvalidArgument",
    ]
    assert all(answer["Entries"][index]["EventId"] for index in (0, 3))
    assert sorted(event["detail"]["n"] for event in delivered()) == [0, 3]
    refused = [name for name, _ in local_aws.limits.violations[-2:]]
    assert refused == ["events.PutEvents[1]", "events.PutEvents[2]"]


def test_the_emulators_own_publisher_plays_aws_and_may_use_aws_sources(fresh_aws, events):
    # devtools.emulator.events puts SageMaker's events as AWS would; the same entry from anyone else fails
    sagemaker_event = {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker AutoML Job State Change",
        "detail": {"AutoMLJobName": "job"},
        "time": "2026-01-01T00:00:00Z",
        "resources": [],
    }
    assert put_events(fresh_aws, [sagemaker_event]) == 1
    answer = events.put_events(Entries=[put_event_entry(sagemaker_event)])
    assert answer["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"


def test_athena_refuses_a_query_string_over_262144_bytes_and_a_first_compaction_fits(fresh_aws):
    # The compaction's MERGE names each day it merges: its statements must stay under Athena's limit
    from automl_archive.contracts.lake_tables import COMPACTED_TABLES  # noqa: PLC0415
    from automl_archive.logic.compaction import MAX_DAYS_PER_STATEMENT, merge_sql  # noqa: PLC0415

    athena = fresh_aws.client("athena", config=NO_RETRIES)
    athena.create_work_group(Name="wg")
    too_long = "SELECT '" + "x" * ATHENA_MAX_QUERY_BYTES + "'"
    assert (
        _code(lambda: athena.start_query_execution(QueryString=too_long, WorkGroup="wg")) == "InvalidRequestException"
    )
    days = [f"2026-{month:02d}-{day:02d}" for month in range(1, 13) for day in range(1, 29)][:MAX_DAYS_PER_STATEMENT]
    for table in COMPACTED_TABLES:
        assert athena.start_query_execution(QueryString=merge_sql(table, days), WorkGroup="wg")["QueryExecutionId"]
