"""Realistic DescribeAutoMLJob / DescribeAutoMLJobV2 answers for unit tests (validated by Stubber there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
CREATED = datetime(2026, 11, 20, 9, 0, 0, 250000, tzinfo=UTC)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/autopilot"

V2_CONFIG_KEYS = {
    "Tabular": "TabularJobConfig",
    "ImageClassification": "ImageClassificationJobConfig",
    "TextClassification": "TextClassificationJobConfig",
    "TimeSeriesForecasting": "TimeSeriesForecastingJobConfig",
    "TextGeneration": "TextGenerationJobConfig",
}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def best_candidate(job_name: str, metrics: int = 3, containers: int = 3) -> dict[str, Any]:
    return {
        "CandidateName": f"{job_name}-trial-001",
        "FinalAutoMLJobObjectiveMetric": {"Type": "Maximize", "MetricName": "F1", "Value": 0.91},
        "ObjectiveStatus": "Succeeded",
        "CandidateSteps": [
            {
                "CandidateStepType": "AWS::SageMaker::ProcessingJob",
                "CandidateStepArn": arn("processing-job", f"{job_name}-db-1-abc"),
                "CandidateStepName": f"{job_name}-db-1-abc",
            },
            {
                "CandidateStepType": "AWS::SageMaker::TrainingJob",
                "CandidateStepArn": arn("training-job", f"{job_name}TA-001-def"),
                "CandidateStepName": f"{job_name}TA-001-def",
            },
        ],
        "CandidateStatus": "Completed",
        "InferenceContainers": [
            {
                "Image": f"683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-{i}",
                "ModelDataUrl": "s3://out/model.tar.gz",
                "Environment": {"K": "V"},
            }
            for i in range(containers)
        ],
        "CreationTime": CREATED + timedelta(minutes=5),
        "EndTime": CREATED + timedelta(minutes=40),
        "LastModifiedTime": CREATED + timedelta(minutes=41),
        "CandidateProperties": {
            "CandidateArtifactLocations": {
                "Explainability": "s3://out/explainability/",
                "ModelInsights": "s3://out/insights/",
            },
            "CandidateMetrics": [
                {"MetricName": "F1", "StandardMetricName": "F1", "Value": 0.9 + i / 1000, "Set": "Validation"}
                for i in range(metrics)
            ],
        },
    }


def v1_answer(
    name: str = "churn-v1",
    status: str = "Completed",
    secondary: str = "Completed",
    problem_type: str = "BinaryClassification",
    minutes: int = 60,
    **overrides: Any,
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobArn": arn("automl-job", name),
        "InputDataConfig": [
            {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/churn/train.csv"}},
                "TargetAttributeName": "churned",
                "ContentType": "text/csv;header=present",
                "ChannelType": "training",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://out/churn/"},
        "RoleArn": ROLE,
        "AutoMLJobObjective": {"MetricName": "F1"},
        "ProblemType": problem_type,
        "AutoMLJobConfig": {
            "CompletionCriteria": {
                "MaxCandidates": 10,
                "MaxRuntimePerTrainingJobInSeconds": 3600,
                "MaxAutoMLJobRuntimeInSeconds": 14400,
            },
            "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["xgboost", "lightgbm"]}]},
            "Mode": "ENSEMBLING",
        },
        "CreationTime": CREATED,
        "LastModifiedTime": CREATED + timedelta(minutes=minutes),
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "GenerateCandidateDefinitionsOnly": False,
        "AutoMLJobArtifacts": {
            "CandidateDefinitionNotebookLocation": "s3://out/notebooks/candidates.ipynb",
            "DataExplorationNotebookLocation": "s3://out/notebooks/explore.ipynb",
        },
        "ResolvedAttributes": {"AutoMLJobObjective": {"MetricName": "F1"}, "ProblemType": problem_type},
    }
    if status in ("Completed", "Failed", "Stopped"):
        answer["EndTime"] = CREATED + timedelta(minutes=minutes)
    if status == "Completed":
        answer["BestCandidate"] = best_candidate(name)
    if status == "Failed":
        answer["FailureReason"] = "ClientError: target attribute 'churned' not found in the dataset"
    answer.update(overrides)
    return answer


def v2_answer(
    name: str = "images-v2",
    config: str = "ImageClassification",
    status: str = "Completed",
    secondary: str = "Completed",
    minutes: int = 90,
    **overrides: Any,
) -> dict[str, Any]:
    criteria = {"MaxCandidates": 5, "MaxAutoMLJobRuntimeInSeconds": 7200}
    member: dict[str, Any] = {"CompletionCriteria": criteria}
    if config == "Tabular":
        member.update(
            ProblemType="Regression",
            TargetAttributeName="price",
            Mode="HYPERPARAMETER_TUNING",
            CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["mlp"]}]},
        )
    elif config == "TextClassification":
        member.update(ContentColumn="text", TargetLabelColumn="label")
    elif config == "TimeSeriesForecasting":
        member.update(
            ForecastFrequency="1D",
            ForecastHorizon=14,
            TimeSeriesConfig={
                "TargetAttributeName": "demand",
                "TimestampAttributeName": "ts",
                "ItemIdentifierAttributeName": "sku",
            },
        )
    elif config == "TextGeneration":
        member.update(BaseModelName="Falcon7BInstruct")
    answer: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobArn": arn("automl-job", name),
        "AutoMLJobInputDataConfig": [
            {
                "ChannelType": "training",
                "ContentType": "image/png",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://data/{name}/"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://out/{name}/"},
        "RoleArn": ROLE,
        "AutoMLProblemTypeConfig": {V2_CONFIG_KEYS[config]: member},
        "AutoMLProblemTypeConfigName": config,
        "CreationTime": CREATED,
        "LastModifiedTime": CREATED + timedelta(minutes=minutes),
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "ResolvedAttributes": {"AutoMLJobObjective": {"MetricName": "Accuracy"}, "CompletionCriteria": criteria},
        "DataSplitConfig": {"ValidationFraction": 0.2},
    }
    if config == "Tabular":
        answer["ResolvedAttributes"]["AutoMLProblemTypeResolvedAttributes"] = {
            "TabularResolvedAttributes": {"ProblemType": "Regression"}
        }
    if status in ("Completed", "Failed", "Stopped"):
        answer["EndTime"] = CREATED + timedelta(minutes=minutes)
    if status == "Completed":
        answer["BestCandidate"] = best_candidate(name)
    answer.update(overrides)
    return answer
