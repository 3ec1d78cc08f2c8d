"""A candidate's algorithm, from the job's configuration or its model's SageMaker container."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from automl_archive.contracts.job_status import DescribeApi
from automl_archive.logic.algorithms import (
    ENSEMBLE,
    FROM_INFERENCE_CONTAINER,
    FROM_JOB_CONFIG,
    candidate_algorithm,
    image_repository,
)
from automl_archive.logic.leaderboard import candidate_rows, rank_candidates
from automl_archive.logic.normalise import normalise
from devtools.answers import best_candidate, v1_answer

ECR = "683313688378.dkr.ecr.us-east-1.amazonaws.com"


def _with_images(*repositories: str) -> dict:
    candidate = best_candidate("churn")
    candidate["InferenceContainers"] = [
        {"Image": f"{ECR}/{repository}:1-cpu", "ModelDataUrl": "s3://m"} for repository in repositories
    ]
    return candidate


@pytest.mark.parametrize(
    ("repositories", "expected"),
    [
        (("sagemaker-sklearn-automl", "sagemaker-xgboost", "sagemaker-sklearn-automl"), "xgboost"),
        (("sagemaker-sklearn-automl", "linear-learner", "sagemaker-sklearn-automl"), "linear-learner"),
        (("autogluon-inference",), ENSEMBLE),
        (("sagemaker-sklearn-automl", "mxnet-inference"), "mxnet-inference"),  # not in the table: as it is
    ],
)
def test_the_model_container_names_the_algorithm(repositories, expected):
    assert candidate_algorithm(_with_images(*repositories), ["xgboost", "mlp"]) == (expected, FROM_INFERENCE_CONTAINER)


def test_a_job_limited_to_one_algorithm_says_it_whatever_the_images():
    assert candidate_algorithm(_with_images("sagemaker-sklearn-automl", "mxnet-inference"), ["mlp"]) == (
        "mlp",
        FROM_JOB_CONFIG,
    )


def test_a_candidate_without_a_model_container_has_no_algorithm():
    assert candidate_algorithm(_with_images("sagemaker-sklearn-automl"), []) == (None, None)
    assert candidate_algorithm({"InferenceContainers": [{"Image": ""}, "junk"]}, []) == (None, None)


def test_image_repository_drops_registry_tag_and_digest():
    assert image_repository(f"{ECR}/sagemaker-xgboost:1.7-1") == "sagemaker-xgboost"
    assert image_repository(f"{ECR}/autogluon-inference@sha256:abc") == "autogluon-inference"
    assert image_repository("linear-learner:1") == "linear-learner"


def test_job_record_and_candidate_rows_carry_the_algorithm():
    answer = v1_answer("churn", BestCandidate=_with_images("sagemaker-sklearn-automl", "sagemaker-xgboost"))
    record = normalise(answer, DescribeApi.V1, raw_s3_key="raw", archived_at=datetime(2026, 11, 20, tzinfo=UTC))
    assert record["best_candidate_algorithm"] == "xgboost"
    (row,) = candidate_rows(record, rank_candidates([answer["BestCandidate"]]), datetime(2026, 11, 20, tzinfo=UTC))
    assert (row["algorithm"], row["algorithm_source"]) == ("xgboost", FROM_INFERENCE_CONTAINER)
    running = normalise(
        v1_answer("churn", status="InProgress", secondary="ModelTuning"), DescribeApi.V1, "raw", datetime.now(UTC)
    )
    assert running["best_candidate_algorithm"] is None
