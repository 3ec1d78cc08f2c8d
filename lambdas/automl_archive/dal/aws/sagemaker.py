"""SageMaker: describe and list AutoML jobs, their candidates, and the child jobs that name them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from automl_archive.contracts.call_budget import SAGEMAKER, CallBudget
from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.dal.aws.client import BotoClient, aws_config, error_code
from automl_archive.dal.interfaces import CandidatesUnavailable, ChildJobNotFound, JobNotFound, WrongDescribeApi

_NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
_CHILD_DESCRIBE = {
    ChildKind.TRAINING: ("describe_training_job", "TrainingJobName"),
    ChildKind.PROCESSING: ("describe_processing_job", "ProcessingJobName"),
    ChildKind.TRANSFORM: ("describe_transform_job", "TransformJobName"),
}


class SageMakerApi(BotoClient):
    _service = "sagemaker"

    def __init__(self, retry_mode: str, max_attempts: int, before_send: Callable[..., None] | None = None) -> None:
        budget = CallBudget(SAGEMAKER.connect_timeout_seconds, SAGEMAKER.read_timeout_seconds, max_attempts)
        self._config = aws_config(retry_mode, budget)
        self.before_send = before_send

    def describe_automl_job(self, job_name: str, api: DescribeApi) -> dict[str, Any]:
        try:
            if api is DescribeApi.V2:
                answer = self._client.describe_auto_ml_job_v2(AutoMLJobName=job_name)
            else:
                answer = self._client.describe_auto_ml_job(AutoMLJobName=job_name)
        except ClientError as error:
            code = error_code(error)
            if code in _NOT_FOUND_CODES:
                raise JobNotFound(job_name) from error
            if code == "ValidationException" and api is DescribeApi.V1:
                raise WrongDescribeApi(job_name) from error
            raise
        answer.pop("ResponseMetadata", None)
        return dict(answer)

    def list_candidates(self, job_name: str) -> list[dict[str, Any]]:
        candidates: list[dict[str, Any]] = []
        try:
            for page in self._client.get_paginator("list_candidates_for_auto_ml_job").paginate(
                AutoMLJobName=job_name, PaginationConfig={"PageSize": 100}
            ):
                candidates.extend(page.get("Candidates", []))
        except ClientError as error:
            # AccessDenied, ValidationException (no candidates for this problem type), ResourceNotFound,
            # throttling or 5xx after the SDK's retries: all end the same way for an enrichment.
            raise CandidatesUnavailable(job_name, error_code(error) or "ClientError") from error
        except BotoCoreError as error:  # timeouts and connection errors after the SDK's retries
            raise CandidatesUnavailable(job_name, type(error).__name__) from error
        return candidates

    def job_summary_pages(self, **filters: Any) -> Iterator[list[dict[str, Any]]]:
        paginator = self._client.get_paginator("list_auto_ml_jobs")
        for page in paginator.paginate(**filters, PaginationConfig={"PageSize": 100}):
            yield list(page.get("AutoMLJobSummaries", []))

    def automl_job_arn_of_child(self, kind: ChildKind, child_name: str) -> str | None:
        method, name_field = _CHILD_DESCRIBE[kind]
        try:
            answer = getattr(self._client, method)(**{name_field: child_name})
        except ClientError as error:
            # SageMaker answers ValidationException for a child job it does not know.
            if error_code(error) in _NOT_FOUND_CODES | {"ValidationException"}:
                raise ChildJobNotFound(child_name) from error
            raise
        arn = answer.get("AutoMLJobArn")
        return str(arn) if arn else None

    def first_training_job_of_tuning_job(self, tuning_job_name: str) -> str | None:
        try:
            answer = self._client.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=tuning_job_name, MaxResults=1
            )
        except ClientError as error:
            if error_code(error) in _NOT_FOUND_CODES | {"ValidationException"}:
                raise ChildJobNotFound(tuning_job_name) from error
            raise
        summaries = answer.get("TrainingJobSummaries") or []
        return str(summaries[0]["TrainingJobName"]) if summaries else None
