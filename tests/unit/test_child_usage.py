"""A finished child job's usage, read from its own state-change event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from automl_archive.contracts.job_status import ChildKind
from automl_archive.logic.child_jobs import child_job_row
from automl_archive.models.child_usage import BILLED_FROM_EVENT, BILLED_FROM_START_END, child_usage
from automl_archive.models.record import CHILD_JOB_RECORD_COLUMN_NAMES

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:training-job/churnta-001-ab"


def _training(**overrides):
    detail = {
        "TrainingJobName": "churnTA-001-ab",
        "TrainingJobArn": ARN,
        "TrainingJobStatus": "Completed",
        "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50},
        "TrainingStartTime": int(START.timestamp() * 1000),  # epoch milliseconds, as some events carry
        "TrainingEndTime": "2026-11-20T09:10:00.500Z",
        "TuningJobArn": "arn:aws:sagemaker:eu-west-1:111111111111:hyper-parameter-tuning-job/churnta",
    }
    return detail | overrides


def test_a_finished_training_job_reports_its_instances_and_seconds_from_start_and_end():
    usage = child_usage(ChildKind.TRAINING, _training())
    assert (usage.instance_type, usage.instance_count) == ("ml.m5.2xlarge", 2)
    assert (usage.billable_seconds, usage.billable_seconds_source) == (601, BILLED_FROM_START_END)
    assert usage.instance_seconds == 1202
    assert usage.start_time == START


def test_billable_time_in_the_event_wins_over_start_and_end():
    usage = child_usage(ChildKind.TRAINING, _training(BillableTimeInSeconds=120))
    assert (usage.billable_seconds, usage.billable_seconds_source, usage.instance_seconds) == (
        120,
        BILLED_FROM_EVENT,
        240,
    )


@pytest.mark.parametrize(
    ("kind", "detail", "expected"),
    [
        (
            ChildKind.PROCESSING,
            {
                "ProcessingJobName": "churn-db-1-ff",
                "ProcessingJobStatus": "Failed",
                "FailureReason": "AlgorithmError: no target",
                "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}},
                "ProcessingStartTime": 1795640400.0,
                "ProcessingEndTime": 1795640460.0,
            },
            ("ml.m5.xlarge", 1, 60, "Failed", "AlgorithmError: no target"),
        ),
        (
            ChildKind.TRANSFORM,
            {
                "TransformJobName": "churn-dpp1-csv-1-9",
                "TransformJobStatus": "Stopped",
                "TransformResources": {"InstanceType": "ml.m5.4xlarge", "InstanceCount": 1},
                "TransformStartTime": "2026-11-20T09:00:00Z",
            },
            ("ml.m5.4xlarge", 1, None, "Stopped", None),
        ),
    ],
)
def test_processing_and_transform_jobs_report_their_own_resources(kind, detail, expected):
    usage = child_usage(kind, detail)
    assert (
        usage.instance_type,
        usage.instance_count,
        usage.billable_seconds,
        usage.status,
        usage.failure_reason,
    ) == expected


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        (ChildKind.TRAINING, _training(TrainingJobStatus="InProgress")),
        (ChildKind.TUNING, {"HyperParameterTuningJobName": "churnTA", "HyperParameterTuningJobStatus": "Completed"}),
        (ChildKind.TRAINING, _training(TrainingJobName=None)),
    ],
)
def test_running_jobs_tuning_jobs_and_nameless_details_report_nothing(kind, detail):
    assert child_usage(kind, detail) is None


def test_unreadable_values_become_null_not_errors():
    usage = child_usage(
        ChildKind.TRAINING,
        _training(ResourceConfig="big", TrainingStartTime=True, TrainingEndTime="soon", BillableTimeInSeconds=-5),
    )
    assert (usage.instance_type, usage.instance_count, usage.billable_seconds, usage.instance_seconds) == (
        None,
        None,
        None,
        None,
    )


def test_the_row_names_the_automl_job_in_the_childs_account_and_region():
    row = child_job_row(child_usage(ChildKind.TRAINING, _training()), "Churn", START)
    assert tuple(row) == CHILD_JOB_RECORD_COLUMN_NAMES
    assert (row["account_id"], row["region"]) == ("111111111111", "eu-west-1")
    assert row["job_arn"] == "arn:aws:sagemaker:eu-west-1:111111111111:automl-job/churn"
    assert (row["end_time"], row["instance_seconds"], row["kind"]) == (
        "2026-11-20T09:10:00.500000+00:00",
        1202,
        "training",
    )
