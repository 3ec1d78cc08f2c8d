"""In-process Autopilot simulator served through moto's SageMaker responses.

moto answers DescribeAutoMLJob, CreateAutoMLJob and ListCandidatesForAutoMLJob with HTTP 500 and keeps
V2 jobs InProgress forever. The simulator patches moto's `SageMakerResponse` class (moto looks an action
up as a snake_case method on it) so the server answers from simulated jobs, validated against botocore's
output shapes, and falls back to moto's own method for names the simulator does not know.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.validate import ParamValidator
from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.sagemaker.responses import SageMakerResponse

from devtools.emulator.autopilot_jobs import (
    FAILURE_REASON_LIMIT,
    PROBLEM_TYPE_CONFIGS,
    TUNING_NAME_LIMIT,
    ApiVersion,
    AutoMLJob,
    Candidate,
    ChildJob,
    ChildKind,
    automl_summary,
    candidate_answer,
    child_job_name,
    describe_processing_answer,
    describe_training_answer,
    describe_transform_answer,
    describe_tuning_answer,
    describe_v1_answer,
    describe_v2_answer,
    later_than,
    short_hex,
    training_summary,
)
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.event_builders import Event, child_job_event, cloudtrail_event

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
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
DEFAULT_FAULT_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "An internal error occurred.",
    "ServiceUnavailable": "Service is unavailable.",
}


class AnswerValidationError(AssertionError):
    """A simulated answer does not fit botocore's output shape: a bug in the simulator."""


class SimulatedApiError(Exception):
    """An AWS-style error answer (code, message, HTTP status)."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    def response(self) -> tuple[str, dict[str, Any]]:
        # Same wire form as SageMaker's JSON 1.1 errors; botocore reads the code from __type.
        body = json.dumps({"__type": self.code, "message": self.message})
        return body, {
            "status": self.http_status,
            "X-Amzn-ErrorType": self.code,
            "Content-Type": JSON_CONTENT_TYPE,
        }


@dataclass
class Fault:
    error_code: str
    http_status: int
    remaining: int
    message: str


@dataclass
class ScheduledStep:
    """One step of a job history, due at an absolute simulated time."""

    due: datetime
    description: str
    action: Callable[[AutopilotSimulator], list[Event]]
    emitted: list[Event] = field(default_factory=list)
    done: bool = False


class ShapeValidator:
    """Validates answers exactly as botocore's Stubber validates stubbed responses."""

    def __init__(self) -> None:
        self._model = botocore.session.get_session().get_service_model("sagemaker")
        self._validator = ParamValidator()

    def validate(self, operation: str, answer: dict[str, Any]) -> None:
        shape = self._model.operation_model(operation).output_shape
        report = self._validator.validate(answer, shape)
        if report.has_errors():
            raise AnswerValidationError(
                f"{operation} answer does not fit botocore's model:\n{report.generate_report()}"
            )


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


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise SimulatedApiError("ValidationException", "Invalid pagination token.") from error


def _page(items: list[Any], max_results: Any, limit: int, token: str | None) -> tuple[list[Any], str | None]:
    size = int(max_results) if max_results else limit
    if size < 1 or size > limit:
        raise SimulatedApiError(
            "ValidationException",
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {limit}",
        )
    start = _decode_token(token)
    page = items[start : start + size]
    return page, (_encode_token(start + size) if start + size < len(items) else None)


class AutopilotSimulator:
    """Holds simulated AutoML jobs and their child jobs; serves them through moto once installed."""

    def __init__(
        self,
        clock: SimulatedClock | None = None,
        include_automl_arn_in_events: bool = False,
        latency_seconds: float = 0.0,
    ) -> None:
        self.clock = clock or SimulatedClock()
        # SageMaker's API answers in tens of milliseconds over the network; the simulator in
        # microseconds. Benchmarks of concurrency set a realistic latency (the wait releases the GIL).
        self.latency_seconds = latency_seconds
        self.include_automl_arn_in_events = include_automl_arn_in_events
        self.jobs: dict[str, AutoMLJob] = {}
        self.children: dict[str, ChildJob] = {}
        self.calls: Counter[str] = Counter()
        self.schedule: list[ScheduledStep] = []
        self._faults: dict[str, Fault] = {}
        self._lock = threading.RLock()
        self._validator = ShapeValidator()
        self._originals: dict[str, Any] = {}

    # ------------------------------------------------------------ jobs

    def create_job(
        self,
        name: str,
        *,
        api: ApiVersion = "v1",
        problem_type: str | None = "BinaryClassification",
        problem_type_config: str = "Tabular",
        mode: str = "ENSEMBLING",
        candidates: int = 3,
        large: bool = False,
        model_deploy: bool = False,
        target_attribute: str = "y",
    ) -> AutoMLJob:
        """Register a job as CreateAutoMLJob(V2) would: InProgress / Starting."""
        if problem_type_config not in PROBLEM_TYPE_CONFIGS:
            raise ValueError(f"unknown problem type config {problem_type_config}")
        if api == "v1" and problem_type_config != "Tabular":
            raise ValueError("CreateAutoMLJob (V1) only creates tabular jobs")
        if len(name) > 32:
            raise ValueError("AutoML job names are at most 32 characters")
        with self._lock:
            if name in self.jobs:
                raise ValueError(f"AutoML job {name} already exists")
            now = self.clock.now()
            job = AutoMLJob(
                name=name,
                api=api,
                problem_type_config=problem_type_config,
                problem_type=problem_type if problem_type_config == "Tabular" else None,
                mode=mode,
                max_candidates=candidates,
                creation_time=now,
                last_modified_time=now,
                large=large,
                model_deploy=model_deploy,
                target_attribute=target_attribute,
            )
            self.jobs[name] = job
            return job

    def job(self, name: str) -> AutoMLJob:
        return self.jobs[name]

    def creation_event(self, name: str) -> Event:
        """The CloudTrail event for this job's CreateAutoMLJob / CreateAutoMLJobV2 call."""
        job = self.jobs[name]
        event_name = "CreateAutoMLJob" if job.api == "v1" else "CreateAutoMLJobV2"
        return cloudtrail_event(event_name, name, job.creation_time, job.arn)

    def create_training_job(self, name: str) -> list[Event]:
        """An ordinary training job, not started by Autopilot (no AutoMLJobArn)."""
        with self._lock:
            child = self._new_child("training", name, automl_arn=None)
            return [self._event(child)]

    def finish_training_job(
        self, name: str, status: str = "Completed", failure_reason: str | None = None
    ) -> list[Event]:
        with self._lock:
            child = self.children[name]
            self._finish_child(child, status, failure_reason)
            return [self._event(child)]

    # ------------------------------------------------------------ lifecycle

    def analyze_data(self, name: str) -> list[Event]:
        """Starting → AnalyzingData: the data-analysis processing job starts."""
        with self._lock:
            job = self._set_secondary(name, "AnalyzingData")
            suffix = f"-1-{short_hex(job.name, 'db')}"
            child = self._new_child("processing", child_job_name(job.name, "-db", suffix), job.arn)
            return [self._event(child)]

    def engineer_features(self, name: str) -> list[Event]:
        """AnalyzingData → FeatureEngineering: analysis done, the pre-processing training job starts."""
        with self._lock:
            job = self._set_secondary(name, "FeatureEngineering")
            events = self._finish_running_children(job, "processing")
            suffix = f"-1-{short_hex(job.name, 'dpp1')}"
            child = self._new_child("training", child_job_name(job.name, "-dpp1", suffix), job.arn)
            return [*events, self._event(child)]

    def tune_models(self, name: str) -> list[Event]:
        """FeatureEngineering → ModelTuning: transform runs; the tuning job and its trainings start."""
        with self._lock:
            job = self._set_secondary(name, "ModelTuning")
            events = self._finish_running_children(job, "training")
            suffix = f"-1-{short_hex(job.name, 'csv')}"
            transform = self._new_child("transform", child_job_name(job.name, "-dpp1-csv", suffix), job.arn)
            events.append(self._event(transform))
            self._finish_child(transform, "Completed")
            events.append(self._event(transform))
            tuning = self._new_child("tuning", f"{job.name[: TUNING_NAME_LIMIT - 2]}TA", job.arn)
            events.append(self._event(tuning))
            fixed_steps = [self.children[n] for n in job.child_job_names if self.children[n].kind != "tuning"]
            for index in range(1, job.max_candidates + 1):
                training_name = child_job_name(tuning.name, f"-{index:03d}", f"-{short_hex(job.name, index)}")
                training = self._new_child("training", training_name, job.arn, tuning_arn=tuning.arn)
                training.objective_value = round(
                    0.70 + int(short_hex(job.name, "score", index, length=4), 16) / 262144, 6
                )
                tuning.training_job_names.append(training.name)
                now = self.clock.now()
                job.candidates.append(
                    Candidate(training.name, [*fixed_steps, training], training.objective_value, now, now)
                )
                events.append(self._event(training))
            return events

    def finish_tuning(self, name: str, explainability: bool = True) -> list[Event]:
        """Candidate training jobs and the tuning job complete; explainability report starts (optional)."""
        with self._lock:
            job = self.jobs[name]
            events = self._finish_running_children(job, "training")
            events += self._finish_running_children(job, "tuning")
            now = self.clock.now()
            for candidate in job.candidates:
                candidate.status = "Completed"
                candidate.end_time = now
                candidate.last_modified_time = later_than(candidate.last_modified_time, now)
            if explainability:
                self._set_secondary(name, "GeneratingExplainabilityReport")
            return events

    def generate_model_insights(self, name: str) -> list[Event]:
        with self._lock:
            self._set_secondary(name, "GeneratingModelInsightsReport")
            return []

    def complete(
        self,
        name: str,
        secondary_status: str = "Completed",
        partial_failure_reasons: list[str] | None = None,
    ) -> list[Event]:
        """Completed with a BestCandidate; no event announces it (SageMaker sends none for AutoML jobs)."""
        with self._lock:
            job = self.jobs[name]
            events = self._finish_all_children(job, "Completed")
            for candidate in job.candidates:
                if candidate.status == "InProgress":
                    candidate.status = "Completed"
                    candidate.end_time = self.clock.now()
            reasons = list(partial_failure_reasons or [])
            if job.large and not reasons:
                reasons = [f"Candidate {n} failed: " + "x" * 900 for n in range(5)]
            job.partial_failure_reasons = reasons[:5]
            self._set_terminal(job, "Completed", secondary_status)
            return events

    def fail(self, name: str, reason: str = "ClientError: The target attribute 'y' has only one class.") -> list[Event]:
        with self._lock:
            job = self.jobs[name]
            if job.large:
                reason = (reason + " " + "detail " * 200)[:FAILURE_REASON_LIMIT]
            job.failure_reason = reason[:FAILURE_REASON_LIMIT]
            events = self._finish_all_children(job, "Failed", failure_reason="AlgorithmError: see the AutoML job")
            for candidate in job.candidates:
                if candidate.status == "InProgress":
                    candidate.status, candidate.end_time = "Failed", self.clock.now()
                    candidate.failure_reason = "AlgorithmError: see the AutoML job"
            self._set_terminal(job, "Failed", "Failed")
            return events

    def request_stop(self, name: str) -> list[Event]:
        """StopAutoMLJob: Stopping/Stopping; returns the CloudTrail StopAutoMLJob event."""
        with self._lock:
            job = self.jobs[name]
            job.status = "Stopping"
            job.secondary_status = "Stopping"
            job.touch(self.clock.now())
            return [cloudtrail_event("StopAutoMLJob", name, self.clock.now())]

    def finish_stop(self, name: str) -> list[Event]:
        with self._lock:
            job = self.jobs[name]
            events = self._finish_all_children(job, "Stopped")
            for candidate in job.candidates:
                if candidate.status == "InProgress":
                    candidate.status, candidate.end_time = "Stopped", self.clock.now()
            self._set_terminal(job, "Stopped", "Stopped")
            return events

    def run_to_completion(self, name: str, step_seconds: float = 300.0) -> list[Event]:
        """Convenience for tests: every phase of a successful job, `step_seconds` apart."""
        events: list[Event] = []
        for phase in (self.analyze_data, self.engineer_features, self.tune_models, self.finish_tuning):
            self.clock.advance(step_seconds)
            events += phase(name)
        self.clock.advance(step_seconds)
        events += self.generate_model_insights(name)
        self.clock.advance(step_seconds)
        events += self.complete(name)
        return events

    # ------------------------------------------------------------ scheduled histories

    def schedule_step(
        self, due: datetime, description: str, action: Callable[[AutopilotSimulator], list[Event]]
    ) -> ScheduledStep:
        step = ScheduledStep(due, description, action)
        with self._lock:
            self.schedule.append(step)
            self.schedule.sort(key=lambda s: s.due)
        return step

    def next_due(self) -> datetime | None:
        pending = [step.due for step in self.schedule if not step.done]
        return min(pending) if pending else None

    def run_due_steps(self) -> list[Event]:
        """Run every scheduled step due by the clock's time; return the events they emitted."""
        emitted: list[Event] = []
        now = self.clock.now()
        for step in list(self.schedule):
            if step.done or step.due > now:
                continue
            step.emitted = step.action(self)
            step.done = True
            emitted += step.emitted
        return emitted

    # ------------------------------------------------------------ faults and counters

    def inject_fault(
        self,
        action: str,
        error_code: str = "ThrottlingException",
        http_status: int = 400,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """The next `times` calls of `action` (e.g. "DescribeAutoMLJob") answer with this error."""
        with self._lock:
            self._faults[action] = Fault(
                error_code, http_status, times, message or DEFAULT_FAULT_MESSAGES.get(error_code, error_code)
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, action: str) -> Fault | None:
        with self._lock:
            self.calls[action] += 1
            fault = self._faults.get(action)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault

    # ------------------------------------------------------------ moto patching

    def install(self) -> AutopilotSimulator:
        """Patch moto's SageMakerResponse so the running server answers from this simulator."""
        if self._originals:
            return self
        handlers = self._handlers()
        for action in PATCHED_ACTIONS:
            method_name = _snake_case(action)
            self._originals[method_name] = SageMakerResponse.__dict__.get(method_name)
            setattr(SageMakerResponse, method_name, self._patched_method(action, handlers[action], method_name))
        return self

    def uninstall(self) -> None:
        for method_name, original in self._originals.items():
            if original is None:
                delattr(SageMakerResponse, method_name)
            else:
                setattr(SageMakerResponse, method_name, original)
        self._originals.clear()

    def __enter__(self) -> AutopilotSimulator:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def _patched_method(
        self, action: str, handler: Callable[[Any], dict[str, Any] | None], method_name: str
    ) -> Callable[[Any], Any]:
        original = self._originals.get(method_name)

        def serve(response: Any) -> Any:
            if self.latency_seconds:
                time.sleep(self.latency_seconds)
            fault = self._take_fault(action)
            if fault:
                return SimulatedApiError(fault.error_code, fault.message, fault.http_status).response()
            try:
                answer = handler(response)
            except SimulatedApiError as error:
                return error.response()
            if answer is None:  # a name the simulator does not know: moto's own answer
                if original is None:
                    return SimulatedApiError("ResourceNotFound", "Requested resource not found.").response()
                return original(response)
            self._validator.validate(action, answer)
            return ActionResult(answer)

        serve.__name__ = method_name
        return serve

    def _handlers(self) -> dict[str, Callable[[Any], dict[str, Any] | None]]:
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
        job = self.jobs.get(name)
        if job is None:
            raise SimulatedApiError("ResourceNotFound", f"Could not find AutoML job with name {name}.")
        return job

    def _describe_automl_v1(self, response: Any) -> dict[str, Any] | None:
        name = response._get_param("AutoMLJobName")
        with self._lock:
            job = self.jobs.get(name)
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
        with self._lock:
            job = self.jobs.get(response._get_param("AutoMLJobName"))
            return describe_v2_answer(job) if job else None

    def _list_automl_jobs(self, response: Any) -> dict[str, Any]:
        param = response._get_param
        with self._lock:
            jobs = list(self.jobs.values())
        jobs = [job for job in jobs if _matches_list_filters(job, param)]
        sort_by = param("SortBy") or "CreationTime"
        descending = (param("SortOrder") or "Descending") == "Descending"
        key: Callable[[AutoMLJob], Any] = {
            "Name": lambda j: j.name,
            "Status": lambda j: j.status,
        }.get(sort_by, lambda j: j.creation_time)
        jobs.sort(key=key, reverse=descending)
        page, token = _page(jobs, param("MaxResults"), 100, param("NextToken"))
        answer: dict[str, Any] = {"AutoMLJobSummaries": [automl_summary(job) for job in page]}
        if token:
            answer["NextToken"] = token
        return answer

    def _list_candidates(self, response: Any) -> dict[str, Any]:
        param = response._get_param
        with self._lock:
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
            page, token = _page(candidates, param("MaxResults"), 300, param("NextToken"))
            answer: dict[str, Any] = {"Candidates": [candidate_answer(job, c) for c in page]}
        if token:
            answer["NextToken"] = token
        return answer

    def _describe_child(self, response: Any, name_param: str, kind: ChildKind) -> dict[str, Any] | None:
        with self._lock:
            child = self.children.get(response._get_param(name_param))
            if child is None or child.kind != kind:
                return None
            if kind == "training":
                return describe_training_answer(child)
            if kind == "processing":
                return describe_processing_answer(child)
            if kind == "transform":
                return describe_transform_answer(child)
            return describe_tuning_answer(child, self._trainings_of(child))

    def _list_tuning_trainings(self, response: Any) -> dict[str, Any] | None:
        param = response._get_param
        with self._lock:
            tuning = self.children.get(param("HyperParameterTuningJobName"))
            if tuning is None or tuning.kind != "tuning":
                return None
            trainings = self._trainings_of(tuning)
            if param("StatusEquals"):
                trainings = [t for t in trainings if t.status == param("StatusEquals")]
            page, token = _page(trainings, param("MaxResults"), 100, param("NextToken"))
            answer: dict[str, Any] = {"TrainingJobSummaries": [training_summary(t) for t in page]}
        if token:
            answer["NextToken"] = token
        return answer

    # ------------------------------------------------------------ internals

    def _trainings_of(self, tuning: ChildJob) -> list[ChildJob]:
        return [self.children[name] for name in tuning.training_job_names]

    def _event(self, child: ChildJob) -> Event:
        trainings = self._trainings_of(child) if child.kind == "tuning" else None
        return child_job_event(child, self.clock.now(), trainings, self.include_automl_arn_in_events)

    def _new_child(self, kind: ChildKind, name: str, automl_arn: str | None, tuning_arn: str | None = None) -> ChildJob:
        if name in self.children:
            raise ValueError(f"child job {name} already exists")
        now = self.clock.now()
        child = ChildJob(kind, name, now, now, automl_job_arn=automl_arn, tuning_job_arn=tuning_arn)
        child.transitions.append(("Starting", now))
        if kind == "training":
            child.secondary_status = "Training"
            child.transitions.append(("Training", now))
        self.children[name] = child
        if automl_arn:
            self._attach_child_by_arn(automl_arn, name)
        return child

    def _attach_child_by_arn(self, automl_arn: str, child_name: str) -> None:
        # ARNs are lower-cased; job names may not be.
        for job in self.jobs.values():
            if job.arn == automl_arn:
                job.child_job_names.append(child_name)
                return

    def _finish_child(self, child: ChildJob, status: str, failure_reason: str | None = None) -> None:
        now = self.clock.now()
        child.status = status
        child.secondary_status = status
        child.end_time = now
        child.last_modified_time = later_than(child.last_modified_time, now)
        child.transitions.append((status, child.last_modified_time))
        if status == "Failed":
            child.failure_reason = failure_reason or "AlgorithmError: an error occurred"

    def _running_children(self, job: AutoMLJob, kind: ChildKind | None = None) -> list[ChildJob]:
        children = [self.children[name] for name in job.child_job_names]
        return [c for c in children if c.status == "InProgress" and (kind is None or c.kind == kind)]

    def _finish_running_children(self, job: AutoMLJob, kind: ChildKind) -> list[Event]:
        events = []
        for child in self._running_children(job, kind):
            self._finish_child(child, "Completed")
            events.append(self._event(child))
        return events

    def _finish_all_children(self, job: AutoMLJob, status: str, failure_reason: str | None = None) -> list[Event]:
        events = []
        # Training jobs first so the tuning job's counters are final in its own event.
        running = sorted(self._running_children(job), key=lambda c: c.kind == "tuning")
        for child in running:
            self._finish_child(child, status, failure_reason)
            events.append(self._event(child))
        return events

    def _set_secondary(self, name: str, secondary_status: str) -> AutoMLJob:
        job = self.jobs[name]
        if job.is_terminal:
            raise ValueError(f"AutoML job {name} is already {job.status}")
        job.secondary_status = secondary_status
        job.touch(self.clock.now())
        return job

    def _set_terminal(self, job: AutoMLJob, status: str, secondary_status: str) -> None:
        job.status = status
        job.secondary_status = secondary_status
        job.touch(self.clock.now())
        job.end_time = job.last_modified_time


def _snake_case(action: str) -> str:
    return str(camelcase_to_underscores(action))


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
