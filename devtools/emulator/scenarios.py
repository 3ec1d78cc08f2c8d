"""Deterministic job histories: what happens to which job when, and which events that emits."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from devtools.emulator.autopilot.simulator import AutopilotSimulator, ScheduledStep
from devtools.emulator.event_builders import Event

Action = Callable[[AutopilotSimulator], list[Event]]


@dataclass
class HistoryStep:
    at_seconds: float
    description: str
    action: Action


@dataclass
class JobHistory:
    """Time-ordered steps of one job; `expected_status` is where the job ends."""

    job_name: str
    api: str
    expected_status: str
    steps: list[HistoryStep]
    scheduled: list[ScheduledStep] = field(default_factory=list)

    def schedule(self, simulator: AutopilotSimulator, start: datetime) -> None:
        """Hand every step to the simulator, due at `start + at_seconds`."""
        for step in sorted(self.steps, key=lambda s: s.at_seconds):
            due = start + timedelta(seconds=step.at_seconds)
            self.scheduled.append(simulator.schedule_step(due, f"{self.job_name}: {step.description}", step.action))

    @property
    def emitted_events(self) -> list[Event]:
        return [event for step in self.scheduled if step.done for event in step.emitted]


def create_action(name: str, api: str, **options: object) -> Action:
    """A step that creates the job as CreateAutoMLJob(V2) would and emits its CloudTrail event."""

    def action(sim: AutopilotSimulator) -> list[Event]:
        sim.create_job(name, api=api, **options)  # type: ignore[arg-type]
        return [sim.creation_event(name)]

    return action


def phase_action(method_name: str, name: str) -> Action:
    """A step that runs one simulator lifecycle method on the job and emits its events."""

    def action(sim: AutopilotSimulator) -> list[Event]:
        events: list[Event] = getattr(sim, method_name)(name)
        return events

    return action


def _running_until_tuning(name: str, api: str, offset: float = 0.0) -> list[HistoryStep]:
    return [
        HistoryStep(offset, "CreateAutoMLJob" + ("V2" if api == "v2" else ""), create_action(name, api)),
        HistoryStep(offset + 120, "AnalyzingData", phase_action("analyze_data", name)),
        HistoryStep(offset + 600, "FeatureEngineering", phase_action("engineer_features", name)),
        HistoryStep(offset + 1200, "ModelTuning", phase_action("tune_models", name)),
    ]


def completing_job(name: str, api: str = "v1", offset: float = 0.0) -> JobHistory:
    """A job that completes ~20 minutes after its last child-job event (no event announces completion)."""
    steps = _running_until_tuning(name, api, offset)
    steps += [
        HistoryStep(offset + 2400, "tuning done (last child events)", phase_action("finish_tuning", name)),
        HistoryStep(offset + 3000, "GeneratingModelInsightsReport", phase_action("generate_model_insights", name)),
        HistoryStep(offset + 2400 + 1200, "Completed (silent)", phase_action("complete", name)),
    ]
    return JobHistory(name, api, "Completed", steps)


def failing_job(name: str, api: str = "v1", offset: float = 0.0, reason: str | None = None) -> JobHistory:
    message = reason or "ClientError: The target attribute 'churn' has fewer than 2 classes."

    def fail(sim: AutopilotSimulator) -> list[Event]:
        return sim.fail(name, reason=message)

    steps = [*_running_until_tuning(name, api, offset), HistoryStep(offset + 1800, "Failed", fail)]
    return JobHistory(name, api, "Failed", steps)


def failing_before_any_child_job(name: str, api: str = "v2", offset: float = 0.0) -> JobHistory:
    """Fails while Starting (e.g. the input data cannot be read): no child job, so no event but the
    CloudTrail creation event; only the reconcile pass can find the failure."""

    def fail(sim: AutopilotSimulator) -> list[Event]:
        return sim.fail(name, reason="ClientError: Could not read the input data from the S3 location.")

    steps = [
        HistoryStep(offset, "CreateAutoMLJob" + ("V2" if api == "v2" else ""), create_action(name, api)),
        HistoryStep(offset + 90, "Failed (silent)", fail),
    ]
    return JobHistory(name, api, "Failed", steps)


def stopped_job(name: str, api: str = "v2", offset: float = 0.0) -> JobHistory:
    steps = _running_until_tuning(name, api, offset)[:3]
    steps += [
        HistoryStep(offset + 900, "StopAutoMLJob → Stopping", phase_action("request_stop", name)),
        HistoryStep(offset + 1500, "Stopped", phase_action("finish_stop", name)),
    ]
    return JobHistory(name, api, "Stopped", steps)


def ordinary_training_job(name: str, offset: float = 0.0) -> JobHistory:
    """A training job nobody's Autopilot started: events the archive must ignore."""
    steps = [
        HistoryStep(offset, "training starts", lambda sim: sim.create_training_job(name)),
        HistoryStep(offset + 1800, "training completes", lambda sim: sim.finish_training_job(name)),
    ]
    return JobHistory(name, "none", "Completed", steps)


def demo_histories() -> list[JobHistory]:
    """The standard demo set: V1 and V2 completions, a V1 failure, a V2 stop, an unrelated training job."""
    return [
        completing_job("churn-v1-completes", api="v1"),
        completing_job("sales-v2-completes", api="v2", offset=90),
        failing_job("fraud-v1-fails", api="v1", offset=180),
        stopped_job("images-v2-stopped", api="v2", offset=240),
        ordinary_training_job("nightly-xgboost-training", offset=300),
    ]


def schedule_all(simulator: AutopilotSimulator, histories: list[JobHistory], start: datetime | None = None) -> None:
    begin = start or simulator.clock.now()
    for history in histories:
        history.schedule(simulator, begin)


def all_events(histories: list[JobHistory]) -> list[Event]:
    """Every event the histories have emitted so far, in emission order per history."""
    return [event for history in histories for event in history.emitted_events]


def replay_shuffled(events: list[Event], copies: int = 3, seed: int = 7) -> list[Event]:
    """Each event `copies` times, in a seeded random order (EventBridge duplicates and reorders)."""
    replay = [event for event in events for _ in range(copies)]
    random.Random(seed).shuffle(replay)
    return replay
