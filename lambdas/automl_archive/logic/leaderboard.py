"""The candidate leaderboard: every candidate of a finished job, ranked by its objective metric."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from automl_archive.contracts.archive_layout import JSON_LINES_CONTENT_TYPE, candidates_key, iso, json_lines
from automl_archive.contracts.metric_names import CANDIDATES_ARCHIVED, LEADERBOARDS_UNAVAILABLE
from automl_archive.dal.interfaces import Archive, CandidatesUnavailable, MetricsSink, SageMakerGateway
from automl_archive.logic.algorithms import candidate_algorithm
from automl_archive.logic.normalise import encodable, finite_float
from automl_archive.models.record import CANDIDATE_RECORD_COLUMN_NAMES, SCHEMA_VERSION
from automl_archive.observability import logger


def rank_candidates(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first: by final objective value in the metric's direction; candidates without a value last."""

    def sort_key(candidate: dict[str, Any]) -> tuple[int, float, str]:
        objective = candidate.get("FinalAutoMLJobObjectiveMetric") or {}
        value = finite_float(objective.get("Value"))
        if value is None:
            return (1, 0.0, candidate.get("CandidateName", ""))
        signed = -value if objective.get("Type", "Maximize") == "Maximize" else value
        return (0, signed, candidate.get("CandidateName", ""))

    return sorted(candidates, key=sort_key)


def best_candidate_rank(ranked: list[dict[str, Any]], best_name: str | None) -> int | None:
    if not best_name:
        return None
    return next((index for index, c in enumerate(ranked, start=1) if c.get("CandidateName") == best_name), None)


def candidate_rows(
    job_record: dict[str, Any], ranked: list[dict[str, Any]], archived_at: datetime
) -> list[dict[str, Any]]:
    rows = []
    for rank, candidate in enumerate(ranked, start=1):
        objective = candidate.get("FinalAutoMLJobObjectiveMetric") or {}
        properties = candidate.get("CandidateProperties") or {}
        artifacts = properties.get("CandidateArtifactLocations") or {}
        steps = candidate.get("CandidateSteps") or []
        value = objective.get("Value")
        algorithm, algorithm_source = candidate_algorithm(candidate, job_record["algorithms"] or [])
        row = {
            "schema_version": SCHEMA_VERSION,
            "job_name": job_record["job_name"],
            "job_arn": job_record["job_arn"],
            "account_id": job_record["account_id"],
            "region": job_record["region"],
            "job_status": job_record["status"],
            "job_state_id": job_record["state_id"],
            "problem_type": job_record["problem_type"],
            "rank": rank,
            "is_best": candidate.get("CandidateName") == job_record["best_candidate_name"],
            "candidate_name": candidate.get("CandidateName"),
            "candidate_status": candidate.get("CandidateStatus"),
            "objective_status": candidate.get("ObjectiveStatus"),
            "objective_metric_name": objective.get("MetricName"),
            "objective_metric_type": objective.get("Type"),
            "objective_metric_value": finite_float(value),
            "standard_metric_name": objective.get("StandardMetricName"),
            "step_arns": [step.get("CandidateStepArn") for step in steps],
            "step_types": [step.get("CandidateStepType") for step in steps],
            "step_names": [step.get("CandidateStepName") for step in steps],
            "container_images": [c["Image"] for c in candidate.get("InferenceContainers") or [] if c.get("Image")],
            "candidate_metrics": [
                {
                    "metric_name": metric.get("MetricName"),
                    "standard_metric_name": metric.get("StandardMetricName"),
                    "value": finite_float(metric.get("Value")),
                    "set": metric.get("Set"),
                }
                for metric in properties.get("CandidateMetrics") or []
            ],
            "creation_time": iso(candidate.get("CreationTime")),
            "end_time": iso(candidate.get("EndTime")),
            "last_modified_time": iso(candidate.get("LastModifiedTime")),
            "failure_reason": candidate.get("FailureReason"),
            "explainability_report": artifacts.get("Explainability"),
            "model_insights_report": artifacts.get("ModelInsights"),
            "backtest_results": artifacts.get("BacktestResults"),
            "archived_at": iso(archived_at),
            "algorithm": algorithm,
            "algorithm_source": algorithm_source,
        }
        assert tuple(row) == CANDIDATE_RECORD_COLUMN_NAMES, "leaderboard and schema drifted"
        rows.append(row)
    return [encodable(row) for row in rows]


def archive_leaderboard(
    sagemaker: SageMakerGateway,
    archive: Archive,
    metrics: MetricsSink,
    job_key: str,
    record: dict[str, Any],
    now: datetime,
) -> None:
    """At a terminal state: every candidate as one JSON line each; count and best rank into the record."""
    try:
        candidates = sagemaker.list_candidates(record["job_name"])
    except CandidatesUnavailable as unavailable:
        # The state is described: it and its alert go out now, with the candidate fields left null.
        metrics.count(LEADERBOARDS_UNAVAILABLE)
        logger.warning(
            "Leaderboard unavailable; state archived without it",
            extra={"job_name": record["job_name"], "reason": unavailable.reason},
        )
        return
    metrics.count(CANDIDATES_ARCHIVED, len(candidates))
    ranked = rank_candidates(candidates)
    record["candidate_count"] = len(ranked)
    record["best_candidate_rank"] = best_candidate_rank(ranked, record["best_candidate_name"])
    if not ranked:
        return
    rows = candidate_rows(record, ranked, now)
    archive.put_json(candidates_key(job_key, record), json_lines(rows), JSON_LINES_CONTENT_TYPE)
