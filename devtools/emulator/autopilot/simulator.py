"""The Autopilot simulator: AutoML jobs and their child jobs, stepped through Autopilot's lifecycle.

Each lifecycle step changes the simulated state and returns the EventBridge events SageMaker would send;
steps can also be scheduled at simulated times. `install()` serves the state through moto (`moto_patch`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from devtools.emulator.autopilot.api_errors import ActionFaults
from devtools.emulator.autopilot.jobs import (
    FAILURE_REASON_LIMIT,
    PROBLEM_TYPE_CONFIGS,
    TUNING_NAME_LIMIT,
    ApiVersion,
    AutoMLJob,
    Candidate,
    ChildJob,
    ChildKind,
    Source,
    child_job_name,
    later_than,
    short_hex,
)
from devtools.emulator.autopilot.moto_patch import MotoPatch
from devtools.emulator.aws import ACCOUNT_ID, REGION
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.event_builders import Event, child_job_event, cloudtrail_event


@dataclass
class ScheduledStep:
    """One step of a job history, due at an absolute simulated time."""

    due: datetime
    description: str
    action: Callable[[AutopilotSimulator], list[Event]]
    emitted: list[Event] = field(default_factory=list)
    done: bool = False


class AutopilotSimulator:
    """Holds simulated AutoML jobs and their child jobs of one AWS account and region (the source); serves
    them through moto once installed, to requests made in that account and region only. Several
    simulators, of different sources, can be installed at once (a hub's spokes)."""

    def __init__(
        self,
        clock: SimulatedClock | None = None,
        include_automl_arn_in_events: bool = False,
        latency_seconds: float = 0.0,
        *,
        account_id: str = ACCOUNT_ID,
        region: str = REGION,
    ) -> None:
        self.source = Source(account_id, region)
        self.clock = clock or SimulatedClock()
        # SageMaker's API answers in tens of milliseconds over the network; the simulator in
        # microseconds. Benchmarks of concurrency set a realistic latency (the wait releases the GIL).
        self.latency_seconds = latency_seconds
        self.include_automl_arn_in_events = include_automl_arn_in_events
        self.jobs: dict[str, AutoMLJob] = {}
        self.children: dict[str, ChildJob] = {}
        self.calls: Counter[str] = Counter()  # calls of each patched action, faulted ones included
        self.faults = ActionFaults()  # errors the next calls of an action answer with
        self.schedule: list[ScheduledStep] = []
        self.lock = threading.RLock()
        self._moto_patch = MotoPatch(self)

    @property
    def account_id(self) -> str:
        return self.source.account_id

    @property
    def region(self) -> str:
        return self.source.region

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
        max_runtime_seconds: int | None = 2_592_000,
    ) -> AutoMLJob:
        """Register a job as CreateAutoMLJob(V2) would: InProgress / Starting."""
        if problem_type_config not in PROBLEM_TYPE_CONFIGS:
            raise ValueError(f"unknown problem type config {problem_type_config}")
        if api == "v1" and problem_type_config != "Tabular":
            raise ValueError("CreateAutoMLJob (V1) only creates tabular jobs")
        if len(name) > 32:
            raise ValueError("AutoML job names are at most 32 characters")
        with self.lock:
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
                max_runtime_seconds=max_runtime_seconds,
                creation_time=now,
                last_modified_time=now,
                large=large,
                model_deploy=model_deploy,
                target_attribute=target_attribute,
                source=self.source,
            )
            self.jobs[name] = job
            return job

    def job(self, name: str) -> AutoMLJob:
        return self.jobs[name]

    def creation_event(self, name: str) -> Event:
        """The CloudTrail event for this job's CreateAutoMLJob / CreateAutoMLJobV2 call."""
        job = self.jobs[name]
        event_name = "CreateAutoMLJob" if job.api == "v1" else "CreateAutoMLJobV2"
        return cloudtrail_event(
            event_name, name, job.creation_time, job.arn, account_id=self.account_id, region=self.region
        )

    def create_training_job(self, name: str) -> list[Event]:
        """An ordinary training job, not started by Autopilot (no AutoMLJobArn)."""
        with self.lock:
            child = self._new_child("training", name, automl_arn=None)
            return [self._event(child)]

    def finish_training_job(
        self, name: str, status: str = "Completed", failure_reason: str | None = None
    ) -> list[Event]:
        with self.lock:
            child = self.children[name]
            self._finish_child(child, status, failure_reason)
            return [self._event(child)]

    # ------------------------------------------------------------ lifecycle

    def analyze_data(self, name: str) -> list[Event]:
        """Starting → AnalyzingData: the data-analysis processing job starts."""
        with self.lock:
            job = self._set_secondary(name, "AnalyzingData")
            suffix = f"-1-{short_hex(job.name, 'db')}"
            child = self._new_child("processing", child_job_name(job.name, "-db", suffix), job.arn)
            return [self._event(child)]

    def engineer_features(self, name: str) -> list[Event]:
        """AnalyzingData → FeatureEngineering: analysis done, the pre-processing training job starts."""
        with self.lock:
            job = self._set_secondary(name, "FeatureEngineering")
            events = self._finish_running_children(job, "processing")
            suffix = f"-1-{short_hex(job.name, 'dpp1')}"
            child = self._new_child("training", child_job_name(job.name, "-dpp1", suffix), job.arn)
            return [*events, self._event(child)]

    def tune_models(self, name: str) -> list[Event]:
        """FeatureEngineering → ModelTuning: transform runs; the tuning job and its trainings start."""
        with self.lock:
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
        with self.lock:
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
        with self.lock:
            self._set_secondary(name, "GeneratingModelInsightsReport")
            return []

    def complete(
        self,
        name: str,
        secondary_status: str = "Completed",
        partial_failure_reasons: list[str] | None = None,
    ) -> list[Event]:
        """Completed with a BestCandidate; no event announces it (SageMaker sends none for AutoML jobs)."""
        with self.lock:
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
        with self.lock:
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
        with self.lock:
            job = self.jobs[name]
            job.status = "Stopping"
            job.secondary_status = "Stopping"
            job.touch(self.clock.now())
            return [
                cloudtrail_event(
                    "StopAutoMLJob", name, self.clock.now(), account_id=self.account_id, region=self.region
                )
            ]

    def finish_stop(self, name: str) -> list[Event]:
        with self.lock:
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
        with self.lock:
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

    # ------------------------------------------------------------ serving through moto

    def install(self) -> AutopilotSimulator:
        """Patch moto's SageMakerResponse so the running server answers this simulator's account and region
        from it (other installed simulators keep serving theirs)."""
        self._moto_patch.install()
        return self

    def uninstall(self) -> None:
        self._moto_patch.uninstall()

    def __enter__(self) -> AutopilotSimulator:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    # ------------------------------------------------------------ child jobs

    def trainings_of(self, tuning: ChildJob) -> list[ChildJob]:
        return [self.children[name] for name in tuning.training_job_names]

    def _event(self, child: ChildJob) -> Event:
        trainings = self.trainings_of(child) if child.kind == "tuning" else None
        return child_job_event(child, self.clock.now(), trainings, self.include_automl_arn_in_events)

    def _new_child(self, kind: ChildKind, name: str, automl_arn: str | None, tuning_arn: str | None = None) -> ChildJob:
        if name in self.children:
            raise ValueError(f"child job {name} already exists")
        now = self.clock.now()
        child = ChildJob(kind, name, now, now, automl_job_arn=automl_arn, tuning_job_arn=tuning_arn, source=self.source)
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
