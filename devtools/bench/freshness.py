"""Freshness in simulated time: this product against per-job polling and the old re-check chains.

One workload (`devtools.emulator.workload.freshness_workload`: ≥ 50 jobs over 6 simulated hours, realistic
Autopilot timelines, silent completions, early failures, stops, a burst of 20 completions in one
minute) is played three ways, side by side:
- **this product**: the deployed stack in the emulator, events delivered twice and shuffled within
  each step, the reconcile sweep on its one-minute schedule; both functions read simulated time, so
  each record's `archived_at` is when the archive held the state;
- **per-job polling every 60 s** (the anchor) and **the re-check chain of the previous design** (events
  + chains of 60 s doubling to 900 s + a 15-minute sweep): discrete-event models over the same recorded
  truth (`devtools/bench/freshness_models.py`).

Freshness is archive time minus the state's LastModifiedTime, for terminal and for intermediate states;
a state a design never archived is counted as missed, and as infinitely late in the percentiles.
Alert latency is the SNS publish's simulated time minus the failed state's LastModifiedTime. Costs
come from one control-plane model (`control_cost`) applied to each design's invocations and calls; the
archive's own writes (S3, DynamoDB state, SNS) are the same per state for every design and are left
out of the comparison (docs/performance.md has them).

Not modelled, on purpose stated: EventBridge's delivery latency and the event source mapping's batching
window (≤ 5 s) are not simulated for the product (the pipeline receives at once); ListAutoMLJobs is
assumed consistent within the sweep's 15-minute overlap.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.archive_layout import RECORDS_PREFIX
from devtools.bench.freshness_models import (
    DesignResult,
    describe_budget,
    over_budget,
    per_job_polling,
    recheck_chain,
    summarise,
)
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.clock import DEFAULT_START, SimulatedClock
from devtools.emulator.events import AlertsInbox, put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import replay_shuffled, schedule_all
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.stack import deploy_stack
from devtools.emulator.workload import Truth, freshness_workload, record_truth
from infra.config import SWEEP_HANDLER

QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"}
MONTH_SECONDS = 30 * 86400

# Published us-east-1 prices (devtools/bench/cost.py has the pages): Lambda arm64 per GB-second and per request,
# SQS per request, DynamoDB on-demand per request unit, CloudWatch Logs per GB ingested.
LAMBDA_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
SQS_REQUEST = 0.40 / 1e6
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_READ_UNIT = 0.125 / 1e6
LOGS_GB = 0.50
# Model assumptions (stated in the table's notes): billed time per invocation beyond its calls, the wait
# per AWS call, and the log bytes per invocation.
INVOCATION_OVERHEAD_SECONDS = 0.010
CALL_SECONDS = 0.015
LOG_BYTES_PER_INVOCATION = 600


@dataclass(frozen=True)
class ControlTraffic:
    """What a design spends to notice states, over a window (the archive's writes are the same for all)."""

    invocations: float
    memory_gb: float
    sagemaker_calls: float  # describes and lists (SageMaker does not charge for them; the function waits)
    sqs_requests: float  # messages sent, received and deleted for the design's own follow-ups
    dynamodb_reads: float
    dynamodb_writes: float


def control_cost(traffic: ControlTraffic) -> float:
    """US dollars for the traffic, from the prices above."""
    calls = traffic.sagemaker_calls + traffic.sqs_requests + traffic.dynamodb_reads + traffic.dynamodb_writes
    seconds = traffic.invocations * INVOCATION_OVERHEAD_SECONDS + calls * CALL_SECONDS
    return (
        seconds * traffic.memory_gb * LAMBDA_GB_SECOND
        + traffic.invocations * LAMBDA_REQUEST
        + traffic.sqs_requests * SQS_REQUEST
        + traffic.dynamodb_reads * DYNAMODB_READ_UNIT
        + traffic.dynamodb_writes * DYNAMODB_WRITE_UNIT
        + traffic.invocations * LOG_BYTES_PER_INVOCATION / 1024**3 * LOGS_GB
    )


def idle_month(design: str) -> ControlTraffic:
    """A month with no job at all: only the schedules run."""
    minutes = MONTH_SECONDS / 60
    if design == "product":  # each minute: one list page, the watermark's GetItem and UpdateItem
        return ControlTraffic(minutes, 0.25, minutes, 0, minutes, minutes)
    if design == "polling":  # each minute: one list page
        return ControlTraffic(minutes, 0.25, minutes, 0, 0, 0)
    sweeps = MONTH_SECONDS / 900  # the chain design's 15-minute sweep
    return ControlTraffic(sweeps, 0.25, sweeps, 0, sweeps, sweeps)


@dataclass
class ProductRun:
    result: DesignResult
    alert_lags: list[float]
    missed_alerts: int
    calls: Counter[str]
    archiver_invocations: int
    sweep_invocations: int
    records: int
    missed_states: list[str]


class _Recorder:
    """A hook on the default boto3 session (every function's clients): calls, describes per job, alerts."""

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.describes: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.alerts: dict[str, datetime] = {}

    def install(self) -> None:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events
        # before-parameter-build sees the API's own parameters (before-call sees the serialised request)
        events.register("before-parameter-build", self._before, unique_id="freshness-before")

    def uninstall(self) -> None:
        events = boto3.DEFAULT_SESSION.events
        events.unregister("before-parameter-build", unique_id="freshness-before")

    def _before(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        self.calls[f"{service}.{operation}"] += 1
        if operation in ("DescribeAutoMLJob", "DescribeAutoMLJobV2"):
            self.describes[str(params.get("AutoMLJobName", "")).lower()] += 1
        if operation == "Publish":  # the alert leaves at this simulated moment (time stands still in a call)
            name = params.get("MessageAttributes", {}).get("job_name", {}).get("StringValue", "")
            self.alerts.setdefault(name.lower(), self.clock.now())


def _archived_records(aws: LocalAws, bucket: str) -> list[dict[str, Any]]:
    """Every version of every job record: the first version of a state's key is when it was archived."""
    s3 = aws.client("s3")
    records = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=RECORDS_PREFIX):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            records.append(json.loads(body))
    return records


def run_product(jobs: int, hours: float, seed: int, truth: Truth, aws: LocalAws | None = None) -> ProductRun:
    """The deployed stack on the workload; `aws` reuses a running (reset) emulator, as the tests do."""
    if aws is not None:
        aws.reset()
        return _run_product(aws, jobs, hours, seed, truth)
    with LocalAws() as local:
        return _run_product(local, jobs, hours, seed, truth)


def _run_product(aws: LocalAws, jobs: int, hours: float, seed: int, truth: Truth) -> ProductRun:
    logging.getLogger("moto").setLevel(logging.ERROR)
    histories = freshness_workload(jobs=jobs, hours=hours, seed=seed)
    clock = SimulatedClock(start=truth.start)
    recorder = _Recorder(clock)
    with AutopilotSimulator(clock=clock) as simulator, SqsClock() as sqs_clock:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stack = deploy_stack(aws)
        inbox = AlertsInbox(aws, stack.output("AlertsTopicArn"))
        rounds = iter(range(1_000_000))

        def deliver(events: list[Any]) -> None:
            # EventBridge delivers at least once and in no particular order: each event twice, shuffled.
            put_events(aws, replay_shuffled(events, copies=2, seed=seed + next(rounds)))

        pipeline = LambdaPipeline.for_function(
            aws, stack.function(), sqs_clock=sqs_clock, simulator=simulator, publish_events=deliver
        )
        pipeline.environment.update(QUIET)
        sweep = ScheduledFunction.of(aws, stack, SWEEP_HANDLER)
        sweep.environment.update(QUIET)
        pipeline.on_schedule([sweep])
        schedule_all(simulator, histories, start=truth.start)
        recorder.install()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                pipeline.run_until_idle(max_simulated_seconds=(hours + 1) * 3600, max_iterations=50_000)
        finally:
            recorder.uninstall()
        inbox.read()
        records = _archived_records(aws, stack.output(outputs.ARCHIVE_BUCKET_NAME))
        archiver_invocations, sweep_invocations = pipeline.stats.invocations, sweep.invocations
    return _score(truth, records, recorder, archiver_invocations, sweep_invocations)


def _score(
    truth: Truth, records: list[dict[str, Any]], recorder: _Recorder, archiver_invocations: int, sweep_invocations: int
) -> ProductRun:
    archived: dict[tuple[str, str, str, datetime], datetime] = {}
    for record in records:
        key = (
            record["job_name"].lower(),
            record["status"],
            record["secondary_status"] or "",
            datetime.fromisoformat(record["last_modified_time"]),
        )
        moment = datetime.fromisoformat(record["archived_at"])
        archived[key] = min(moment, archived.get(key, moment))
    terminal: list[float] = []
    intermediate: list[float] = []
    missed_terminal = missed_intermediate = 0
    missed_states: list[str] = []
    alert_lags: list[float] = []
    missed_alerts = 0
    last_terminal = 0.0
    for job in truth.jobs.values():
        for state in job.states:
            key = (job.job_name.lower(), state.status, state.secondary_status or "", state.last_modified_time)
            seen = archived.get(key)
            if seen is None:
                missed_states.append(f"{job.job_name} {state.status}/{state.secondary_status} at {state.at:.0f} s")
                if state.is_terminal:
                    missed_terminal += 1
                else:
                    missed_intermediate += 1
                continue
            lag = (seen - state.last_modified_time).total_seconds()
            (terminal if state.is_terminal else intermediate).append(lag)
            if state.is_terminal:
                last_terminal = max(last_terminal, (seen - truth.start).total_seconds())
        final = job.terminal
        if final is not None and final.status == "Failed":
            alerted = recorder.alerts.get(job.job_name.lower())
            if alerted is None:
                missed_alerts += 1
            else:
                alert_lags.append((alerted - final.last_modified_time).total_seconds())
    result = DesignResult(
        name="this product",
        terminal_lags=terminal,
        intermediate_lags=intermediate,
        missed_intermediate=missed_intermediate,
        missed_terminal=missed_terminal,
        list_calls=recorder.calls["sagemaker.ListAutoMLJobs"],
        invocations=archiver_invocations + sweep_invocations,
        window_seconds=last_terminal,
        describes_by_job={name: recorder.describes.get(name.lower(), 0) for name in truth.jobs},
    )
    return ProductRun(
        result,
        alert_lags,
        missed_alerts,
        recorder.calls,
        archiver_invocations,
        sweep_invocations,
        len(records),
        missed_states,
    )


def _traffic(name: str, result: DesignResult, product: ProductRun | None) -> ControlTraffic:
    """Each design's control traffic over its window (the archive's writes excluded)."""
    sagemaker_calls = result.describes + result.list_calls
    if product is not None:
        calls = product.calls
        return ControlTraffic(
            invocations=result.invocations,
            memory_gb=0.5,
            sagemaker_calls=sagemaker_calls,
            # the sweep's sends; each reference is also received and deleted by the archiver's poller
            sqs_requests=calls["sqs.SendMessageBatch"] * 3,
            dynamodb_reads=calls["dynamodb.BatchGetItem"] + calls["dynamodb.GetItem"],
            dynamodb_writes=0,
        )
    if name == "polling":
        runs = result.invocations
        return ControlTraffic(runs, 0.25, sagemaker_calls, 0, result.describes, 0)
    # chain: each re-check is a message sent, received and deleted, and claims the chain (a write)
    return ControlTraffic(result.invocations, 0.5, sagemaker_calls, 3 * result.describes, result.describes, 0)


def comparison(jobs: int, hours: float, seed: int, aws: LocalAws | None = None) -> dict[str, Any]:
    truth = record_truth(freshness_workload(jobs=jobs, hours=hours, seed=seed), start=DEFAULT_START)
    product = run_product(jobs, hours, seed, truth, aws)
    designs = [
        ("product", product.result, product),
        ("polling", per_job_polling(truth), None),
        ("chain", recheck_chain(truth), None),
    ]
    states = sum(len(job.states) for job in truth.jobs.values())
    rows = []
    for key, result, run in designs:
        window_hours = result.window_seconds / 3600
        traffic = _traffic(key, result, run)
        idle = control_cost(idle_month(key))
        idle_window = control_cost(idle_month(key)) * result.window_seconds / MONTH_SECONDS
        marginal = max(0.0, control_cost(traffic) - idle_window)
        rows.append(
            {
                "design": result.name,
                # a state never archived counts as infinitely late
                "terminal": summarise(result.terminal_lags, result.missed_terminal),
                "intermediate": summarise(result.intermediate_lags, result.missed_intermediate),
                "alerts": summarise(product.alert_lags) if run is not None else None,
                "missed_terminal": result.missed_terminal,
                "missed_intermediate": result.missed_intermediate,
                "describes_per_job": result.describes_per_job,
                "jobs_over_describe_budget": len(over_budget(result, truth)),
                "list_calls_per_hour": result.list_calls_per_hour,
                "invocations_per_hour": result.invocations_per_hour,
                "window_hours": window_hours,
                "idle_usd_per_month": idle,
                "usd_per_million_states": marginal / max(1, result.states_archived) * 1e6,
            }
        )
    return {
        "jobs": len(truth.jobs),
        "states": states,
        "events": len(truth.events),
        "hours": truth.end / 3600,
        "product_missed_alerts": product.missed_alerts,
        "product_missed_states": product.missed_states,
        "product_describes": product.result.describes,
        "product_states_archived": product.result.states_archived,
        "mean_describe_budget": sum(describe_budget(truth).values()) / max(1, len(truth.jobs)),
        "product_calls": dict(product.calls),
        "rows": rows,
    }


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "-"
    return "never" if value == float("inf") else f"{value:.{digits}f}"


def print_table(report: dict[str, Any]) -> None:
    print(
        f"{report['jobs']} jobs, {report['states']} distinct states, {report['events']} events "
        f"(each delivered twice, shuffled, to the product), {report['hours']:.1f} simulated hours"
    )
    header = ["design", "terminal p50/p95/max s", "intermediate p50/p95/max s", "missed t/i", "describes/job",
              "jobs > budget", "list/h", "invocations/h", "idle $/month", "$/M states"]  # fmt: skip
    lines = [header]
    for row in report["rows"]:
        t, i = row["terminal"], row["intermediate"]
        lines.append(
            [
                row["design"],
                f"{_fmt(t['p50'])}/{_fmt(t['p95'])}/{_fmt(t['max'])}",
                f"{_fmt(i['p50'])}/{_fmt(i['p95'])}/{_fmt(i['max'])}",
                f"{row['missed_terminal']}/{row['missed_intermediate']}",
                _fmt(row["describes_per_job"], 1),
                str(row["jobs_over_describe_budget"]),
                _fmt(row["list_calls_per_hour"], 1),
                _fmt(row["invocations_per_hour"], 1),
                _fmt(row["idle_usd_per_month"], 2),
                _fmt(row["usd_per_million_states"], 2),
            ]
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    product = report["rows"][0]
    alerts = product["alerts"]
    print(
        f"product alerts (Failed jobs): p50 {_fmt(alerts['p50'])} s, p95 {_fmt(alerts['p95'])} s, "
        f"max {_fmt(alerts['max'])} s; missed {report['product_missed_alerts']}"
    )
    print(
        f"product describes: {report['product_describes']}, of which {report['product_states_archived']} archived "
        f"a new state; describe budget (distinct states + 2) averages {report['mean_describe_budget']:.1f} per job"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the report as JSON (for devtools/bench/__main__.py)")
    args = parser.parse_args(argv)
    report = comparison(args.jobs, args.hours, args.seed)
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
