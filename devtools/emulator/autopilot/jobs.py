"""Simulated Autopilot jobs, their candidates and their child jobs (the state the simulator keeps)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

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

NAME_LIMIT = 63
TUNING_NAME_LIMIT = 32
FAILURE_REASON_LIMIT = 1024


@dataclass(frozen=True)
class Source:
    """The AWS account and region a simulator plays: every ARN, bucket and event of its jobs names them."""

    account_id: str = ACCOUNT_ID
    region: str = REGION

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"an AWS account id is 12 digits, not {self.account_id!r}")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", self.region):
            raise ValueError(f"not an AWS region name: {self.region!r}")

    def sagemaker_arn(self, resource_type: str, name: str) -> str:
        # SageMaker lower-cases the resource name in its ARNs.
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{resource_type}/{name.lower()}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/service-role/AmazonSageMaker-ExecutionRole-20250101T000000"

    @property
    def data_bucket(self) -> str:
        return f"sagemaker-{self.region}-{self.account_id}"

    # The images' registry account (683313688378) is us-east-1's; other regions have their own
    # registry accounts, which no reader of these answers checks: only the region is swapped.
    @property
    def sklearn_automl_image(self) -> str:
        return f"683313688378.dkr.ecr.{self.region}.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3"

    @property
    def xgboost_image(self) -> str:
        return f"683313688378.dkr.ecr.{self.region}.amazonaws.com/sagemaker-xgboost:1.7-1"


DEFAULT_SOURCE = Source()  # moto's default account in us-east-1: what a simulator plays unless told
ROLE_ARN = DEFAULT_SOURCE.role_arn
DATA_BUCKET = DEFAULT_SOURCE.data_bucket
SKLEARN_AUTOML_IMAGE = DEFAULT_SOURCE.sklearn_automl_image
XGBOOST_IMAGE = DEFAULT_SOURCE.xgboost_image


def short_hex(*parts: object, length: int = 8) -> str:
    """Deterministic hex suffix, like the random ones Autopilot appends to child-job names."""
    digest = hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()
    return digest[:length]


def sagemaker_arn(resource_type: str, name: str, source: Source = DEFAULT_SOURCE) -> str:
    return source.sagemaker_arn(resource_type, name)


def automl_job_arn(name: str, source: Source = DEFAULT_SOURCE) -> str:
    return sagemaker_arn("automl-job", name, source)


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
    source: Source = DEFAULT_SOURCE

    @property
    def arn(self) -> str:
        resource_type = {
            "processing": "processing-job",
            "training": "training-job",
            "transform": "transform-job",
            "tuning": "hyper-parameter-tuning-job",
        }[self.kind]
        return self.source.sagemaker_arn(resource_type, self.name)


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
    max_runtime_seconds: int | None = 2_592_000  # MaxAutoMLJobRuntimeInSeconds as created; None when unset
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
    source: Source = DEFAULT_SOURCE

    @property
    def arn(self) -> str:
        return automl_job_arn(self.name, self.source)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_AUTOML_STATUSES

    @property
    def output_path(self) -> str:
        return f"s3://{self.source.data_bucket}/autopilot/{self.name}/output"

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
