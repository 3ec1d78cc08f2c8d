"""The archiver handler against moto, fed hostile and malformed input: no batch crashes, each bad record
is logged with its reason, counted and acknowledged, and no S3 key escapes its prefix."""

from __future__ import annotations

import importlib
import json
import logging
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_archive.contracts.call_budget import record_reserve_seconds
from devtools.emulator.autopilot.simulator import AutopilotSimulator

CHILD_TYPES = [
    "SageMaker Training Job State Change",
    "SageMaker HyperParameter Tuning Job State Change",
    "SageMaker Processing Job State Change",
    "SageMaker Transform Job State Change",
    "AWS API Call via CloudTrail",
]
ALLOWED_PREFIXES = ("raw/automl-jobs/", "records/automl-jobs/", "records/automl-candidates/")


@pytest.fixture(scope="module")
def handler_env(local_aws):
    """Resources the archiver needs, created directly in moto; the handler imported with their names."""
    local_aws.reset()
    dynamodb, s3, sns, sqs = (local_aws.client(name) for name in ("dynamodb", "s3", "sns", "sqs"))
    dynamodb.create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket="archive")
    environment = {
        "JOBS_TABLE_NAME": "jobs",
        "ARCHIVE_BUCKET_NAME": "archive",
        "ALERTS_TOPIC_ARN": sns.create_topic(Name="alerts")["TopicArn"],
        "WORK_QUEUE_URL": sqs.create_queue(QueueName="work")["QueueUrl"],
        "SAGEMAKER_MAX_ATTEMPTS": "1",
        "POWERTOOLS_SERVICE_NAME": "automl-archive",
    }
    patch = pytest.MonkeyPatch()
    for key, value in environment.items():
        patch.setenv(key, value)
    module = importlib.reload(importlib.import_module("automl_archive.handlers.archiver"))
    # SageMaker as AWS answers it (moto alone answers 500 "not implemented" for some child-job calls)
    with AutopilotSimulator() as simulator:
        yield module, local_aws, simulator
    patch.undo()


class Context:
    function_name = "archiver"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:archiver"
    aws_request_id = "req"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def _event(bodies: list[str]) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "r",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:work",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
hostile_names = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["../../etc/passwd", "a/b", "job%2F..", "ジョブ", "job name", "-x", "a" * 33, "", "x" * 5000]),
)


@st.composite
def bad_bodies(draw):
    kind = draw(st.sampled_from(["garbage", "json", "reference", "event", "cloudtrail"]))
    if kind == "garbage":
        return draw(st.text(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values))
    if kind == "reference":
        return json.dumps({"AutoMLJobName": draw(hostile_names | json_values), "Recheck": draw(json_values)})
    detail = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "TrainingJobName",
                    "ProcessingJobName",
                    "HyperParameterTuningJobName",
                    "TransformJobName",
                    "AutoMLJobArn",
                    "requestParameters",
                    "eventSource",
                    "eventName",
                ]
            ),
            hostile_names | json_values,
        )
    )
    if kind == "cloudtrail":
        detail.update(
            eventSource="sagemaker.amazonaws.com",
            eventName="CreateAutoMLJob",
            requestParameters={"autoMLJobName": draw(hostile_names)},
        )
    return json.dumps({"detail-type": draw(st.sampled_from(CHILD_TYPES)), "detail": detail})


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(bodies=st.lists(bad_bodies(), min_size=1, max_size=5))
def test_bad_input_never_crashes_a_batch_and_is_acknowledged(handler_env, bodies):
    module, aws, _ = handler_env
    # When a batch of malformed, unrelated or hostile messages is handled
    result = module.lambda_handler(_event(bodies), Context())
    # Then the batch returns, and every record is acknowledged (none of these can succeed on a retry:
    # names that pass validation name no job, and "no such job" is acknowledged too)
    assert result == {"batchItemFailures": []}
    # And nothing was written outside the archive's prefixes
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="archive").get("Contents", [])]
    assert all(key.startswith(ALLOWED_PREFIXES) and ".." not in key for key in keys)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_each_rejection_is_logged_with_its_reason_and_counted(handler_env):
    module, _, _ = handler_env
    collected = _Records()
    module.logger.addHandler(collected)  # beside Powertools' own JSON handler
    bodies = [
        "not json",
        json.dumps({"AutoMLJobName": "../../etc/passwd"}),
        json.dumps({"detail-type": "Other", "detail": {}}),
    ]
    try:
        result = module.lambda_handler(_event(bodies), Context())
    finally:
        module.logger.removeHandler(collected)
    # Then all three are acknowledged, each with a WARNING that gives its reason and size, never its body
    assert result == {"batchItemFailures": []}
    rejected = [r for r in collected.records if r.getMessage() == "Message rejected and acknowledged"]
    assert [r.levelname for r in rejected] == ["WARNING"] * 3
    reasons = [r.__dict__["reason"] for r in rejected]
    assert reasons[0].startswith("body is not JSON")
    assert reasons[1].startswith("AutoMLJobName is not a valid AutoML job name")
    assert reasons[2] == "event detail-type 'Other' is not handled"
    assert [r.__dict__["body_bytes"] for r in rejected] == [len(body) for body in bodies]
    assert all("body" not in r.__dict__ for r in rejected)


def test_a_transient_failure_is_retried_not_acknowledged(handler_env):
    module, _, autopilot = handler_env
    # Given a job SageMaker knows, and SageMaker throttling every call
    autopilot.create_job("known-job", api="v1")
    autopilot.faults.inject("DescribeAutoMLJob", error_code="ThrottlingException", http_status=400, times=10)
    event = _event([json.dumps({"AutoMLJobName": "known-job"}), "not json"])
    # When the batch is handled
    result = module.lambda_handler(event, Context())
    autopilot.faults.clear()
    # Then only the transient record is reported failed (SQS redelivers it); the malformed one is acked
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


class _ClockedContext(Context):
    """A context whose remaining time falls by `per_call_millis` at each read (records take time)."""

    def __init__(self, start_millis: int, per_call_millis: int) -> None:
        self._remaining = start_millis
        self._step = per_call_millis

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        remaining = self._remaining
        self._remaining -= self._step
        return remaining


def test_records_are_handed_back_untouched_when_too_little_time_is_left(handler_env):
    # Given three job references and an invocation whose remaining time drops below one record's reserve
    # after the first record (the old handler started every record and could time out the whole batch)
    module, aws, simulator = handler_env
    for name in ("budget-a", "budget-b", "budget-c"):
        simulator.create_job(name, api="v2")
    reserve = record_reserve_seconds(1) * 1000
    event = _event([json.dumps({"AutoMLJobName": name}) for name in ("budget-a", "budget-b", "budget-c")])
    context = _ClockedContext(start_millis=reserve + 500, per_call_millis=1000)
    # When the handler runs
    result = module.lambda_handler(event, context)
    # Then the first record is archived and the other two are batch item failures, with no describe
    failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
    assert failed == {record["messageId"] for record in event["Records"][1:]}
    table = aws.client("dynamodb")
    stored = {item["pk"]["S"] for item in table.scan(TableName="jobs")["Items"] if item["sk"]["S"] == "STATE"}
    assert "JOB#budget-a" in stored
    assert not {"JOB#budget-b", "JOB#budget-c"} & stored
