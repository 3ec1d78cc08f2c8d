"""Simulated Autopilot jobs and their child jobs, and the API answers built from them.

Answers follow botocore's sagemaker service model; the simulator validates each one before serving it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from devtools.emulator.aws import ACCOUNT_ID, REGION

ApiVersion = Literal["v1", "v2"]
ChildKind = Literal["processing", "training", "transform", "tuning"]

PROBLEM_TYPE_CONFIGS = (
    "Tabular",
    "ImageClassification",
    "TextClassification",
    "TimeSeriesForecasting",
    "TextGeneration",
)
MINIMISED_METRICS = {"MSE", "RMSE", "MAE", "MAPE", "MASE", "WAPE", "AverageWeightedQuantileLoss"}
TERMINAL_AUTOML_STATUSES = {"Completed", "Failed", "Stopped"}

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/service-role/AmazonSageMaker-ExecutionRole-20250101T000000"
DATA_BUCKET = f"sagemaker-{REGION}-{ACCOUNT_ID}"
SKLEARN_AUTOML_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3"
XGBOOST_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"
NAME_LIMIT = 63
TUNING_NAME_LIMIT = 32
FAILURE_REASON_LIMIT = 1024


def short_hex(*parts: object, length: int = 8) -> str:
    """Deterministic hex suffix, like the random ones Autopilot appends to child-job names."""
    digest = hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()
    return digest[:length]


def sagemaker_arn(resource_type: str, name: str) -> str:
    # SageMaker lower-cases the resource name in its ARNs.
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:{resource_type}/{name.lower()}"


def automl_job_arn(name: str) -> str:
    return sagemaker_arn("automl-job", name)


def child_job_name(job_name: str, infix: str, suffix: str, limit: int = NAME_LIMIT) -> str:
    """`<job><infix><suffix>` with the job name cut so the whole fits the limit (Autopilot cuts it)."""
    room = limit - len(infix) - len(suffix)
    return f"{job_name[:room]}{infix}{suffix}"


def later_than(previous: datetime, now: datetime) -> datetime:
    """A timestamp that is `now` but strictly after `previous` (LastModifiedTime never stands still)."""
    return max(now, previous + timedelta(milliseconds=1))


@dataclass
class ChildJob:
    """A training, processing, transform or tuning job, possibly started by an AutoML job."""

    kind: ChildKind
    name: str
    creation_time: datetime
    last_modified_time: datetime
    automl_job_arn: str | None = None
    tuning_job_arn: str | None = None
    status: str = "InProgress"
    secondary_status: str = "Starting"
    end_time: datetime | None = None
    failure_reason: str | None = None
    objective_value: float | None = None
    training_job_names: list[str] = field(default_factory=list)  # tuning jobs only
    transitions: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        resource_type = {
            "processing": "processing-job",
            "training": "training-job",
            "transform": "transform-job",
            "tuning": "hyper-parameter-tuning-job",
        }[self.kind]
        return sagemaker_arn(resource_type, self.name)


@dataclass
class Candidate:
    """One Autopilot candidate: the child jobs of its pipeline and its objective value."""

    name: str
    step_jobs: list[ChildJob]
    objective_value: float
    creation_time: datetime
    last_modified_time: datetime
    status: str = "InProgress"
    end_time: datetime | None = None
    failure_reason: str | None = None


@dataclass
class AutoMLJob:
    """Everything the simulator knows about one AutoML job."""

    name: str
    api: ApiVersion
    problem_type_config: str
    problem_type: str | None
    mode: str
    max_candidates: int
    creation_time: datetime
    last_modified_time: datetime
    status: str = "InProgress"
    secondary_status: str = "Starting"
    end_time: datetime | None = None
    failure_reason: str | None = None
    partial_failure_reasons: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    child_job_names: list[str] = field(default_factory=list)
    large: bool = False
    generate_candidate_definitions_only: bool = False
    model_deploy: bool = False
    target_attribute: str = "y"

    @property
    def arn(self) -> str:
        return automl_job_arn(self.name)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_AUTOML_STATUSES

    @property
    def output_path(self) -> str:
        return f"s3://{DATA_BUCKET}/autopilot/{self.name}/output"

    @property
    def objective_metric(self) -> str | None:
        if self.problem_type_config == "TextGeneration":
            return None  # text generation jobs have no Autopilot objective
        if self.problem_type_config == "TimeSeriesForecasting":
            return "AverageWeightedQuantileLoss"
        if self.problem_type_config == "Tabular":
            return {"BinaryClassification": "F1", "Regression": "MSE"}.get(self.problem_type or "", "Accuracy")
        return "Accuracy"

    @property
    def objective_type(self) -> str:
        return "Minimize" if self.objective_metric in MINIMISED_METRICS else "Maximize"

    def best_candidate(self) -> Candidate | None:
        finished = [c for c in self.candidates if c.status == "Completed"]
        if not finished:
            return None
        pick = min if self.objective_type == "Minimize" else max
        return pick(finished, key=lambda c: c.objective_value)

    def touch(self, now: datetime) -> None:
        self.last_modified_time = later_than(self.last_modified_time, now)


# ---------------------------------------------------------------- AutoML job answers


def _completion_criteria(job: AutoMLJob) -> dict[str, Any]:
    return {
        "MaxCandidates": job.max_candidates,
        "MaxRuntimePerTrainingJobInSeconds": 86400,
        "MaxAutoMLJobRuntimeInSeconds": 2592000,
    }


def _content_type(job: AutoMLJob) -> str:
    return "image/png" if job.problem_type_config == "ImageClassification" else "text/csv;header=present"


def _data_source(job: AutoMLJob, channel: str) -> dict[str, Any]:
    return {
        "S3DataSource": {
            "S3DataType": "S3Prefix",
            "S3Uri": f"s3://{DATA_BUCKET}/autopilot/{job.name}/input/{channel}/",
        }
    }


def _v1_input_data_config(job: AutoMLJob) -> list[dict[str, Any]]:
    return [
        {
            "DataSource": _data_source(job, "train"),
            "CompressionType": "None",
            "TargetAttributeName": job.target_attribute,
            "ContentType": _content_type(job),
            "ChannelType": "training",
        }
    ]


def _v2_input_data_config(job: AutoMLJob) -> list[dict[str, Any]]:
    return [
        {
            "ChannelType": "training",
            "ContentType": _content_type(job),
            "CompressionType": "None",
            "DataSource": _data_source(job, "train"),
        }
    ]


def _problem_type_config(job: AutoMLJob) -> dict[str, Any]:
    criteria = _completion_criteria(job)
    kind = job.problem_type_config
    if kind == "Tabular":
        tabular: dict[str, Any] = {
            "CompletionCriteria": criteria,
            "Mode": job.mode,
            "GenerateCandidateDefinitionsOnly": job.generate_candidate_definitions_only,
            "TargetAttributeName": job.target_attribute,
        }
        if job.problem_type:
            tabular["ProblemType"] = job.problem_type
        return {"TabularJobConfig": tabular}
    if kind == "ImageClassification":
        return {"ImageClassificationJobConfig": {"CompletionCriteria": criteria}}
    if kind == "TextClassification":
        return {
            "TextClassificationJobConfig": {
                "CompletionCriteria": criteria,
                "ContentColumn": "text",
                "TargetLabelColumn": job.target_attribute,
            }
        }
    if kind == "TimeSeriesForecasting":
        return {
            "TimeSeriesForecastingJobConfig": {
                "CompletionCriteria": criteria,
                "ForecastFrequency": "D",
                "ForecastHorizon": 14,
                "ForecastQuantiles": ["p10", "p50", "p90"],
                "TimeSeriesConfig": {
                    "TargetAttributeName": job.target_attribute,
                    "TimestampAttributeName": "timestamp",
                    "ItemIdentifierAttributeName": "item_id",
                },
            }
        }
    return {
        "TextGenerationJobConfig": {
            "CompletionCriteria": criteria,
            "BaseModelName": "Falcon7BInstruct",
            "TextGenerationHyperParameters": {"epochCount": "3", "learningRate": "0.0001"},
            "ModelAccessConfig": {"AcceptEula": True},
        }
    }


def _artifacts(job: AutoMLJob) -> dict[str, str]:
    return {
        "CandidateDefinitionNotebookLocation": (
            f"{job.output_path}/{job.name}/sagemaker-automl-candidates/notebooks/"
            "SageMakerAutopilotCandidateDefinitionNotebook.ipynb"
        ),
        "DataExplorationNotebookLocation": (
            f"{job.output_path}/{job.name}/sagemaker-automl-candidates/notebooks/"
            "SageMakerAutopilotDataExplorationNotebook.ipynb"
        ),
    }


def _candidate_metrics(job: AutoMLJob, candidate: Candidate) -> list[dict[str, Any]]:
    metric = job.objective_metric or "Accuracy"
    if not job.large:
        return [
            {
                "MetricName": metric,
                "StandardMetricName": metric,
                "Value": candidate.objective_value,
                "Set": "Validation",
            },
            {"StandardMetricName": "InferenceLatency", "Value": 0.0125, "Set": "Validation"},
        ]
    # The service model allows at most 40 metrics per candidate: fill all 40 for size tests.
    names = ["Accuracy", "F1", "AUC", "BalancedAccuracy", "Precision", "Recall", "LogLoss"]
    names += ["InferenceLatency", "MSE", "RMSE", "MAE", "R2", "PrecisionMacro"]
    metrics: list[dict[str, Any]] = []
    for index in range(40):
        metrics.append(
            {
                "StandardMetricName": names[index % len(names)],
                "Value": round(0.5 + index / 100.0, 6),
                "Set": ("Train", "Validation", "Test")[index % 3],
            }
        )
    return metrics


def _inference_containers(job: AutoMLJob, candidate: Candidate) -> list[dict[str, Any]]:
    model_root = f"{job.output_path}/{job.name}"
    processor_model = f"{model_root}/data-processor-models/{candidate.step_jobs[1].name}/output/model.tar.gz"
    containers = [
        {
            "Image": SKLEARN_AUTOML_IMAGE,
            "ModelDataUrl": processor_model,
            "Environment": {
                "AUTOML_SPARSE_ENCODE_RECORDIO_PROTOBUF": "1",
                "AUTOML_TRANSFORM_MODE": "feature-transform",
                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/x-recordio-protobuf",
                "SAGEMAKER_PROGRAM": "sagemaker_serve",
                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            },
        },
        {
            "Image": XGBOOST_IMAGE,
            "ModelDataUrl": f"{model_root}/tuning/{candidate.name}/output/model.tar.gz",
            "Environment": {
                "MAX_CONTENT_LENGTH": "20971520",
                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
            },
        },
        {
            "Image": SKLEARN_AUTOML_IMAGE,
            "ModelDataUrl": processor_model,
            "Environment": {
                "AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                "SAGEMAKER_PROGRAM": "sagemaker_serve",
            },
        },
    ]
    if job.large:
        # Five is the service maximum; long environment values make the answer heavy.
        for index in range(3, 5):
            containers.append(
                {
                    "Image": SKLEARN_AUTOML_IMAGE,
                    "ModelDataUrl": f"{model_root}/extra/{index}/model.tar.gz",
                    "Environment": {f"EXTRA_SETTING_{n}": "x" * 200 for n in range(10)},
                }
            )
    return containers


def candidate_answer(job: AutoMLJob, candidate: Candidate) -> dict[str, Any]:
    """One AutoMLCandidate structure (used in BestCandidate and ListCandidatesForAutoMLJob)."""
    answer: dict[str, Any] = {
        "CandidateName": candidate.name,
        "ObjectiveStatus": {"Completed": "Succeeded", "Failed": "Failed"}.get(candidate.status, "Pending"),
        "CandidateSteps": [
            {
                "CandidateStepType": {
                    "processing": "AWS::SageMaker::ProcessingJob",
                    "transform": "AWS::SageMaker::TransformJob",
                }.get(step.kind, "AWS::SageMaker::TrainingJob"),
                "CandidateStepArn": step.arn,
                "CandidateStepName": step.name,
            }
            for step in candidate.step_jobs
        ],
        "CandidateStatus": candidate.status,
        "InferenceContainers": _inference_containers(job, candidate),
        "CreationTime": candidate.creation_time,
        "LastModifiedTime": candidate.last_modified_time,
    }
    if candidate.end_time:
        answer["EndTime"] = candidate.end_time
    if candidate.failure_reason:
        answer["FailureReason"] = candidate.failure_reason
    if candidate.status == "Completed":
        if job.objective_metric:
            answer["FinalAutoMLJobObjectiveMetric"] = {
                "Type": job.objective_type,
                "MetricName": job.objective_metric,
                "Value": candidate.objective_value,
                "StandardMetricName": job.objective_metric,
            }
        answer["CandidateProperties"] = {
            "CandidateArtifactLocations": {
                "Explainability": f"{job.output_path}/{job.name}/documentation/explainability/output",
                "ModelInsights": f"{job.output_path}/{job.name}/documentation/model_monitor/output",
            },
            "CandidateMetrics": _candidate_metrics(job, candidate),
        }
        answer["InferenceContainerDefinitions"] = {"CPU": _inference_containers(job, candidate)}
    return answer


def _common_answer(job: AutoMLJob) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "AutoMLJobName": job.name,
        "AutoMLJobArn": job.arn,
        "OutputDataConfig": {"S3OutputPath": job.output_path},
        "RoleArn": ROLE_ARN,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
        "AutoMLJobStatus": job.status,
        "AutoMLJobSecondaryStatus": job.secondary_status,
    }
    if job.objective_metric:
        answer["AutoMLJobObjective"] = {"MetricName": job.objective_metric}
    if job.end_time:
        answer["EndTime"] = job.end_time
    if job.failure_reason:
        answer["FailureReason"] = job.failure_reason
    if job.partial_failure_reasons:
        answer["PartialFailureReasons"] = [{"PartialFailureMessage": m} for m in job.partial_failure_reasons]
    best = job.best_candidate() if job.status == "Completed" else None
    if best:
        answer["BestCandidate"] = candidate_answer(job, best)
    if job.secondary_status not in ("Starting", "AnalyzingData"):
        answer["AutoMLJobArtifacts"] = _artifacts(job)
    if job.model_deploy:
        answer["ModelDeployConfig"] = {"AutoGenerateEndpointName": True}
    return answer


def describe_v1_answer(job: AutoMLJob) -> dict[str, Any]:
    """DescribeAutoMLJob's answer (only for jobs created with CreateAutoMLJob)."""
    answer = _common_answer(job)
    answer["InputDataConfig"] = _v1_input_data_config(job)
    answer["AutoMLJobConfig"] = {
        "CompletionCriteria": _completion_criteria(job),
        "SecurityConfig": {"EnableInterContainerTrafficEncryption": False},
        "DataSplitConfig": {"ValidationFraction": 0.2},
        "Mode": job.mode,
    }
    answer["GenerateCandidateDefinitionsOnly"] = job.generate_candidate_definitions_only
    if job.problem_type:
        answer["ProblemType"] = job.problem_type
    if job.secondary_status != "Starting":
        # Autopilot fills ResolvedAttributes once it has analysed the data.
        answer["ResolvedAttributes"] = {
            "AutoMLJobObjective": {"MetricName": job.objective_metric or "Accuracy"},
            "ProblemType": job.problem_type or "BinaryClassification",
            "CompletionCriteria": _completion_criteria(job),
        }
    return answer


def describe_v2_answer(job: AutoMLJob) -> dict[str, Any]:
    """DescribeAutoMLJobV2's answer, which describes V1 and V2 jobs alike."""
    answer = _common_answer(job)
    answer["AutoMLJobInputDataConfig"] = _v2_input_data_config(job)
    answer["AutoMLProblemTypeConfig"] = _problem_type_config(job)
    answer["AutoMLProblemTypeConfigName"] = job.problem_type_config
    answer["SecurityConfig"] = {"EnableInterContainerTrafficEncryption": False}
    if job.problem_type_config == "Tabular":
        answer["DataSplitConfig"] = {"ValidationFraction": 0.2}
    if job.secondary_status != "Starting":
        resolved: dict[str, Any] = {"CompletionCriteria": _completion_criteria(job)}
        if job.objective_metric:
            resolved["AutoMLJobObjective"] = {"MetricName": job.objective_metric}
        if job.problem_type_config == "Tabular":
            resolved["AutoMLProblemTypeResolvedAttributes"] = {
                "TabularResolvedAttributes": {"ProblemType": job.problem_type or "BinaryClassification"}
            }
        elif job.problem_type_config == "TextGeneration":
            resolved["AutoMLProblemTypeResolvedAttributes"] = {
                "TextGenerationResolvedAttributes": {"BaseModelName": "Falcon7BInstruct"}
            }
        answer["ResolvedAttributes"] = resolved
    return answer


def automl_summary(job: AutoMLJob) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "AutoMLJobName": job.name,
        "AutoMLJobArn": job.arn,
        "AutoMLJobStatus": job.status,
        "AutoMLJobSecondaryStatus": job.secondary_status,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
    }
    if job.end_time:
        summary["EndTime"] = job.end_time
    if job.failure_reason:
        summary["FailureReason"] = job.failure_reason
    if job.partial_failure_reasons:
        summary["PartialFailureReasons"] = [{"PartialFailureMessage": m} for m in job.partial_failure_reasons]
    return summary


# ---------------------------------------------------------------- child job answers


def _with_optional(answer: dict[str, Any], **optional: Any) -> dict[str, Any]:
    answer.update({key: value for key, value in optional.items() if value is not None})
    return answer


def describe_training_answer(child: ChildJob) -> dict[str, Any]:
    transitions = [{"Status": status, "StartTime": start} for status, start in child.transitions]
    answer: dict[str, Any] = {
        "TrainingJobName": child.name,
        "TrainingJobArn": child.arn,
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://{DATA_BUCKET}/training/{child.name}/output/model.tar.gz"},
        "TrainingJobStatus": child.status,
        "SecondaryStatus": child.secondary_status,
        "HyperParameters": {"max_depth": "6", "eta": "0.3", "num_round": "100"},
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE_ARN,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{DATA_BUCKET}/training/{child.name}/input/train",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{DATA_BUCKET}/training/{child.name}/output"},
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
    )


def describe_processing_answer(child: ChildJob) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ProcessingJobName": child.name,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.2xlarge", "VolumeSizeInGB": 50}
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "AppSpecification": {"ImageUri": SKLEARN_AUTOML_IMAGE},
        "RoleArn": ROLE_ARN,
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
                    "S3Uri": f"s3://{DATA_BUCKET}/transform/{child.name}/in",
                }
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{DATA_BUCKET}/transform/{child.name}/out",
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
