"""Pure builders of EventBridge events shaped like the ones SageMaker and CloudTrail send."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from devtools.emulator.autopilot.child_answers import (
    describe_processing_answer,
    describe_training_answer,
    describe_transform_answer,
    status_counters,
)
from devtools.emulator.autopilot.jobs import ChildJob
from devtools.emulator.aws import ACCOUNT_ID, REGION

Event = dict[str, Any]

CHILD_DETAIL_TYPES = {
    "training": "SageMaker Training Job State Change",
    "tuning": "SageMaker HyperParameter Tuning Job State Change",
    "processing": "SageMaker Processing Job State Change",
    "transform": "SageMaker Transform Job State Change",
}
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
CLOUDTRAIL_EVENT_NAMES = ("CreateAutoMLJob", "CreateAutoMLJobV2", "StopAutoMLJob")


def event_time(moment: datetime) -> str:
    """EventBridge's `time`: ISO 8601 UTC, seconds precision, `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _envelope(
    detail_type: str, moment: datetime, resources: list[str], detail: dict[str, Any], account_id: str, region: str
) -> Event:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": account_id,
        "time": event_time(moment),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def _json_ready(value: Any) -> Any:
    """Datetimes become epoch milliseconds, as in SageMaker's documented event examples."""
    if isinstance(value, datetime):
        return epoch_millis(value)
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def _child_detail(child: ChildJob, trainings: list[ChildJob]) -> dict[str, Any]:
    if child.kind == "training":
        return describe_training_answer(child)
    if child.kind == "processing":
        return describe_processing_answer(child)
    if child.kind == "transform":
        answer = describe_transform_answer(child)
        answer["LastModifiedTime"] = child.last_modified_time
        return answer
    detail: dict[str, Any] = {
        "HyperParameterTuningJobName": child.name,
        "HyperParameterTuningJobArn": child.arn,
        "HyperParameterTuningJobStatus": child.status,
        "CreationTime": child.creation_time,
        "LastModifiedTime": child.last_modified_time,
        "TrainingJobStatusCounters": status_counters(trainings),
    }
    if child.end_time:
        detail["HyperParameterTuningEndTime"] = child.end_time
    if child.failure_reason:
        detail["FailureReason"] = child.failure_reason
    return detail


def child_job_event(
    child: ChildJob,
    moment: datetime,
    trainings: list[ChildJob] | None = None,
    include_automl_arn: bool = False,
) -> Event:
    """A '<kind> Job State Change' event whose detail mirrors the Describe*Job answer, sent by the child
    job's account and region."""
    detail = _child_detail(child, trainings or [])
    if not include_automl_arn:
        # Whether real events carry AutoMLJobArn is unverified: leave it out unless asked.
        detail.pop("AutoMLJobArn", None)
    if child.status != "Failed":
        detail.pop("FailureReason", None)
    # EventBridge's schema for the training event has no BillableTimeInSeconds (DescribeTrainingJob does).
    detail.pop("BillableTimeInSeconds", None)
    detail["Tags"] = {}
    return _envelope(
        CHILD_DETAIL_TYPES[child.kind],
        moment,
        [child.arn],
        _json_ready(detail),
        child.source.account_id,
        child.source.region,
    )


def cloudtrail_event(
    event_name: str,
    job_name: str,
    moment: datetime,
    job_arn: str | None = None,
    *,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> Event:
    """A CloudTrail-sourced API call event (camelCase parameters, as CloudTrail records them), for a call
    made in `account_id` and `region` by a role of that account."""
    if event_name not in CLOUDTRAIL_EVENT_NAMES:
        raise ValueError(f"unsupported CloudTrail event {event_name}")
    detail: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:data-scientist",
            "arn": f"arn:aws:sts::{account_id}:assumed-role/DataScientist/data-scientist",
            "accountId": account_id,
        },
        "eventTime": event_time(moment),
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "Boto3/1.44.5 md/Botocore#1.44.5",
        "requestParameters": {"autoMLJobName": job_name},
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if event_name != "StopAutoMLJob":
        detail["responseElements"] = {"autoMLJobArn": job_arn or ""}
    return _envelope(CLOUDTRAIL_DETAIL_TYPE, moment, [], detail, account_id, region)
