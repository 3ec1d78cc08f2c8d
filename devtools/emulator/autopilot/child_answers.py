"""Answers about child jobs (training, processing, transform, tuning), built from simulated ChildJobs.

The shapes follow botocore's sagemaker service model; the moto patch validates each answer before serving it.
"""

from __future__ import annotations

import math
from typing import Any

from devtools.emulator.autopilot.jobs import ChildJob


def _with_optional(answer: dict[str, Any], **optional: Any) -> dict[str, Any]:
    answer.update({key: value for key, value in optional.items() if value is not None})
    return answer


def describe_training_answer(child: ChildJob) -> dict[str, Any]:
    transitions = [{"Status": status, "StartTime": start} for status, start in child.transitions]
    answer: dict[str, Any] = {
        "TrainingJobName": child.name,
        "TrainingJobArn": child.arn,
        "ModelArtifacts": {
            "S3ModelArtifacts": f"s3://{child.source.data_bucket}/training/{child.name}/output/model.tar.gz"
        },
        "TrainingJobStatus": child.status,
        "SecondaryStatus": child.secondary_status,
        "HyperParameters": {"max_depth": "6", "eta": "0.3", "num_round": "100"},
        "AlgorithmSpecification": {"TrainingImage": child.source.xgboost_image, "TrainingInputMode": "File"},
        "RoleArn": child.source.role_arn,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{child.source.data_bucket}/training/{child.name}/input/train",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{child.source.data_bucket}/training/{child.name}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": child.creation_time,
        "TrainingStartTime": child.creation_time,
        "LastModifiedTime": child.last_modified_time,
        "SecondaryStatusTransitions": transitions,
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": False,
        "EnableManagedSpotTraining": False,
    }
    if child.objective_value is not None and child.status == "Completed":
        answer["FinalMetricDataList"] = [
            {
                "MetricName": "validation:f1",
                "Value": child.objective_value,
                "Timestamp": child.last_modified_time,
            }
        ]
    return _with_optional(
        answer,
        AutoMLJobArn=child.automl_job_arn,
        TuningJobArn=child.tuning_job_arn,
        FailureReason=child.failure_reason,
        TrainingEndTime=child.end_time,
        # On-demand training bills the wall-clock time from start to end, at least one second.
        BillableTimeInSeconds=(
            max(1, math.ceil((child.end_time - child.creation_time).total_seconds())) if child.end_time else None
        ),
    )


def describe_processing_answer(child: ChildJob) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ProcessingJobName": child.name,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.2xlarge", "VolumeSizeInGB": 50}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "AppSpecification": {"ImageUri": child.source.sklearn_automl_image},
        "RoleArn": child.source.role_arn,
        "ProcessingJobArn": child.arn,
        "ProcessingJobStatus": child.status,
        "ProcessingStartTime": child.creation_time,
        "LastModifiedTime": child.last_modified_time,
        "CreationTime": child.creation_time,
    }
    return _with_optional(
        answer,
        AutoMLJobArn=child.automl_job_arn,
        FailureReason=child.failure_reason,
        ProcessingEndTime=child.end_time,
    )


def describe_transform_answer(child: ChildJob) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "TransformJobName": child.name,
        "TransformJobArn": child.arn,
        "TransformJobStatus": child.status,
        "ModelName": f"{child.name[:50]}-model",
        "MaxConcurrentTransforms": 1,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{child.source.data_bucket}/transform/{child.name}/in",
                }
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{child.source.data_bucket}/transform/{child.name}/out",
            "AssembleWith": "Line",
        },
        "TransformResources": {"InstanceType": "ml.m5.4xlarge", "InstanceCount": 1},
        "CreationTime": child.creation_time,
        "TransformStartTime": child.creation_time,
    }
    return _with_optional(
        answer,
        AutoMLJobArn=child.automl_job_arn,
        FailureReason=child.failure_reason,
        TransformEndTime=child.end_time,
    )


def status_counters(trainings: list[ChildJob]) -> dict[str, int]:
    def count(*statuses: str) -> int:
        return sum(1 for training in trainings if training.status in statuses)

    return {
        "Completed": count("Completed"),
        "InProgress": count("InProgress", "Stopping"),
        "RetryableError": 0,
        "NonRetryableError": count("Failed"),
        "Stopped": count("Stopped"),
    }


def training_summary(training: ChildJob) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TrainingJobName": training.name,
        "TrainingJobArn": training.arn,
        "CreationTime": training.creation_time,
        "TrainingJobStatus": training.status,
        "TunedHyperParameters": {"max_depth": "6", "eta": "0.3"},
    }
    if training.tuning_job_arn:
        summary["TuningJobName"] = training.tuning_job_arn.rsplit("/", 1)[-1]
    if training.end_time:
        summary["TrainingStartTime"] = training.creation_time
        summary["TrainingEndTime"] = training.end_time
    if training.objective_value is not None and training.status == "Completed":
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Maximize",
            "MetricName": "validation:f1",
            "Value": training.objective_value,
        }
        summary["ObjectiveStatus"] = "Succeeded"
    if training.failure_reason:
        summary["FailureReason"] = training.failure_reason
    return summary


def describe_tuning_answer(child: ChildJob, trainings: list[ChildJob]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "HyperParameterTuningJobName": child.name,
        "HyperParameterTuningJobArn": child.arn,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:f1"},
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": max(1, len(trainings)),
                "MaxParallelTrainingJobs": 10,
            },
            "TrainingJobEarlyStoppingType": "Auto",
        },
        "HyperParameterTuningJobStatus": child.status,
        "CreationTime": child.creation_time,
        "LastModifiedTime": child.last_modified_time,
        "TrainingJobStatusCounters": status_counters(trainings),
        "ObjectiveStatusCounters": {
            "Succeeded": sum(1 for t in trainings if t.status == "Completed"),
            "Pending": sum(1 for t in trainings if t.status in ("InProgress", "Stopping")),
            "Failed": sum(1 for t in trainings if t.status == "Failed"),
        },
    }
    finished = [t for t in trainings if t.status == "Completed" and t.objective_value is not None]
    if finished:
        answer["BestTrainingJob"] = training_summary(max(finished, key=lambda t: t.objective_value or 0.0))
    return _with_optional(answer, FailureReason=child.failure_reason, HyperParameterTuningEndTime=child.end_time)
