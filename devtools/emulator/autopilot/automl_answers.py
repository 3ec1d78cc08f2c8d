"""Answers about AutoML jobs (DescribeAutoMLJob, DescribeAutoMLJobV2, ListAutoMLJobs summaries).

The shapes follow botocore's sagemaker service model; the moto patch validates each answer before serving it.
"""

from __future__ import annotations

from typing import Any

from devtools.emulator.autopilot.candidate_answers import candidate_answer
from devtools.emulator.autopilot.jobs import AutoMLJob


def _completion_criteria(job: AutoMLJob) -> dict[str, Any]:
    criteria: dict[str, Any] = {"MaxCandidates": job.max_candidates, "MaxRuntimePerTrainingJobInSeconds": 86400}
    if job.max_runtime_seconds is not None:
        criteria["MaxAutoMLJobRuntimeInSeconds"] = job.max_runtime_seconds
    return criteria


def _content_type(job: AutoMLJob) -> str:
    return "image/png" if job.problem_type_config == "ImageClassification" else "text/csv;header=present"


def _data_source(job: AutoMLJob, channel: str) -> dict[str, Any]:
    return {
        "S3DataSource": {
            "S3DataType": "S3Prefix",
            "S3Uri": f"s3://{job.source.data_bucket}/autopilot/{job.name}/input/{channel}/",
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


def _common_answer(job: AutoMLJob) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "AutoMLJobName": job.name,
        "AutoMLJobArn": job.arn,
        "OutputDataConfig": {"S3OutputPath": job.output_path},
        "RoleArn": job.source.role_arn,
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
