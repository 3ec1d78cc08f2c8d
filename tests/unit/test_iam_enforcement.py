"""While a principal is active, boto3 calls it may not make are answered with the service's own
access-denied error, without a request and without retries; other calls pass. No server is needed:
a call that passes reaches `before-send`, where this test stops it.

On the old emulator nothing was denied, so every `pytest.raises(ClientError)` here failed.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.iam.enforcement import ENFORCEMENT, acting_as
from devtools.emulator.iam.policies import Principal

QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/work"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alerts"
SENT: list[str] = []


class Sent(Exception):
    """The call left the client (it was not denied)."""


def _stop_before_send(event_name: str, **_: Any) -> None:
    SENT.append(event_name)
    raise Sent(event_name)


@pytest.fixture
def client():
    ENFORCEMENT.install()  # before the clients are created: they copy their session's hooks
    SENT.clear()
    ENFORCEMENT.take_denials()

    def make(service: str) -> Any:
        made = boto3.client(
            service,
            region_name=REGION,
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )
        made.meta.events.register("before-send", _stop_before_send)
        return made

    return make


SENDER = Principal.from_documents(
    [
        {
            "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:work"},
                {"Effect": "Allow", "Action": "sagemaker:ListAutoMLJobs", "Resource": "*"},
            ]
        }
    ],
    arn=f"arn:aws:iam::{ACCOUNT_ID}:role/sender",
    session_name="sender-function",
)


@pytest.mark.parametrize(
    ("service", "operation", "params", "code", "status"),
    [
        ("sagemaker", "describe_auto_ml_job_v2", {"AutoMLJobName": "job"}, "AccessDeniedException", 400),
        ("dynamodb", "get_item", {"TableName": "jobs", "Key": {"pk": {"S": "x"}}}, "AccessDeniedException", 400),
        ("sqs", "receive_message", {"QueueUrl": QUEUE_URL}, "AccessDenied", 403),
        ("sns", "publish", {"TopicArn": TOPIC, "Message": "m"}, "AuthorizationError", 403),
        ("s3", "put_object", {"Bucket": "archive", "Key": "raw/x.json", "Body": b"{}"}, "AccessDenied", 403),
    ],
)
def test_a_denied_call_gets_the_services_error_without_a_request_or_a_retry(
    client, service, operation, params, code, status
):
    api = client(service)
    with acting_as(SENDER), pytest.raises(ClientError) as raised:
        getattr(api, operation)(**params)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert (
        f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/sender/sender-function is not authorized"
        in (error["Error"]["Message"])
    )
    assert SENT == []  # no request left the client, so no retry either
    (denial,) = ENFORCEMENT.take_denials()
    assert denial.code == code


def test_granted_calls_and_calls_outside_a_principal_go_through(client):
    sqs, sagemaker = client("sqs"), client("sagemaker")
    with acting_as(SENDER):
        with pytest.raises(Sent):
            sqs.send_message(QueueUrl=QUEUE_URL, MessageBody="x")
        with pytest.raises(Sent):
            sagemaker.list_auto_ml_jobs()
    # The harness itself (no principal) is not restricted
    with pytest.raises(Sent):
        sqs.receive_message(QueueUrl=QUEUE_URL)
    assert ENFORCEMENT.take_denials() == []


def test_a_default_session_created_later_is_enforced_too(client):
    # The CLI replaces boto3's default session; its clients must still be checked.
    previous = boto3.DEFAULT_SESSION
    try:
        boto3.setup_default_session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        sagemaker = boto3.client("sagemaker", endpoint_url="http://127.0.0.1:9")
        with acting_as(SENDER), pytest.raises(ClientError, match="AccessDeniedException"):
            sagemaker.describe_auto_ml_job_v2(AutoMLJobName="job")
    finally:
        boto3.DEFAULT_SESSION = previous
