"""The emulator rejects what AWS rejects where moto does not (emulator/limits.py); each test fails on bare moto."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.emulator.limits import (
    DYNAMODB_MAX_ITEM_BYTES,
    SNS_MAX_MESSAGE_BYTES,
    SQS_MAX_MESSAGE_BYTES,
    dynamodb_accepts_number,
    item_size,
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
