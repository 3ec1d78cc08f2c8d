"""The shared freshness workload: many realistic Autopilot jobs over a few simulated hours, and its ground truth.

Three archive designs are compared on the same histories. `freshness_workload` builds them (seeded, so
every design sees the same jobs); `record_truth` runs them on a standalone simulator and records every
state each job went through and every event it emitted, which the designs' models and the emulator-run
measurement of the product are both scored against.

Timelines follow what Autopilot does: phases minutes to tens of minutes apart, candidate trainings
finishing in waves during ModelTuning, and completion 1-20 minutes after the last child-job event with
no event announcing it. The simulator drives V2 non-tabular jobs (time series, text) through the same
phase methods as tabular ones, so they share the tabular phase sequence here; only durations differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from devtools.emulator.autopilot.jobs import TERMINAL_AUTOML_STATUSES, ApiVersion
from devtools.emulator.autopilot.simulator import AutopilotSimulator, ScheduledStep
from devtools.emulator.clock import DEFAULT_START, SimulatedClock
from devtools.emulator.event_builders import CHILD_DETAIL_TYPES, CLOUDTRAIL_DETAIL_TYPE, Event
from devtools.emulator.scenarios import Action, HistoryStep, JobHistory, create_action, phase_action, schedule_all

MINUTE = 60.0
BURST_SIZE = 20
BURST_WINDOW = 59.0  # all burst completions fall in [T, T + 59 s]
END_MARGIN = 300.0  # every job is terminal this long before the end of `hours`

# Every kind of job the workload holds; each appears at least once.
KINDS = (
    "v1-ensembling",
    "v1-hpo",
    "v2-hpo",
    "v2-tabular",
    "v2-timeseries",
    "v2-text",
    "fail-early",  # fails in Starting, before any child job exists
    "fail-analyzing",  # fails during AnalyzingData (its processing job fails)
    "fail-tuning",  # fails mid-ModelTuning
    "stopped",  # StopAutoMLJob during ModelTuning, Stopped minutes later
)
# Relative frequency of each kind beyond the first of each (ensembling jobs are the common case).
KIND_WEIGHTS = {
    "v1-ensembling": 4,
    "v1-hpo": 2,
    "v2-hpo": 2,
    "v2-tabular": 3,
    "v2-timeseries": 2,
    "v2-text": 2,
    "fail-early": 1,
    "fail-analyzing": 1,
    "fail-tuning": 1,
    "stopped": 2,
}
BURST_KINDS = ("v1-ensembling", "v2-tabular", "v2-timeseries", "v2-text")
COMPLETING_KINDS = ("v1-ensembling", "v1-hpo", "v2-hpo", "v2-tabular", "v2-timeseries", "v2-text")

EventKind = Literal["child", "cloudtrail"]


@dataclass
class WorkloadHistory(JobHistory):
    """A JobHistory that also says which workload kind it is and whether it belongs to the burst."""

    kind: str = ""
    burst: bool = False
    last_child_event_at: float | None = None  # seconds after the workload start, None if it emits none
    completes_at: float | None = None  # seconds after the workload start, for completing jobs


# ---------------------------------------------------------------- actions


def _fail(name: str, reason: str) -> Action:
    def action(sim: AutopilotSimulator) -> list[Event]:
        return sim.fail(name, reason=reason)

    return action


def _training_wave(name: str, wave: int, waves: int) -> Action:
    """Finish one slice of the job's candidate trainings, as HPO finishes them over the tuning phase.

    The simulator finishes every candidate at once in finish_tuning; real tuning emits training-job
    events throughout, which matter to an event-driven design.
    """

    def action(sim: AutopilotSimulator) -> list[Event]:
        job = sim.jobs[name]
        tunings = [sim.children[c] for c in job.child_job_names if sim.children[c].kind == "tuning"]
        events: list[Event] = []
        for tuning in tunings:
            names = tuning.training_job_names
            size = len(names)
            for training in names[wave * size // waves : (wave + 1) * size // waves]:
                if sim.children[training].status == "InProgress":
                    events += sim.finish_training_job(training)
        return events

    return action


# ---------------------------------------------------------------- timelines

# A planned step before the job has a name: (seconds after the job's start, description, action builder).
Plan = tuple[float, str, Callable[[str], Action]]


@dataclass
class _Timeline:
    kind: str
    api: ApiVersion
    expected_status: str
    plans: list[Plan]
    last_child_event: float | None = None
    completion: float | None = None

    @property
    def duration(self) -> float:
        return max(at for at, _, _ in self.plans)


@dataclass(frozen=True)
class _Shape:
    api: ApiVersion
    config: str
    mode: str
    tuning_minutes: tuple[float, float]
    candidates: tuple[int, int]
    waves: int


SHAPES = {
    "v1-ensembling": _Shape("v1", "Tabular", "ENSEMBLING", (20, 35), (5, 10), 3),
    "v1-hpo": _Shape("v1", "Tabular", "HYPERPARAMETER_TUNING", (110, 180), (10, 25), 5),
    "v2-hpo": _Shape("v2", "Tabular", "HYPERPARAMETER_TUNING", (110, 180), (10, 25), 5),
    "v2-tabular": _Shape("v2", "Tabular", "ENSEMBLING", (20, 35), (5, 10), 3),
    "v2-timeseries": _Shape("v2", "TimeSeriesForecasting", "ENSEMBLING", (40, 80), (3, 6), 3),
    "v2-text": _Shape("v2", "TextClassification", "ENSEMBLING", (30, 60), (3, 6), 2),
}
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")


def _minutes(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high) * MINUTE, 1)


def _until_tuning(rng: random.Random, shape: _Shape) -> tuple[list[Plan], float]:
    """Create, AnalyzingData, FeatureEngineering, ModelTuning; returns the plans and ModelTuning's start."""
    candidates = rng.randint(*shape.candidates)
    problem_type = rng.choice(PROBLEM_TYPES)
    analyze = _minutes(rng, 0.5, 3)
    features = analyze + _minutes(rng, 5, 15)
    tuning = features + _minutes(rng, 8, 20)
    plans: list[Plan] = [
        (
            0.0,
            "CreateAutoMLJob" + ("V2" if shape.api == "v2" else ""),
            lambda n: create_action(
                n,
                shape.api,
                problem_type_config=shape.config,
                mode=shape.mode,
                candidates=candidates,
                problem_type=problem_type,
            ),
        ),
        (analyze, "AnalyzingData", lambda n: phase_action("analyze_data", n)),
        (features, "FeatureEngineering", lambda n: phase_action("engineer_features", n)),
        (tuning, "ModelTuning", lambda n: phase_action("tune_models", n)),
    ]
    return plans, tuning


def _waves(rng: random.Random, shape: _Shape, start: float, end: float) -> list[Plan]:
    """Intermediate candidate-training completions between `start` and `end` (the last wave is finish_tuning)."""
    plans: list[Plan] = []
    span = end - start
    for wave in range(shape.waves - 1):
        at = start + span * (wave + 1) / shape.waves + rng.uniform(-0.1, 0.1) * span / shape.waves
        plans.append((round(at, 1), f"trainings wave {wave + 1}", _wave_builder(wave, shape.waves)))
    return plans


def _wave_builder(wave: int, waves: int) -> Callable[[str], Action]:
    return lambda name: _training_wave(name, wave, waves)


def _completing(rng: random.Random, kind: str) -> _Timeline:
    shape = SHAPES[kind]
    plans, tuning = _until_tuning(rng, shape)
    finish = tuning + _minutes(rng, *shape.tuning_minutes)
    plans += _waves(rng, shape, tuning, finish)
    silent = _minutes(rng, 1, 20)  # completion comes this long after the last child event
    insights = finish + round(silent * rng.uniform(0.35, 0.75), 1)
    plans += [
        (
            finish,
            "tuning done (last child events) -> GeneratingExplainabilityReport",
            lambda n: phase_action("finish_tuning", n),
        ),
        (insights, "GeneratingModelInsightsReport", lambda n: phase_action("generate_model_insights", n)),
        (finish + silent, "Completed (no event)", lambda n: phase_action("complete", n)),
    ]
    return _Timeline(kind, shape.api, "Completed", plans, last_child_event=finish, completion=finish + silent)


def _failing_early(rng: random.Random) -> _Timeline:
    """Fails in Starting: no child job ever exists, so only the CloudTrail create event announces the job."""
    shape = replace(SHAPES["v1-ensembling"], api=rng.choice(("v1", "v2")))
    plans, _ = _until_tuning(rng, shape)
    fail_at = _minutes(rng, 0.3, 1.5)
    reason = "ClientError: Could not read the input data: s3 prefix holds no objects."
    return _Timeline(
        "fail-early", shape.api, "Failed", [plans[0], (fail_at, "Failed in Starting", lambda n: _fail(n, reason))]
    )


def _failing_analyzing(rng: random.Random) -> _Timeline:
    shape = replace(SHAPES["v2-tabular"], api=rng.choice(("v1", "v2")))
    plans, _ = _until_tuning(rng, shape)
    analyze = plans[1][0]
    fail_at = analyze + _minutes(rng, 2, 10)
    reason = "ClientError: The target attribute 'y' has fewer than 2 classes."
    plans = [*plans[:2], (fail_at, "Failed in AnalyzingData", lambda n: _fail(n, reason))]
    return _Timeline("fail-analyzing", shape.api, "Failed", plans, last_child_event=fail_at)


def _failing_tuning(rng: random.Random) -> _Timeline:
    shape = replace(SHAPES["v1-hpo"], api=rng.choice(("v1", "v2")))
    plans, tuning = _until_tuning(rng, shape)
    would_finish = tuning + _minutes(rng, *shape.tuning_minutes)
    fail_at = tuning + (would_finish - tuning) * rng.uniform(0.3, 0.7)
    waves = [plan for plan in _waves(rng, shape, tuning, would_finish) if plan[0] < fail_at - 30]
    reason = "AlgorithmError: all candidate training jobs failed (out of memory)."
    plans += [*waves, (round(fail_at, 1), "Failed mid-ModelTuning", lambda n: _fail(n, reason))]
    return _Timeline("fail-tuning", shape.api, "Failed", plans, last_child_event=round(fail_at, 1))


def _stopped(rng: random.Random) -> _Timeline:
    shape = replace(SHAPES["v2-tabular"], api=rng.choice(("v1", "v2")))
    plans, tuning = _until_tuning(rng, shape)
    stop_at = tuning + _minutes(rng, 3, 20)
    stopped_at = stop_at + _minutes(rng, 2, 8)
    plans += [
        (stop_at, "StopAutoMLJob -> Stopping", lambda n: phase_action("request_stop", n)),
        (stopped_at, "Stopped", lambda n: phase_action("finish_stop", n)),
    ]
    return _Timeline("stopped", shape.api, "Stopped", plans, last_child_event=stopped_at)


def _timeline(rng: random.Random, kind: str) -> _Timeline:
    builders: dict[str, Callable[[random.Random], _Timeline]] = {
        "fail-early": _failing_early,
        "fail-analyzing": _failing_analyzing,
        "fail-tuning": _failing_tuning,
        "stopped": _stopped,
    }
    if kind in builders:
        return builders[kind](rng)
    return _completing(rng, kind)


def _burst_timelines(rng: random.Random) -> list[_Timeline]:
    return [_completing(rng, BURST_KINDS[index % len(BURST_KINDS)]) for index in range(BURST_SIZE)]


def _other_kinds(rng: random.Random, count: int) -> list[str]:
    extra = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count - len(KINDS))
    return [*KINDS, *extra]


def freshness_workload(jobs: int = 60, hours: float = 6.0, seed: int = 11) -> list[JobHistory]:
    """`jobs` seeded Autopilot histories, all terminal `END_MARGIN` before `hours` is up.

    Twenty of them (the burst) complete within the same minute, around the middle of the window; the
    rest start at uniformly drawn moments such that they finish in time. The same seed always gives the
    same histories (names, steps and times).
    """
    if jobs < BURST_SIZE + len(KINDS):
        raise ValueError(f"the workload needs at least {BURST_SIZE + len(KINDS)} jobs (a burst plus each kind)")
    rng = random.Random(seed)
    window = hours * 3600.0 - END_MARGIN
    placed: list[tuple[float, bool, _Timeline]] = []

    burst = _burst_timelines(rng)
    burst_at = max(*(t.duration for t in burst), window * 0.5)
    if burst_at + BURST_WINDOW > window:
        raise ValueError(f"{hours} h is too short for the burst's jobs")
    for timeline in burst:
        assert timeline.completion is not None
        offset = rng.uniform(0.0, BURST_WINDOW)
        placed.append((burst_at + offset - timeline.completion, True, timeline))

    for kind in _other_kinds(rng, jobs - BURST_SIZE):
        timeline = _timeline(rng, kind)
        latest = window - timeline.duration
        if latest < 0:
            raise ValueError(f"{hours} h is too short for a {kind} job ({timeline.duration / 3600:.1f} h)")
        placed.append((rng.uniform(0.0, latest), False, timeline))

    placed.sort(key=lambda item: item[0])
    return [_history(index, start, burst_job, timeline) for index, (start, burst_job, timeline) in enumerate(placed)]


def _history(index: int, start: float, burst: bool, timeline: _Timeline) -> JobHistory:
    name = f"fw{index:02d}-{'b-' if burst else ''}{timeline.kind}"
    start = round(start, 1)
    steps = [HistoryStep(round(start + at, 1), description, build(name)) for at, description, build in timeline.plans]
    return WorkloadHistory(
        name,
        timeline.api,
        timeline.expected_status,
        steps,
        kind=timeline.kind,
        burst=burst,
        last_child_event_at=None if timeline.last_child_event is None else round(start + timeline.last_child_event, 1),
        completes_at=None if timeline.completion is None else round(start + timeline.completion, 1),
    )


# ---------------------------------------------------------------- truth


@dataclass(frozen=True)
class StateRecord:
    """One distinct state of a job, as DescribeAutoMLJob(V2) would report it while it lasted."""

    job_name: str
    status: str
    secondary_status: str
    last_modified_time: datetime
    is_terminal: bool
    at: float  # last_modified_time in seconds after Truth.start


@dataclass(frozen=True)
class EventRecord:
    """One EventBridge event a job's history emitted: a child-job state change or a CloudTrail API call."""

    job_name: str
    emitted_time: datetime
    at: float  # seconds after Truth.start
    kind: EventKind
    detail_type: str
    subject: str  # the child job's name, or the API call's name


@dataclass
class JobTruth:
    job_name: str
    api: str
    kind: str
    states: list[StateRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)

    @property
    def created_at(self) -> float:
        return self.states[0].at

    @property
    def terminal(self) -> StateRecord | None:
        last = self.states[-1] if self.states else None
        return last if last and last.is_terminal else None


@dataclass
class Truth:
    """What really happened: every job's distinct states and emitted events, in simulated time."""

    start: datetime
    jobs: dict[str, JobTruth]

    @property
    def states(self) -> list[tuple[str, str, str, datetime]]:
        """(job_name, status, secondary_status, last_modified_time) of every distinct state, by time."""
        records = sorted((s for job in self.jobs.values() for s in job.states), key=lambda s: (s.at, s.job_name))
        return [(s.job_name, s.status, s.secondary_status, s.last_modified_time) for s in records]

    @property
    def events(self) -> list[EventRecord]:
        return sorted((e for job in self.jobs.values() for e in job.events), key=lambda e: (e.at, e.job_name))

    @property
    def end(self) -> float:
        """Seconds from the start to the last state change of any job."""
        return max((s.at for job in self.jobs.values() for s in job.states), default=0.0)


def _event_record(job_name: str, event: Event, moment: datetime, start: datetime) -> EventRecord:
    detail_type = str(event["detail-type"])
    if detail_type == CLOUDTRAIL_DETAIL_TYPE:
        kind: EventKind = "cloudtrail"
        subject = str(event["detail"]["eventName"])
    elif detail_type in CHILD_DETAIL_TYPES.values():
        kind = "child"
        subject = str(event["resources"][0]).rsplit("/", 1)[-1]
    else:
        raise ValueError(f"unexpected event type {detail_type}")
    return EventRecord(job_name, moment, (moment - start).total_seconds(), kind, detail_type, subject)


def _record_state(sim: AutopilotSimulator, truth: JobTruth, start: datetime) -> None:
    job = sim.jobs.get(truth.job_name)
    if job is None:
        return
    state = (job.status, job.secondary_status, job.last_modified_time)
    last = truth.states[-1] if truth.states else None
    if last and (last.status, last.secondary_status, last.last_modified_time) == state:
        return
    truth.states.append(
        StateRecord(
            job.name,
            job.status,
            job.secondary_status,
            job.last_modified_time,
            job.status in TERMINAL_AUTOML_STATUSES,
            (job.last_modified_time - start).total_seconds(),
        )
    )


def record_truth(histories: list[JobHistory], start: datetime = DEFAULT_START) -> Truth:
    """Run the histories on a standalone simulator (no moto) and record every state and event.

    The histories are copied first: JobHistory.schedule appends to its `scheduled` list, and the
    same histories are meant to be run again in the emulator.
    """
    sim = AutopilotSimulator(clock=SimulatedClock(start))
    copies = [replace(history, scheduled=[]) for history in histories]
    schedule_all(sim, copies, start)
    owner: dict[int, str] = {id(step): history.job_name for history in copies for step in history.scheduled}
    truths = {h.job_name: JobTruth(h.job_name, h.api, h.kind if isinstance(h, WorkloadHistory) else "") for h in copies}
    while (due := sim.next_due()) is not None:
        sim.clock.advance_to(due)
        running = [step for step in sim.schedule if not step.done and step.due <= due]
        _check_one_step_per_job(running, owner, due)
        sim.run_due_steps()
        for step in running:
            truth = truths[owner[id(step)]]
            truth.events += [_event_record(truth.job_name, event, due, start) for event in step.emitted]
            _record_state(sim, truth, start)
    return Truth(start, truths)


def _check_one_step_per_job(steps: list[ScheduledStep], owner: dict[int, str], due: datetime) -> None:
    """Two steps of one job at the same instant would hide the state between them from the truth."""
    names = [owner[id(step)] for step in steps]
    repeated = {name for name in names if names.count(name) > 1}
    if repeated:
        raise ValueError(f"jobs {sorted(repeated)} have several steps due at {due.isoformat()}")


def distinct_states_per_job(truth: Truth) -> dict[str, int]:
    """How many distinct states each job went through (the describe budget is this plus two)."""
    return {name: len(job.states) for name, job in truth.jobs.items()}
