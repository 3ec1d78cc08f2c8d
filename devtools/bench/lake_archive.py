"""A realistic local copy of the data lake's JSON tables, as the archiver writes them, for the lake bench.

`write_archive(directory, states=100_000)` writes ``records/automl-jobs/``, ``records/automl-candidates/``
and ``records/automl-child-jobs/`` under ``directory``: jobs of 8 states each (the last job takes what is
left, so the state count is exact) spread over the ``DAYS`` days before ``AS_OF``. A job goes Starting,
AnalyzingData, FeatureEngineering, ModelTuning (or TrainingModels), MaxCandidatesReached,
GeneratingExplainabilityReport, GeneratingModelInsightsReport, then Completed, Failed or Stopped (a few
jobs are still running: an 8th InProgress state instead). Every state is one object
``dt=<date of last_modified_time>/<job key>--<state id>.jsonl``; a completed job's 10 candidates are one
object beside its terminal state, and each job has a processing job and 2 training jobs in the child-job
table (one object each).

Rows are the product's own: each state's DescribeAutoMLJob(V2) answer (``devtools.answers``) through
``normalise``, the leaderboard through ``rank_candidates``/``candidate_rows``, child jobs through
``child_usage``/``child_job_row``; keys and bytes through ``archive_layout`` (``record_key``,
``candidates_key``, ``child_job_key``, ``json_lines``). Deterministic for a seed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from automl_archive.contracts.archive_layout import (
    candidates_key,
    child_job_key,
    iso,
    json_lines,
    raw_key,
    record_key,
)
from automl_archive.contracts.job_identity import JobSource, job_key
from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.logic.child_jobs import child_job_row
from automl_archive.logic.leaderboard import best_candidate_rank, candidate_rows, rank_candidates
from automl_archive.logic.normalise import normalise
from automl_archive.models.child_usage import child_usage
from devtools.answers import ACCOUNT, REGION, v1_answer, v2_answer

AS_OF = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the queries' clock for the generated archive
DAYS = 120  # jobs are created over the last 120 days
STATES_PER_JOB = 8
CANDIDATES_PER_JOB = 10
SOURCES: tuple[JobSource | None, ...] = (
    None,
    JobSource("111111111111", "eu-west-1"),
    JobSource("222222222222", "ap-southeast-2"),
)
RUNNING_PHASES = (
    "Starting",
    "AnalyzingData",
    "FeatureEngineering",
    "ModelTuning",  # TrainingModels in ENSEMBLING mode
    "MaxCandidatesReached",
    "GeneratingExplainabilityReport",
    "GeneratingModelInsightsReport",
)
# The end of a job: (status, secondary status, weight); a running job's 8th state is one more InProgress.
ENDINGS = (
    ("Completed", "Completed", 78),
    ("Failed", "Failed", 12),
    ("Stopped", "Stopped", 7),
    ("InProgress", "GeneratingModelInsightsReport", 3),
)
V1_PROBLEMS = ("BinaryClassification", "MulticlassClassification", "Regression")
V1_METRICS = {"BinaryClassification": ("F1", "Maximize"), "MulticlassClassification": ("Accuracy", "Maximize"),
              "Regression": ("MSE", "Minimize")}  # fmt: skip
V2_CONFIGS = ("Tabular", "ImageClassification", "TextClassification")
ALGORITHM_IMAGES = {
    "xgboost": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    "linear-learner": "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
    "lightgbm": "763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:0.4",
}
DAY_OBJECT = "day.jsonl"  # the one object per table and day of `write_archive`'s days_root copy
INSTANCE_TYPES = ("ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.c5.2xlarge")


@dataclass(frozen=True)
class GeneratedArchive:
    """What `write_archive` wrote."""

    root: Path
    as_of: datetime
    jobs: int
    states: int
    candidate_objects: int
    candidate_rows: int
    child_job_objects: int
    bytes: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "states": self.states,
            "candidate_objects": self.candidate_objects,
            "candidate_rows": self.candidate_rows,
            "child_job_objects": self.child_job_objects,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


class _Writer:
    """Writes each object; with ``days_root``, also appends it to one object per table and day there."""

    def __init__(self, root: Path, days_root: Path | None) -> None:
        self.root = root
        self.days_root = days_root
        self.directories: set[Path] = set()
        self.days: dict[str, BinaryIO] = {}
        self.bytes = 0

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        if path.parent not in self.directories:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.directories.add(path.parent)
        path.write_bytes(body)
        self.bytes += len(body)
        if self.days_root is not None:
            day = key.rpartition("/")[0]
            if day not in self.days:
                target = self.days_root / day / DAY_OBJECT
                target.parent.mkdir(parents=True, exist_ok=True)
                self.days[day] = target.open("wb")
            self.days[day].write(body)

    def close(self) -> None:
        for handle in self.days.values():
            handle.close()


def _with_source(answer: dict[str, Any], source: JobSource | None) -> dict[str, Any]:
    """The answer as SageMaker in the source's account and Region gives it (the ARN says where)."""
    if source is not None:
        answer["AutoMLJobArn"] = answer["AutoMLJobArn"].replace(
            f":{REGION}:{ACCOUNT}:", f":{source.region}:{source.account_id}:"
        )
    return answer


def _candidates(rng: random.Random, name: str, metric: str, direction: str, start: datetime) -> list[dict[str, Any]]:
    """A completed job's candidates as ListCandidatesForAutoMLJob returns them."""
    candidates = []
    for index in range(1, CANDIDATES_PER_JOB + 1):
        algorithm = rng.choice(tuple(ALGORITHM_IMAGES))
        value = round(rng.uniform(0.5, 0.99), 4) if direction == "Maximize" else round(rng.uniform(0.01, 2.0), 4)
        created = start + timedelta(minutes=10 + 3 * index)
        trial = f"{name}-trial-{index:03d}"
        candidates.append(
            {
                "CandidateName": trial,
                "FinalAutoMLJobObjectiveMetric": {"Type": direction, "MetricName": metric, "Value": value},
                "ObjectiveStatus": "Succeeded",
                "CandidateSteps": [
                    {
                        "CandidateStepType": "AWS::SageMaker::ProcessingJob",
                        "CandidateStepArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}-db-1-{index}",
                        "CandidateStepName": f"{name}-db-1-{index}",
                    },
                    {
                        "CandidateStepType": "AWS::SageMaker::TrainingJob",
                        "CandidateStepArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}ta-{index:03d}",
                        "CandidateStepName": f"{name}TA-{index:03d}",
                    },
                ],
                "CandidateStatus": "Completed",
                "InferenceContainers": [{"Image": ALGORITHM_IMAGES[algorithm], "ModelDataUrl": f"s3://out/{trial}/m"}],
                "CreationTime": created,
                "EndTime": created + timedelta(minutes=25),
                "LastModifiedTime": created + timedelta(minutes=26),
                "CandidateProperties": {
                    "CandidateArtifactLocations": {
                        "Explainability": f"s3://out/{name}/explainability/{trial}/",
                        "ModelInsights": f"s3://out/{name}/insights/{trial}/",
                    },
                    "CandidateMetrics": [
                        {"MetricName": metric, "StandardMetricName": metric, "Value": value, "Set": "Validation"},
                        {"MetricName": "Recall", "StandardMetricName": "Recall", "Value": 0.8, "Set": "Validation"},
                        {"MetricName": "AUC", "StandardMetricName": "AUC", "Value": 0.85, "Set": "Validation"},
                    ],
                },
            }
        )
    return candidates


def _child_rows(
    rng: random.Random, name: str, source: JobSource | None, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """A processing job and two training jobs, as the child-job table holds them."""
    account, region = (source.account_id, source.region) if source else (ACCOUNT, REGION)
    prefix = f"arn:aws:sagemaker:{region}:{account}"
    span = (end - start) / 4
    children: list[tuple[ChildKind, dict[str, Any]]] = [
        (
            ChildKind.PROCESSING,
            {
                "ProcessingJobName": f"{name}-dpp0-1-{rng.randrange(16**6):06x}",
                "ProcessingJobStatus": "Completed",
                "ProcessingResources": {
                    "ClusterConfig": {"InstanceType": rng.choice(INSTANCE_TYPES), "InstanceCount": 1}
                },
                "ProcessingStartTime": iso(start + span * 0.5),
                "ProcessingEndTime": iso(start + span),
                "LastModifiedTime": iso(start + span),
            },
        ),
        *[
            (
                ChildKind.TRAINING,
                {
                    "TrainingJobName": f"{name}TA-{index:03d}-{rng.randrange(16**6):06x}",
                    "TrainingJobStatus": "Completed",
                    "ResourceConfig": {"InstanceType": rng.choice(INSTANCE_TYPES), "InstanceCount": rng.choice((1, 2))},
                    "TrainingStartTime": iso(start + span * (1 + index)),
                    "TrainingEndTime": iso(start + span * (2 + index) - timedelta(minutes=2)),
                    "LastModifiedTime": iso(start + span * (2 + index)),
                },
            )
            for index in (0, 1)
        ],
    ]
    rows = []
    for kind, detail in children:
        name_field = "ProcessingJobName" if kind is ChildKind.PROCESSING else "TrainingJobName"
        kind_in_arn = "processing-job" if kind is ChildKind.PROCESSING else "training-job"
        detail[name_field.replace("Name", "Arn")] = f"{prefix}:{kind_in_arn}/{detail[name_field].lower()}"
        usage = child_usage(kind, detail)
        assert usage is not None
        rows.append(child_job_row(usage, name, usage.end_time or end))
    return rows


def _answer(rng_choice: tuple[str, str], name: str, status: str, secondary: str, **fields: Any) -> dict[str, Any]:
    api, problem = rng_choice
    if api == DescribeApi.V1:
        return v1_answer(name, status=status, secondary=secondary, problem_type=problem, **fields)
    return v2_answer(name, config=problem, status=status, secondary=secondary, **fields)


def write_archive(
    directory: Path | str,
    states: int = 100_000,
    seed: int = 15,
    as_of: datetime = AS_OF,
    days_root: Path | str | None = None,
) -> GeneratedArchive:
    """Write ``states`` job states (and the candidates and child jobs of their jobs) under ``directory``.

    With ``days_root``, the same lines are also written there as one object per table and day (same
    keys up to the file name): the same tables, which the local engine reads in seconds rather than
    opening 100,000 small files (DuckDB's read_json costs about 1.5 ms a file)."""
    began = time.perf_counter()
    rng = random.Random(seed)
    writer = _Writer(Path(directory), Path(days_root) if days_root is not None else None)
    try:
        counts = _write_jobs(writer, rng, states, as_of)
    finally:
        writer.close()
    return GeneratedArchive(
        root=Path(directory),
        as_of=as_of,
        jobs=counts[0],
        states=counts[1],
        candidate_objects=counts[2],
        candidate_rows=counts[3],
        child_job_objects=counts[4],
        bytes=writer.bytes,
        seconds=time.perf_counter() - began,
    )


def _write_jobs(writer: _Writer, rng: random.Random, states: int, as_of: datetime) -> tuple[int, int, int, int, int]:
    jobs = candidate_objects = candidates_written = child_objects = written_states = 0
    endings = [ending[:2] for ending in ENDINGS]
    weights = [ending[2] for ending in ENDINGS]
    while written_states < states:
        count = min(STATES_PER_JOB, states - written_states)
        source = SOURCES[jobs % len(SOURCES)]
        v1 = rng.random() < 0.8
        problem = rng.choice(V1_PROBLEMS) if v1 else rng.choice(V2_CONFIGS)
        kind = (DescribeApi.V1.value if v1 else DescribeApi.V2.value, problem)
        name = f"{problem[:5].lower()}-{jobs:06d}"
        key = job_key(name, source)
        hours = rng.uniform(1.0, 6.0)
        created = as_of - timedelta(days=rng.uniform(0, DAYS)) - timedelta(hours=hours + 0.1)
        created = created.replace(microsecond=rng.randrange(1000) * 1000)
        finished = created + timedelta(hours=hours)
        status, secondary = rng.choices(endings, weights)[0] if count == STATES_PER_JOB else ("InProgress", "")
        mode = rng.choice(("ENSEMBLING", "HYPERPARAMETER_TUNING"))
        metric, direction = V1_METRICS.get(problem, ("Accuracy", "Maximize"))
        ranked: list[dict[str, Any]] = []
        fields: dict[str, Any] = {"CreationTime": created}
        if v1:
            fields["AutoMLJobObjective"] = {"MetricName": metric}
            fields["ResolvedAttributes"] = {"AutoMLJobObjective": {"MetricName": metric}, "ProblemType": problem}
        for index in range(count):
            phase = RUNNING_PHASES[index] if index < len(RUNNING_PHASES) else None
            if phase == "ModelTuning" and mode == "ENSEMBLING":
                phase = "TrainingModels"
            at = created + (finished - created) * (index / (STATES_PER_JOB - 1)) + timedelta(seconds=index)
            state_status, state_secondary = ("InProgress", phase) if phase else (status, secondary)
            extra: dict[str, Any] = {"LastModifiedTime": at}
            terminal = state_status in ("Completed", "Failed", "Stopped")
            if terminal:
                extra["EndTime"] = at
            if state_status == "Completed":
                ranked = rank_candidates(_candidates(rng, name, metric, direction, created))
                extra["BestCandidate"] = ranked[0]
            answer = _with_source(_answer(kind, name, state_status, state_secondary, **fields, **extra), source)
            if v1:
                answer["AutoMLJobConfig"]["Mode"] = mode
            archived_at = at + timedelta(seconds=rng.uniform(2, 90))
            record = normalise(answer, kind[0], raw_s3_key="", archived_at=archived_at)
            record["raw_s3_key"] = raw_key(key, record["state_id"])
            if terminal:
                record["candidate_count"] = len(ranked)
                record["best_candidate_rank"] = best_candidate_rank(ranked, record["best_candidate_name"])
                if ranked:
                    rows = candidate_rows(record, ranked, archived_at)
                    writer.put(candidates_key(key, record), json_lines(rows))
                    candidate_objects += 1
                    candidates_written += len(rows)
            writer.put(record_key(key, record), json_lines([record]))
            written_states += 1
        if count == STATES_PER_JOB:
            for row in _child_rows(rng, name, source, created, finished):
                writer.put(child_job_key(key, row), json_lines([row]))
                child_objects += 1
        jobs += 1
    return jobs, written_states, candidate_objects, candidates_written, child_objects
