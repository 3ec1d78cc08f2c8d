"""Turns a DescribeAutoMLJob or DescribeAutoMLJobV2 answer into one flat, typed record.

Both shapes map to the same columns (models/record.py). V1 keeps problem type, target and
completion criteria at the top level and in AutoMLJobConfig; V2 keeps them inside the one member
of AutoMLProblemTypeConfig that is set (TabularJobConfig, ImageClassificationJobConfig, ...).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from automl_archive.contracts.archive_layout import iso
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.algorithms import candidate_algorithm
from automl_archive.logic.state import alert_category, is_terminal, state_id
from automl_archive.models.record import JOB_RECORD_COLUMN_NAMES, SCHEMA_VERSION

_V2_CONFIG_NAMES = {
    "TabularJobConfig": "Tabular",
    "ImageClassificationJobConfig": "ImageClassification",
    "TextClassificationJobConfig": "TextClassification",
    "TimeSeriesForecastingJobConfig": "TimeSeriesForecasting",
    "TextGenerationJobConfig": "TextGeneration",
}


def account_and_region(arn: str | None) -> tuple[str | None, str | None]:
    """The account and Region an ARN names (arn:partition:service:region:account:resource)."""
    parts = (arn or "").split(":", 5)
    if len(parts) < 6 or not parts[4] or not parts[3]:
        return None, None
    return parts[4], parts[3]


def normalise(answer: dict[str, Any], describe_api: str, raw_s3_key: str, archived_at: datetime) -> dict[str, Any]:
    problem = _problem_settings(answer, describe_api)
    best = answer.get("BestCandidate") or {}
    objective = best.get("FinalAutoMLJobObjectiveMetric") or {}
    artifacts = (best.get("CandidateProperties") or {}).get("CandidateArtifactLocations") or {}
    job_artifacts = answer.get("AutoMLJobArtifacts") or {}
    steps = best.get("CandidateSteps") or []
    channels = answer.get("InputDataConfig") or answer.get("AutoMLJobInputDataConfig") or []
    status = answer["AutoMLJobStatus"]
    secondary = answer.get("AutoMLJobSecondaryStatus", "")
    last_modified = answer["LastModifiedTime"]
    record = {
        "schema_version": SCHEMA_VERSION,
        "job_name": answer["AutoMLJobName"],
        "job_arn": answer.get("AutoMLJobArn"),
        **dict(zip(("account_id", "region"), account_and_region(answer.get("AutoMLJobArn")), strict=True)),
        "describe_api": describe_api,
        "status": status,
        "secondary_status": secondary or None,
        "is_terminal": is_terminal(status),
        "problem_type": problem["problem_type"],
        "problem_type_config": problem["config_name"],
        "objective_metric": _objective_metric(answer),
        "mode": problem["mode"],
        "algorithms": problem["algorithms"],
        "max_candidates": problem["criteria"].get("MaxCandidates"),
        "max_runtime_per_training_job_seconds": problem["criteria"].get("MaxRuntimePerTrainingJobInSeconds"),
        "max_job_runtime_seconds": problem["criteria"].get("MaxAutoMLJobRuntimeInSeconds"),
        "generate_candidate_definitions_only": problem["definitions_only"],
        "creation_time": iso(answer.get("CreationTime")),
        "end_time": iso(answer.get("EndTime")),
        "last_modified_time": iso(last_modified),
        "duration_seconds": _duration_seconds(answer),
        "failure_reason": answer.get("FailureReason"),
        "partial_failure_reasons": [
            reason["PartialFailureMessage"]
            for reason in answer.get("PartialFailureReasons") or []
            if reason.get("PartialFailureMessage")
        ],
        "input_s3_uris": [
            uri
            for channel in channels
            if (uri := ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri"))
        ],
        "input_content_types": [channel["ContentType"] for channel in channels if channel.get("ContentType")],
        "output_s3_path": (answer.get("OutputDataConfig") or {}).get("S3OutputPath"),
        "target_attribute": problem["target"],
        "role_arn": answer.get("RoleArn"),
        "best_candidate_name": best.get("CandidateName"),
        "best_candidate_status": best.get("CandidateStatus"),
        "best_objective_metric_name": objective.get("MetricName"),
        "best_objective_metric_type": objective.get("Type"),
        "best_objective_metric_value": finite_float(objective.get("Value")),
        "best_candidate_step_arns": [step.get("CandidateStepArn") for step in steps],
        "best_candidate_step_types": [step.get("CandidateStepType") for step in steps],
        "best_candidate_container_images": [
            container["Image"] for container in best.get("InferenceContainers") or [] if container.get("Image")
        ],
        "best_candidate_metrics": [
            {
                "metric_name": metric.get("MetricName"),
                "standard_metric_name": metric.get("StandardMetricName"),
                "value": finite_float(metric.get("Value")),
                "set": metric.get("Set"),
            }
            for metric in (best.get("CandidateProperties") or {}).get("CandidateMetrics") or []
        ],
        "candidate_definition_notebook": job_artifacts.get("CandidateDefinitionNotebookLocation"),
        "data_exploration_notebook": job_artifacts.get("DataExplorationNotebookLocation"),
        "explainability_report": artifacts.get("Explainability"),
        "model_insights_report": artifacts.get("ModelInsights"),
        "backtest_results": artifacts.get("BacktestResults"),
        "auto_deploy_endpoint": (answer.get("ModelDeployConfig") or {}).get("EndpointName"),
        "deployed_endpoint": (answer.get("ModelDeployResult") or {}).get("EndpointName"),
        "candidate_count": None,  # set by the archiver from the leaderboard at terminal states
        "best_candidate_rank": None,
        "alert_category": alert_category(answer),
        "state_id": state_id(status, secondary, last_modified),
        "raw_s3_key": raw_s3_key,
        "archived_at": iso(archived_at),
        "best_candidate_algorithm": candidate_algorithm(best, problem["algorithms"])[0] if best else None,
    }
    assert tuple(record) == JOB_RECORD_COLUMN_NAMES, "normaliser and schema drifted"
    return encodable(record)


def encodable(value: Any) -> Any:
    """Derived text as UTF-8 can carry it: a lone UTF-16 surrogate (valid in JSON as `\\ud83d`, invalid
    in UTF-8, so S3, SNS and DynamoDB would reject it on every retry) becomes U+FFFD. The raw answer
    keeps the original, escaped."""
    if isinstance(value, str):
        return "".join("\ufffd" if _is_surrogate(char) else char for char in value) if _has_surrogate(value) else value
    if isinstance(value, dict):
        return {key: encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encodable(item) for item in value]
    return value


def _is_surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def _has_surrogate(text: str) -> bool:
    return any(_is_surrogate(char) for char in text)


def _problem_settings(answer: dict[str, Any], describe_api: str) -> dict[str, Any]:
    """Problem type, target, mode, algorithms and completion criteria from either answer shape."""
    if describe_api == DescribeApi.V2 or "AutoMLProblemTypeConfig" in answer:
        return _v2_problem_settings(answer)
    config = answer.get("AutoMLJobConfig") or {}
    resolved = answer.get("ResolvedAttributes") or {}
    channels = answer.get("InputDataConfig") or []
    return {
        "problem_type": answer.get("ProblemType") or resolved.get("ProblemType"),
        "config_name": "Tabular",
        "mode": config.get("Mode"),
        "algorithms": _algorithms(config.get("CandidateGenerationConfig")),
        "criteria": config.get("CompletionCriteria") or resolved.get("CompletionCriteria") or {},
        "definitions_only": answer.get("GenerateCandidateDefinitionsOnly"),
        "target": next((c["TargetAttributeName"] for c in channels if c.get("TargetAttributeName")), None),
    }


def _v2_problem_settings(answer: dict[str, Any]) -> dict[str, Any]:
    union = answer.get("AutoMLProblemTypeConfig") or {}
    member_key = next(iter(union), None)
    member: dict[str, Any] = union.get(member_key, {}) if member_key else {}
    config_name = answer.get("AutoMLProblemTypeConfigName") or _V2_CONFIG_NAMES.get(member_key or "")
    resolved = answer.get("ResolvedAttributes") or {}
    resolved_problem = (resolved.get("AutoMLProblemTypeResolvedAttributes") or {}).get(
        "TabularResolvedAttributes"
    ) or {}
    time_series = member.get("TimeSeriesConfig") or {}
    return {
        "problem_type": member.get("ProblemType") or resolved_problem.get("ProblemType") or config_name,
        "config_name": config_name,
        "mode": member.get("Mode"),
        "algorithms": _algorithms(member.get("CandidateGenerationConfig")),
        "criteria": member.get("CompletionCriteria") or resolved.get("CompletionCriteria") or {},
        "definitions_only": member.get("GenerateCandidateDefinitionsOnly"),
        "target": member.get("TargetAttributeName")
        or member.get("TargetLabelColumn")
        or time_series.get("TargetAttributeName"),
    }


def _objective_metric(answer: dict[str, Any]) -> str | None:
    requested = (answer.get("AutoMLJobObjective") or {}).get("MetricName")
    resolved = ((answer.get("ResolvedAttributes") or {}).get("AutoMLJobObjective") or {}).get("MetricName")
    return requested or resolved


def _algorithms(generation_config: dict[str, Any] | None) -> list[str]:
    configs = (generation_config or {}).get("AlgorithmsConfig") or []
    return [algorithm for config in configs for algorithm in config.get("AutoMLAlgorithms") or []]


def _duration_seconds(answer: dict[str, Any]) -> float | None:
    created = answer.get("CreationTime")
    finished = answer.get("EndTime") or answer.get("LastModifiedTime")
    if created is None or finished is None:
        return None
    return round((finished - created).total_seconds(), 3)


def finite_float(value: Any) -> float | None:
    """A finite float, or None: NaN and infinities are not JSON, Athena or DynamoDB numbers."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
