"""Which algorithm a candidate is, from what SageMaker says about it.

A candidate (AutoMLCandidate) has no algorithm field. Two things in SageMaker's answers say it:

1. the job's own configuration: a job limited to one algorithm (``AutoMLAlgorithms`` with one entry)
   trains only that one, so each of its candidates is it (source ``job_config``);
2. the candidate's inference containers: Autopilot serves the model with the SageMaker container of
   its algorithm, between its own pre- and post-processing containers (``sagemaker-sklearn-automl``).
   The model container's ECR repository names the algorithm for SageMaker's first-party containers
   (``sagemaker-xgboost``, ``linear-learner``, ``autogluon-inference`` for the ENSEMBLING mode's
   stacked ensemble). Source ``inference_container``; a repository not in the table is reported as
   it is, so an analyst sees the image rather than a guess.

The names are the AutoMLAlgorithms values (API_AutoMLAlgorithmConfig) where one applies.
"""

from __future__ import annotations

import re
from typing import Any

FROM_JOB_CONFIG = "job_config"
FROM_INFERENCE_CONTAINER = "inference_container"
ENSEMBLE = "ensemble"

# Autopilot's own data processing and label-restoring containers: not the model.
_PROCESSING_REPOSITORIES = frozenset({"sagemaker-sklearn-automl", "sagemaker-scikit-learn-extension"})
# SageMaker container repository -> the algorithm (AutoMLAlgorithms vocabulary where there is one).
_REPOSITORY_ALGORITHMS = {
    "sagemaker-xgboost": "xgboost",
    "xgboost": "xgboost",
    "linear-learner": "linear-learner",
    "autogluon-inference": ENSEMBLE,
    "autogluon-training": ENSEMBLE,
}
_REPOSITORY = re.compile(r"^(?:[^/]+/)?(?P<repository>[^:@]+)")


def image_repository(image: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:1.7-1`` → ``sagemaker-xgboost``."""
    match = _REPOSITORY.match(image)
    return match["repository"] if match else image


def candidate_algorithm(candidate: dict[str, Any], job_algorithms: list[str]) -> tuple[str | None, str | None]:
    """(algorithm, where it came from) for one AutoMLCandidate; (None, None) when nothing says."""
    if len(job_algorithms) == 1:
        return job_algorithms[0], FROM_JOB_CONFIG
    for container in candidate.get("InferenceContainers") or []:
        image = container.get("Image") if isinstance(container, dict) else None
        if not isinstance(image, str) or not image:
            continue
        repository = image_repository(image)
        if repository in _PROCESSING_REPOSITORIES:
            continue
        return _REPOSITORY_ALGORITHMS.get(repository, repository), FROM_INFERENCE_CONTAINER
    return None, None
