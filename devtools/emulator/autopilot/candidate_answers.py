"""AutoMLCandidate structures (BestCandidate, ListCandidatesForAutoMLJob), built from simulated candidates."""

from __future__ import annotations

from typing import Any

from devtools.emulator.autopilot.jobs import AutoMLJob, Candidate


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
            "Image": job.source.sklearn_automl_image,
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
            "Image": job.source.xgboost_image,
            "ModelDataUrl": f"{model_root}/tuning/{candidate.name}/output/model.tar.gz",
            "Environment": {
                "MAX_CONTENT_LENGTH": "20971520",
                "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
            },
        },
        {
            "Image": job.source.sklearn_automl_image,
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
                    "Image": job.source.sklearn_automl_image,
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
