"""Serves simulated Autopilot jobs through the moto server by patching moto's `SageMakerResponse`.

moto looks an action up as a snake_case method on `SageMakerResponse`; the patch replaces the methods of
`PATCHED_ACTIONS` with ones that read the request, answer from the simulator installed for the request's
account and region (validated against botocore's output shapes) and fall back to moto's own method for
names the simulator does not know. A request in an account and region no simulator plays is answered as
SageMaker answers an account without such jobs (not found; empty lists).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.sagemaker.responses import SageMakerResponse

from devtools.emulator.autopilot.answer_validation import ShapeValidator
from devtools.emulator.autopilot.api_errors import SimulatedApiError
from devtools.emulator.autopilot.automl_answers import automl_summary, describe_v1_answer, describe_v2_answer
from devtools.emulator.autopilot.candidate_answers import candidate_answer
from devtools.emulator.autopilot.child_answers import (
    describe_processing_answer,
    describe_training_answer,
    describe_transform_answer,
    describe_tuning_answer,
    training_summary,
)
from devtools.emulator.autopilot.jobs import AutoMLJob, Candidate, ChildJob, ChildKind
from devtools.emulator.autopilot.paging import page

if TYPE_CHECKING:
    from devtools.emulator.autopilot.simulator import AutopilotSimulator

PATCHED_ACTIONS = (
    "DescribeAutoMLJob",
    "DescribeAutoMLJobV2",
    "ListAutoMLJobs",
    "ListCandidatesForAutoMLJob",
    "DescribeTrainingJob",
    "DescribeProcessingJob",
    "DescribeTransformJob",
    "DescribeHyperParameterTuningJob",
    "ListTrainingJobsForHyperParameterTuningJob",
)

Handler = Callable[[Any], dict[str, Any] | None]


class JobStore(Protocol):
    """What the answers read: a simulator's jobs, or `_NoJobs` for an account and region no simulator plays."""

    jobs: dict[str, AutoMLJob]
    children: dict[str, ChildJob]
    lock: threading.RLock

    def trainings_of(self, tuning: ChildJob) -> list[ChildJob]: ...


class _NoJobs:
    """An account and region without simulated jobs: names are unknown, lists are empty."""

    def __init__(self) -> None:
        self.jobs: dict[str, AutoMLJob] = {}
        self.children: dict[str, ChildJob] = {}
        self.lock = threading.RLock()

    def trainings_of(self, tuning: ChildJob) -> list[ChildJob]:
        return []


class _Registry:
    """The simulators installed, by the (account, region) they play. moto's methods are patched while at
    least one is installed; each request is answered by the latest simulator installed for its account
    and region, or as an account without such jobs when none plays it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serving: dict[tuple[str, str], list[MotoPatch]] = {}
        self._originals: dict[str, Any] = {}
        self._unplayed: _Answers | None = None

    def add(self, patch: MotoPatch) -> None:
        with self._lock:
            if not self._originals:
                for action in PATCHED_ACTIONS:
                    method_name = _snake_case(action)
                    # None marks an action moto has no method for (deleted again on restore).
                    self._originals[method_name] = SageMakerResponse.__dict__.get(method_name)
                    setattr(SageMakerResponse, method_name, self._dispatcher(action, method_name))
            self._serving.setdefault(patch.key, []).append(patch)

    def remove(self, patch: MotoPatch) -> None:
        with self._lock:
            stack = self._serving.get(patch.key, [])
            if patch in stack:
                stack.remove(patch)
            if not stack:
                self._serving.pop(patch.key, None)
            if self._serving:
                return
            for method_name, original in self._originals.items():
                if original is None:
                    delattr(SageMakerResponse, method_name)
                else:
                    setattr(SageMakerResponse, method_name, original)
            self._originals.clear()

    def serving(self, account_id: str, region: str) -> MotoPatch | None:
        with self._lock:
            stack = self._serving.get((account_id, region))
            return stack[-1] if stack else None

    def played(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._serving)

    def _unplayed_answers(self) -> _Answers:
        with self._lock:
            if self._unplayed is None:
                self._unplayed = _Answers(_NoJobs())
            return self._unplayed

    def _dispatcher(self, action: str, method_name: str) -> Callable[[Any], Any]:
        original = self._originals[method_name]

        def serve(response: Any) -> Any:
            # moto sets both from the request: the account from the access key (an assumed role's keys
            # belong to the role's account), the region from the signature's credential scope.
            patch = self.serving(response.current_account, response.region)
            if patch is None:
                return self._unplayed_answers().answer(action, response, original)
            return patch.serve(action, response, original)

        serve.__name__ = method_name
        return serve


_REGISTRY = _Registry()


def played_sources() -> list[tuple[str, str]]:
    """The (account, region) pairs installed simulators play (for diagnostics and tests)."""
    return _REGISTRY.played()


class MotoPatch:
    """Serves one simulator's account and region through the patched `SageMakerResponse` while installed."""

    def __init__(self, simulator: AutopilotSimulator) -> None:
        self._simulator = simulator
        self._answers = _Answers(simulator)
        self._installed = False

    @property
    def key(self) -> tuple[str, str]:
        return (self._simulator.source.account_id, self._simulator.source.region)

    def install(self) -> None:
        if self._installed:
            return
        _REGISTRY.add(self)
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        _REGISTRY.remove(self)
        self._installed = False

    def serve(self, action: str, response: Any, original: Any) -> Any:
        simulator = self._simulator
        if simulator.latency_seconds:
            time.sleep(simulator.latency_seconds)
        with simulator.lock:
            simulator.calls[action] += 1
        fault = simulator.faults.take(action)
        if fault:
            return fault.error().response()
        return self._answers.answer(action, response, original)


class _Answers:
    """SageMaker's answers to the patched actions, read from one job store."""

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._validator = ShapeValidator()
        self._handlers = self._handler_table()

    def answer(self, action: str, response: Any, original: Any) -> Any:
        try:
            answer = self._handlers[action](response)
        except SimulatedApiError as error:
            return error.response()
        if answer is None:  # a name the simulator does not know: moto's own answer
            if original is None:
                return SimulatedApiError("ResourceNotFound", "Requested resource not found.").response()
            return original(response)
        self._validator.validate(action, answer)
        return ActionResult(answer)

    def _handler_table(self) -> dict[str, Handler]:
        return {
            "DescribeAutoMLJob": self._describe_automl_v1,
            "DescribeAutoMLJobV2": self._describe_automl_v2,
            "ListAutoMLJobs": self._list_automl_jobs,
            "ListCandidatesForAutoMLJob": self._list_candidates,
            "DescribeTrainingJob": lambda r: self._describe_child(r, "TrainingJobName", "training"),
            "DescribeProcessingJob": lambda r: self._describe_child(r, "ProcessingJobName", "processing"),
            "DescribeTransformJob": lambda r: self._describe_child(r, "TransformJobName", "transform"),
            "DescribeHyperParameterTuningJob": lambda r: self._describe_child(
                r, "HyperParameterTuningJobName", "tuning"
            ),
            "ListTrainingJobsForHyperParameterTuningJob": self._list_tuning_trainings,
        }

    # ------------------------------------------------------------ answers

    def _automl_job_or_error(self, response: Any) -> AutoMLJob:
        name = response._get_param("AutoMLJobName")
        job = self._store.jobs.get(name)
        if job is None:
            raise SimulatedApiError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
        return job

    def _describe_automl_v1(self, response: Any) -> dict[str, Any] | None:
        name = response._get_param("AutoMLJobName")
        with self._store.lock:
            job = self._store.jobs.get(name)
            if job is None:
                # moto has no DescribeAutoMLJob: a V2 job created in moto is still "not found" for V1.
                raise SimulatedApiError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
            if job.api == "v2":
                raise SimulatedApiError(
                    "ValidationException",
                    f"AutoML job {name} was created with CreateAutoMLJobV2. Use DescribeAutoMLJobV2 to describe it.",
                )
            return describe_v1_answer(job)

    def _describe_automl_v2(self, response: Any) -> dict[str, Any] | None:
        with self._store.lock:
            job = self._store.jobs.get(response._get_param("AutoMLJobName"))
            return describe_v2_answer(job) if job else None

    def _list_automl_jobs(self, response: Any) -> dict[str, Any]:
        param = response._get_param
        with self._store.lock:
            jobs = list(self._store.jobs.values())
        jobs = [job for job in jobs if _matches_list_filters(job, param)]
        sort_by = param("SortBy") or "CreationTime"
        descending = (param("SortOrder") or "Descending") == "Descending"
        key: Callable[[AutoMLJob], Any] = {
            "Name": lambda j: j.name,
            "Status": lambda j: j.status,
        }.get(sort_by, lambda j: j.creation_time)
        jobs.sort(key=key, reverse=descending)
        jobs_on_page, token = page(jobs, param("MaxResults"), 100, param("NextToken"))
        answer: dict[str, Any] = {"AutoMLJobSummaries": [automl_summary(job) for job in jobs_on_page]}
        if token:
            answer["NextToken"] = token
        return answer

    def _list_candidates(self, response: Any) -> dict[str, Any]:
        param = response._get_param
        with self._store.lock:
            job = self._automl_job_or_error(response)
            candidates = list(job.candidates)
            if param("StatusEquals"):
                candidates = [c for c in candidates if c.status == param("StatusEquals")]
            if param("CandidateNameEquals"):
                candidates = [c for c in candidates if c.name == param("CandidateNameEquals")]
            sort_by = param("SortBy") or "CreationTime"
            descending = (param("SortOrder") or "Descending") == "Descending"
            key: Callable[[Candidate], Any] = {
                "Status": lambda c: c.status,
                "FinalObjectiveMetricValue": lambda c: c.objective_value,
            }.get(sort_by, lambda c: (c.creation_time, c.name))
            candidates.sort(key=key, reverse=descending)
            candidates_on_page, token = page(candidates, param("MaxResults"), 300, param("NextToken"))
            answer: dict[str, Any] = {"Candidates": [candidate_answer(job, c) for c in candidates_on_page]}
        if token:
            answer["NextToken"] = token
        return answer

    def _describe_child(self, response: Any, name_param: str, kind: ChildKind) -> dict[str, Any] | None:
        with self._store.lock:
            child = self._store.children.get(response._get_param(name_param))
            if child is None or child.kind != kind:
                return None
            if kind == "training":
                return describe_training_answer(child)
            if kind == "processing":
                return describe_processing_answer(child)
            if kind == "transform":
                return describe_transform_answer(child)
            return describe_tuning_answer(child, self._store.trainings_of(child))

    def _list_tuning_trainings(self, response: Any) -> dict[str, Any] | None:
        param = response._get_param
        with self._store.lock:
            tuning = self._store.children.get(param("HyperParameterTuningJobName"))
            if tuning is None or tuning.kind != "tuning":
                return None
            trainings = self._store.trainings_of(tuning)
            if param("StatusEquals"):
                trainings = [t for t in trainings if t.status == param("StatusEquals")]
            trainings_on_page, token = page(trainings, param("MaxResults"), 100, param("NextToken"))
            answer: dict[str, Any] = {"TrainingJobSummaries": [training_summary(t) for t in trainings_on_page]}
        if token:
            answer["NextToken"] = token
        return answer


def _snake_case(action: str) -> str:
    return str(camelcase_to_underscores(action))


def _as_datetime(value: Any) -> datetime | None:
    """Timestamps arrive as epoch seconds from boto3 (JSON protocol), or ISO strings from other clients."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches_list_filters(job: AutoMLJob, param: Callable[[str], Any]) -> bool:
    bounds = (
        ("CreationTimeAfter", job.creation_time, lambda value, bound: value > bound),
        ("CreationTimeBefore", job.creation_time, lambda value, bound: value < bound),
        ("LastModifiedTimeAfter", job.last_modified_time, lambda value, bound: value > bound),
        ("LastModifiedTimeBefore", job.last_modified_time, lambda value, bound: value < bound),
    )
    for param_name, value, within in bounds:
        bound = _as_datetime(param(param_name))
        if bound is not None and not within(value, bound):
            return False
    name_contains = param("NameContains")
    if name_contains and name_contains.lower() not in job.name.lower():
        return False
    status = param("StatusEquals")
    return not (status and job.status != status)
