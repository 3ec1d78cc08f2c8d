"""Discrete-event models of the two baseline archive designs, scored against a workload's Truth.

The product itself is measured by running the real code in the emulator; the baselines are only
models, so they run here over the recorded Truth in simulated seconds. Both share the scoring: a state
is observed when a DescribeAutoMLJob call made while it is the job's current state returns it, and its
lag runs from its LastModifiedTime to that call. A state no describe catches is counted as missed.

Rates per hour are over each design's own window: from the workload's start to the moment the design
has archived every job's terminal state.

`python -m devtools.bench.freshness_models` prints both designs' figures on `freshness_workload()`.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field

from devtools.bench.common import percentile
from devtools.emulator.workload import (
    EventRecord,
    JobTruth,
    StateRecord,
    Truth,
    distinct_states_per_job,
    freshness_workload,
    record_truth,
)

LIST_PAGE_SIZE = 100


@dataclass
class DesignResult:
    """One design's freshness and cost on one Truth; totals and rates derive from the counts."""

    name: str
    terminal_lags: list[float]
    intermediate_lags: list[float]
    missed_intermediate: int
    missed_terminal: int
    list_calls: int
    invocations: int
    window_seconds: float  # from the workload's start until the design held every terminal state
    describes_by_job: dict[str, int] = field(default_factory=dict)

    @property
    def describes(self) -> int:
        return sum(self.describes_by_job.values())

    @property
    def describes_per_job(self) -> float:
        return self.describes / max(1, len(self.describes_by_job))

    @property
    def states_archived(self) -> int:
        return len(self.terminal_lags) + len(self.intermediate_lags)

    @property
    def list_calls_per_hour(self) -> float:
        return self.list_calls / self._hours

    @property
    def invocations_per_hour(self) -> float:
        return self.invocations / self._hours

    @property
    def _hours(self) -> float:
        return max(self.window_seconds, 1.0) / 3600.0


def summarise(lags: list[float], missed: int = 0) -> dict[str, float]:
    """count, nearest-rank p50 and p95, and max of lags in seconds (NaN statistics when there are none).

    A state never archived counts as infinitely late: it is in the percentiles, not left out of them.
    """
    values = [*lags, *([math.inf] * missed)]
    if not values:
        return {"count": 0.0, "p50": math.nan, "p95": math.nan, "max": math.nan}
    return {
        "count": float(len(values)),
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "max": max(values),
    }


class _Timeline:
    """A job's states in time order, answering 'what would Describe return at t'."""

    def __init__(self, job: JobTruth) -> None:
        self.states = job.states
        self.times = [state.at for state in job.states]

    def current(self, moment: float) -> StateRecord | None:
        index = bisect_right(self.times, moment) - 1
        return self.states[index] if index >= 0 else None


class _Archive:
    """What a design has archived, and when it first saw each state."""

    def __init__(self, truth: Truth) -> None:
        self.timelines = {name: _Timeline(job) for name, job in truth.jobs.items()}
        self.held: dict[str, StateRecord] = {}
        self.first_seen: dict[StateRecord, float] = {}
        self.describes: dict[str, int] = dict.fromkeys(truth.jobs, 0)
        self.terminal_jobs = {name for name, job in truth.jobs.items() if job.terminal is not None}

    def describe(self, name: str, moment: float) -> StateRecord | None:
        """One DescribeAutoMLJob call at `moment`: archive the job's current state."""
        self.describes[name] += 1
        state = self.timelines[name].current(moment)
        if state is None:
            return None
        self.held[name] = state
        self.first_seen.setdefault(state, moment)
        return state

    def holds_terminal(self, name: str) -> bool:
        held = self.held.get(name)
        return held is not None and held.is_terminal

    def all_terminal_held(self) -> bool:
        return all(self.holds_terminal(name) for name in self.terminal_jobs)

    def existing(self, moment: float) -> list[str]:
        """Jobs ListAutoMLJobs returns at `moment` (created by then)."""
        return [name for name, timeline in self.timelines.items() if timeline.times and timeline.times[0] <= moment]

    def result(self, name: str, list_calls: int, invocations: int, window: float) -> DesignResult:
        terminal: list[float] = []
        intermediate: list[float] = []
        missed_terminal = missed_intermediate = 0
        for timeline in self.timelines.values():
            for state in timeline.states:
                seen = self.first_seen.get(state)
                if seen is None:
                    if state.is_terminal:
                        missed_terminal += 1
                    else:
                        missed_intermediate += 1
                    continue
                (terminal if state.is_terminal else intermediate).append(seen - state.at)
        return DesignResult(
            name=name,
            terminal_lags=terminal,
            intermediate_lags=intermediate,
            missed_intermediate=missed_intermediate,
            missed_terminal=missed_terminal,
            list_calls=list_calls,
            invocations=invocations,
            window_seconds=window,
            describes_by_job=dict(self.describes),
        )


def describe_budget(truth: Truth, slack: int = 2) -> dict[str, int]:
    """Each job's describe allowance from the issue: its distinct states plus `slack`."""
    return {name: count + slack for name, count in distinct_states_per_job(truth).items()}


def over_budget(result: DesignResult, truth: Truth, slack: int = 2) -> list[str]:
    """The jobs a design described more often than their budget allows, by name."""
    budget = describe_budget(truth, slack)
    return sorted(name for name, count in result.describes_by_job.items() if count > budget[name])


def _list_pages(jobs: int) -> int:
    """ListAutoMLJobs calls to list `jobs` jobs, 100 a page (an empty list is still one call)."""
    return max(1, math.ceil(jobs / LIST_PAGE_SIZE))


# ---------------------------------------------------------------- design 1: per-job polling


def per_job_polling(truth: Truth, period: float = 60.0, phase: float = 0.0) -> DesignResult:
    """A scheduled function every `period` s lists the jobs and describes each one not yet seen terminal.

    A state is observed by the first run at or after its LastModifiedTime while it is still current;
    a state replaced before the next run is missed. One invocation per run.
    """
    archive = _Archive(truth)
    runs = list_calls = 0
    moment = phase
    while True:
        existing = archive.existing(moment)
        list_calls += _list_pages(len(existing))
        runs += 1
        for name in existing:
            if not archive.holds_terminal(name):
                archive.describe(name, moment)
        if archive.all_terminal_held():
            return archive.result("per-job polling", list_calls, runs, moment)
        moment += period


# ---------------------------------------------------------------- design 2: event + re-check chain


@dataclass(frozen=True)
class DeliveryDelay:
    """EventBridge -> SQS -> batched Lambda delivery: `fixed` s plus seeded jitter up to `jitter` s.

    Every event is delivered `copies` times (at-least-once delivery), each copy with its own jitter.
    """

    fixed: float = 5.0
    jitter: float = 10.0
    copies: int = 2
    seed: int = 5

    def deliveries(self, events: list[EventRecord]) -> list[tuple[float, int, EventRecord]]:
        """(delivery time, copy number in delivery order, event) for every copy of every event."""
        rng = random.Random(self.seed)
        out: list[tuple[float, int, EventRecord]] = []
        for event in events:
            times = sorted(event.at + self.fixed + rng.uniform(0.0, self.jitter) for _ in range(self.copies))
            out += [(moment, copy, event) for copy, moment in enumerate(times)]
        return out


def chain_delay(attempt: int, base: float = 60.0, cap: float = 900.0) -> float:
    """The re-check chain's wait before link `attempt`: base * 2^attempt, capped."""
    return min(base * 2.0**attempt, cap)


# Heap entries: (time, order, kind, job name, attempt). Order keeps equal times deterministic.
_Entry = tuple[float, int, str, str, int]


class _ChainModel:
    """The previous design: events trigger describes, a back-off re-check chain per job, a slow sweep."""

    def __init__(self, truth: Truth, base: float, cap: float, sweep_period: float, delay: DeliveryDelay) -> None:
        self.archive = _Archive(truth)
        self.base, self.cap, self.sweep_period = base, cap, sweep_period
        self.queue: list[_Entry] = []
        self.order = 0
        self.live_chain: set[str] = set()
        self.list_calls = self.invocations = 0
        for moment, copy, event in delay.deliveries(truth.events):
            self._push(moment, "first-copy" if copy == 0 else "duplicate", event.job_name, 0)
        self._push(sweep_period, "sweep", "", 0)

    def _push(self, moment: float, kind: str, name: str, attempt: int) -> None:
        self.order += 1
        heapq.heappush(self.queue, (moment, self.order, kind, name, attempt))

    def _describe(self, name: str, moment: float) -> None:
        """Describe; a job seen running with no live chain gets one (attempt 0)."""
        state = self.archive.describe(name, moment)
        if state is not None and not state.is_terminal and name not in self.live_chain:
            self.live_chain.add(name)
            self._push(moment + chain_delay(0, self.base, self.cap), "recheck", name, 0)

    def _delivery(self, name: str, moment: float, duplicate: bool) -> None:
        if self.archive.holds_terminal(name):
            return
        if duplicate:
            # Optimistic: a duplicate costs a describe only if the job's state moved since the archive's copy.
            current = self.archive.timelines[name].current(moment)
            if current == self.archive.held.get(name):
                return
        self._describe(name, moment)

    def _recheck(self, name: str, moment: float, attempt: int) -> None:
        if self.archive.holds_terminal(name):
            self.live_chain.discard(name)
            return
        state = self.archive.describe(name, moment)
        if state is not None and not state.is_terminal:
            self._push(moment + chain_delay(attempt + 1, self.base, self.cap), "recheck", name, attempt + 1)
        else:
            self.live_chain.discard(name)

    def _sweep(self, moment: float) -> None:
        existing = self.archive.existing(moment)
        self.list_calls += _list_pages(len(existing))
        for name in existing:
            if self.archive.timelines[name].current(moment) != self.archive.held.get(name):
                self._describe(name, moment)
        self._push(moment + self.sweep_period, "sweep", "", 0)

    def run(self) -> DesignResult:
        moment = 0.0
        while self.queue and not self.archive.all_terminal_held():
            moment, _, kind, name, attempt = heapq.heappop(self.queue)
            self.invocations += 1
            if kind == "sweep":
                self._sweep(moment)
            elif kind == "recheck":
                self._recheck(name, moment, attempt)
            else:
                self._delivery(name, moment, duplicate=kind == "duplicate")
        return self.archive.result("event + re-check chain", self.list_calls, self.invocations, moment)


def recheck_chain(
    truth: Truth,
    base: float = 60.0,
    cap: float = 900.0,
    sweep_period: float = 900.0,
    event_delay: DeliveryDelay | None = None,
) -> DesignResult:
    """The previous design over `truth`.

    Every event copy is an invocation; the first copy describes the job unless its archived state is
    terminal, a duplicate only if the state moved (see `_ChainModel._delivery`). After any describe
    of a running job with no live chain, a chain of re-checks starts: base * 2^attempt s apart, capped
    at `cap`, each a describe, until the job is seen terminal. Every `sweep_period` s a sweep lists
    the jobs and describes those whose listed state differs from the archive's. Invocations: one per
    delivered copy, re-check and sweep.
    """
    return _ChainModel(truth, base, cap, sweep_period, event_delay or DeliveryDelay()).run()


# ---------------------------------------------------------------- report


def table(results: list[DesignResult], truth: Truth) -> str:
    """A small fixed-width table of the figures the designs are compared on (lags in seconds)."""
    header = (
        f"{'design':<24}{'term p50':>9}{'p95':>7}{'max':>7}{'int p50':>9}{'p95':>7}{'max':>7}"
        f"{'miss t/i':>10}{'desc/job':>10}{'>budget':>9}{'list/h':>8}{'inv/h':>8}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        terminal = summarise(result.terminal_lags, result.missed_terminal)
        intermediate = summarise(result.intermediate_lags, result.missed_intermediate)
        lines.append(
            f"{result.name:<24}{terminal['p50']:>9.0f}{terminal['p95']:>7.0f}{terminal['max']:>7.0f}"
            f"{intermediate['p50']:>9.0f}{intermediate['p95']:>7.0f}{intermediate['max']:>7.0f}"
            f"{f'{result.missed_terminal}/{result.missed_intermediate}':>10}{result.describes_per_job:>10.1f}"
            f"{len(over_budget(result, truth)):>9}"
            f"{result.list_calls_per_hour:>8.1f}{result.invocations_per_hour:>8.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    truth = record_truth(freshness_workload())
    states = sum(len(job.states) for job in truth.jobs.values())
    print(f"{len(truth.jobs)} jobs, {states} distinct states, {len(truth.events)} events, {truth.end / 3600:.2f} h")
    print(table([per_job_polling(truth), recheck_chain(truth)], truth))


if __name__ == "__main__":
    main()
