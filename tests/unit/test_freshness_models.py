"""The freshness workload meets its spec, and the baseline designs' models behave as designed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devtools.bench.freshness_models import (
    DeliveryDelay,
    chain_delay,
    describe_budget,
    over_budget,
    per_job_polling,
    recheck_chain,
    summarise,
)
from devtools.emulator.clock import DEFAULT_START
from devtools.emulator.workload import (
    BURST_SIZE,
    KINDS,
    EventRecord,
    JobTruth,
    StateRecord,
    Truth,
    WorkloadHistory,
    distinct_states_per_job,
    freshness_workload,
    record_truth,
)

TERMINAL = {"Completed", "Failed", "Stopped"}
HOURS = 6.0


@pytest.fixture(scope="module")
def histories() -> list[WorkloadHistory]:
    made = freshness_workload(hours=HOURS)
    assert all(isinstance(h, WorkloadHistory) for h in made)
    return [h for h in made if isinstance(h, WorkloadHistory)]


@pytest.fixture(scope="module")
def truth(histories: list[WorkloadHistory]) -> Truth:
    return record_truth(list(histories))


# ---------------------------------------------------------------- hand-made truths


def _job(name: str, states: list[tuple[float, str]], events: list[tuple[float, str]] | None = None) -> JobTruth:
    """A job from (seconds, secondary status) pairs; terminal statuses double as the status."""
    job = JobTruth(name, "v1", "hand-made")
    for at, secondary in states:
        status = secondary if secondary in TERMINAL else "InProgress"
        moment = DEFAULT_START + timedelta(seconds=at)
        job.states.append(StateRecord(name, status, secondary, moment, status in TERMINAL, at))
    for at, subject in events or []:
        moment = DEFAULT_START + timedelta(seconds=at)
        if subject.startswith("Create"):
            job.events.append(EventRecord(name, moment, at, "cloudtrail", "AWS API Call via CloudTrail", subject))
        else:
            job.events.append(EventRecord(name, moment, at, "child", "SageMaker Processing Job State Change", subject))
    return job


def _truth(*jobs: JobTruth) -> Truth:
    return Truth(DEFAULT_START, {job.job_name: job for job in jobs})


NO_JITTER = DeliveryDelay(fixed=5.0, jitter=0.0, copies=2)
NO_SWEEP = 10.0**7


# ---------------------------------------------------------------- workload


def _shape(made: list[WorkloadHistory]) -> list[tuple[object, ...]]:
    return [
        (h.job_name, h.api, h.expected_status, h.kind, h.burst, [(s.at_seconds, s.description) for s in h.steps])
        for h in made
    ]


def test_workload_is_deterministic_for_a_seed(histories: list[WorkloadHistory], truth: Truth) -> None:
    again = [h for h in freshness_workload(hours=HOURS) if isinstance(h, WorkloadHistory)]
    assert _shape(again) == _shape(histories)
    assert record_truth(list(again)).states == truth.states
    other = [h for h in freshness_workload(seed=12) if isinstance(h, WorkloadHistory)]
    assert _shape(other) != _shape(histories)


def test_record_truth_leaves_the_histories_reusable(histories: list[WorkloadHistory], truth: Truth) -> None:
    assert all(h.scheduled == [] for h in histories)


def test_workload_holds_every_kind_and_at_least_fifty_jobs(histories: list[WorkloadHistory]) -> None:
    assert len(histories) >= 50
    assert {h.kind for h in histories} >= set(KINDS)
    assert len({h.job_name for h in histories}) == len(histories)
    assert {h.api for h in histories} == {"v1", "v2"}


def test_every_job_ends_as_expected_within_the_window(histories: list[WorkloadHistory], truth: Truth) -> None:
    for history in histories:
        job = truth.jobs[history.job_name]
        assert job.terminal is not None, history.job_name
        assert job.terminal.status == history.expected_status
        assert job.terminal.at <= HOURS * 3600
        assert sum(state.is_terminal for state in job.states) == 1


def test_burst_of_twenty_completions_within_one_minute(histories: list[WorkloadHistory], truth: Truth) -> None:
    burst = [truth.jobs[h.job_name] for h in histories if h.burst]
    assert len(burst) == BURST_SIZE
    ends = [job.terminal.at for job in burst if job.terminal and job.terminal.status == "Completed"]
    assert len(ends) == BURST_SIZE
    assert max(ends) - min(ends) < 60


def test_completion_is_silent_and_1_to_20_minutes_after_the_last_child_event(truth: Truth) -> None:
    completed = [job for job in truth.jobs.values() if job.terminal and job.terminal.status == "Completed"]
    assert completed
    for job in completed:
        assert job.terminal is not None
        last_child = max(event.at for event in job.events if event.kind == "child")
        assert 60 <= job.terminal.at - last_child <= 1200, job.job_name
        assert all(event.at < job.terminal.at for event in job.events)


def test_a_failure_before_any_child_job(truth: Truth) -> None:
    early = [
        job
        for job in truth.jobs.values()
        if job.terminal and job.terminal.status == "Failed" and all(e.kind == "cloudtrail" for e in job.events)
    ]
    assert early
    assert [s.secondary_status for s in early[0].states] == ["Starting", "Failed"]


def test_failures_mid_tuning_and_user_stops(truth: Truth) -> None:
    failed_tuning = [
        job
        for job in truth.jobs.values()
        if job.kind == "fail-tuning" and [s.secondary_status for s in job.states][-2:] == ["ModelTuning", "Failed"]
    ]
    assert failed_tuning
    for job in (job for job in truth.jobs.values() if job.kind == "stopped"):
        assert [s.status for s in job.states][-2:] == ["Stopping", "Stopped"]
        assert any(e.subject == "StopAutoMLJob" for e in job.events)
        assert 120 <= job.states[-1].at - job.states[-2].at <= 480


def test_job_durations_are_realistic(truth: Truth) -> None:
    def hours(job: JobTruth) -> float:
        assert job.terminal is not None
        return (job.terminal.at - job.created_at) / 3600

    for job in truth.jobs.values():
        if job.kind in ("v1-hpo", "v2-hpo"):
            assert 2.0 <= hours(job) <= 4.0, job.job_name
        if job.kind in ("v1-ensembling", "v2-tabular"):
            assert 0.5 <= hours(job) <= 1.7, job.job_name
        gaps = [later.at - earlier.at for earlier, later in zip(job.states, job.states[1:], strict=False)]
        if job.kind in ("v1-hpo", "v2-hpo"):
            assert max(gaps) >= 90 * 60  # ModelTuning lasts hours


def test_distinct_states_per_job(truth: Truth) -> None:
    counts = distinct_states_per_job(truth)
    assert set(counts) == set(truth.jobs)
    assert max(counts.values()) == 7  # Starting .. Completed through five secondary statuses
    assert min(counts.values()) == 2  # Starting -> Failed
    assert len(truth.states) == sum(counts.values())


# ---------------------------------------------------------------- statistics


def test_summarise_uses_nearest_rank() -> None:
    stats = summarise([float(n) for n in range(20, 0, -1)])
    assert stats == {"count": 20.0, "p50": 10.0, "p95": 19.0, "max": 20.0}
    assert summarise([])["count"] == 0


# ---------------------------------------------------------------- polling


def test_polling_misses_a_state_shorter_than_the_gap_between_runs() -> None:
    truth = _truth(_job("j", [(0, "Starting"), (70, "AnalyzingData"), (100, "FeatureEngineering"), (500, "Completed")]))
    result = per_job_polling(truth, period=60)
    assert result.missed_intermediate == 1  # AnalyzingData lived 70..100, between runs at 60 and 120
    assert result.missed_terminal == 0
    assert sorted(result.intermediate_lags) == [0.0, 20.0]  # Starting at 0, FeatureEngineering at 120
    assert result.terminal_lags == [40.0]  # Completed at 500, run at 540


@pytest.mark.parametrize("phase", [0.0, 17.0, 59.0])
def test_polling_terminal_lag_is_at_most_one_period(truth: Truth, phase: float) -> None:
    result = per_job_polling(truth, period=60, phase=phase)
    assert result.missed_terminal == 0
    assert len(result.terminal_lags) == len(truth.jobs)
    assert min(result.terminal_lags) >= 0
    assert max(result.terminal_lags) <= 60


def test_polling_describes_grow_with_running_time() -> None:
    truth = _truth(
        _job("short", [(0, "Starting"), (600, "Completed")]), _job("long", [(0, "Starting"), (1800, "Completed")])
    )
    result = per_job_polling(truth, period=60)
    assert result.describes_by_job == {"short": 11, "long": 31}  # runs at 0, 60, .., end inclusive
    assert result.describes == 42
    assert result.list_calls == 31  # one page per run, runs until 1800


# ---------------------------------------------------------------- re-check chain


def test_chain_delays_double_up_to_the_cap() -> None:
    assert [chain_delay(n) for n in range(7)] == [60, 120, 240, 480, 900, 900, 900]


def _silent_completion() -> Truth:
    """Created at 0, AnalyzingData (a child event) at 100, Completed silently at 1300: 20 min after it."""
    return _truth(
        _job(
            "j",
            [(0, "Starting"), (100, "AnalyzingData"), (1300, "Completed")],
            [(0, "CreateAutoMLJob"), (100, "j-db-1-processing")],
        )
    )


def test_chain_sees_a_silent_completion_when_its_link_comes_due() -> None:
    result = recheck_chain(_silent_completion(), sweep_period=NO_SWEEP, event_delay=NO_JITTER)
    # Chain started by the create event's describe at 5 s: re-checks at 65, 185, 425, 905, 1805.
    links, moment = [], 5.0
    for attempt in range(5):
        moment += chain_delay(attempt)
        links.append(moment)
    seen = next(link for link in links if link >= 1300)
    assert result.terminal_lags == [seen - 1300] == [505.0]
    # Describes: the two first copies (5, 105) and five re-checks; duplicates found nothing new.
    assert result.describes == 2 + 5
    assert result.invocations == 4 + 5
    assert result.missed_intermediate == 0
    assert result.intermediate_lags == [5.0, 5.0]


def test_chain_lag_after_a_silent_completion_is_bounded_by_the_cap_or_sweep() -> None:
    truth = _silent_completion()
    with_sweep = recheck_chain(truth, sweep_period=900, event_delay=NO_JITTER)
    assert with_sweep.terminal_lags == [500.0]  # the sweep at 1800 comes before the link at 1805
    assert with_sweep.list_calls == 2  # sweeps at 900 and 1800
    jittered = recheck_chain(truth, sweep_period=NO_SWEEP)  # default 5 s + up to 10 s
    assert 505 <= jittered.terminal_lags[0] <= 515


def test_chain_terminal_lag_on_the_workload_stays_under_cap_plus_delivery(truth: Truth) -> None:
    result = recheck_chain(truth)
    assert result.missed_terminal == 0
    assert max(result.terminal_lags) <= 900 + 15
    polling = per_job_polling(truth)
    assert result.describes < polling.describes  # the chain's back-off is cheaper than describing every minute


def test_describe_budget_is_distinct_states_plus_two() -> None:
    truth = _silent_completion()
    assert describe_budget(truth) == {"j": 5}
    chained = recheck_chain(truth, sweep_period=NO_SWEEP, event_delay=NO_JITTER)  # 7 describes
    assert over_budget(chained, truth) == ["j"]
    swept = recheck_chain(truth, sweep_period=900, event_delay=NO_JITTER)  # 2 events + 4 links + sweep
    assert swept.describes == 7
    polled = per_job_polling(truth, period=600)  # runs at 0, 600, 1200, 1800
    assert polled.describes == 4
    assert over_budget(polled, truth) == []
