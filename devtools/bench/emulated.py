"""AWS calls per archived job state and the backfill rate, against the deployed stack in the local emulator.

Calls: the stack is deployed into moto as `devtools/bench/load.py` does; `CallCounter` is installed before
the pipeline's cold start (so the archiver's lazily created clients are counted) and a second
before-call hook classifies DynamoDB UpdateItem requests by what they do. The demo histories are
played to their end, then every event is replayed three times, shuffled: the replay must add no
describe call. States archived = distinct raw/ objects.

Backfill: the product's fast path (`backfill --direct`: archives from this machine on a thread pool
with the product's own JobArchiver) against a plain sequential boto3 loop doing the same work
(list, describe, list candidates, write raw + record + leaderboard objects and the state item) on
two sets of historical Completed jobs of the same size; then `--rate R` on a third set, with the
time of every SageMaker request recorded after the limiter let it through.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import subprocess
import sys
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.archive_layout import CANDIDATES_PREFIX, CHILD_JOBS_PREFIX, RAW_PREFIX
from automl_archive.contracts.job_table import EVENT_DUE_ATTRIBUTE, PENDING_EVENTS_ATTRIBUTE
from devtools.bench.common import LAMBDAS_DIR, REPO_ROOT
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws, network_latency
from devtools.emulator.call_counter import CallCounter
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.events import AlertsInbox, put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import all_events, demo_histories, replay_shuffled, schedule_all
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.stack import DeployedStack, deploy_stack
from infra.config import SWEEP_HANDLER

QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"}


def update_kind(params: dict[str, Any]) -> str:
    """What an UpdateItem request does, from the attributes it names (see dal/aws/job_store.py)."""
    expression = str(params.get("UpdateExpression", ""))
    names = set((params.get("ExpressionAttributeNames") or {}).values())
    if expression.startswith("ADD seen_events"):
        return "duplicate-event fingerprint"
    if any(name.endswith("_owner") for name in names):
        return "alert claim"
    if any(name.endswith("_sent_at") for name in names):
        return "alert sent mark"
    if "value" in names:
        return "watermark"
    if "ordering" in names:
        return "state write"
    if names & {PENDING_EVENTS_ATTRIBUTE, EVENT_DUE_ATTRIBUTE}:
        return "state-change event bookkeeping"  # an event the bus accepted, removed from the state
    return "other"


class UpdateClassifier:
    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()

    def __call__(self, event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        if event_name.endswith("UpdateItem"):
            self.kinds[update_kind(params or {})] += 1

    def install(self) -> None:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register(
            "provide-client-params.dynamodb.UpdateItem", self, unique_id="bench-classifier"
        )


def list_keys(aws: LocalAws, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def archiver_calls(counts: Counter[str]) -> dict[str, int]:
    """The archiver's calls only: EventBridge PutEvents is the test driver's."""
    return {kind: count for kind, count in sorted(counts.items()) if not kind.startswith(("events.", "eventbridge."))}


def measure_calls(
    aws: LocalAws, stack: DeployedStack, simulator: AutopilotSimulator, sqs_clock: SqsClock
) -> dict[str, Any]:
    inbox = AlertsInbox(aws, stack.output("AlertsTopicArn"))  # its client predates the counter
    pipeline = LambdaPipeline.for_function(
        aws,
        stack.function(),
        sqs_clock=sqs_clock,
        simulator=simulator,
        publish_events=lambda events: put_events(aws, events),
    )
    pipeline.environment.update(QUIET)
    sweep = ScheduledFunction.of(aws, stack, SWEEP_HANDLER)  # every minute: finds what no event announces
    sweep.environment.update(QUIET)
    pipeline.on_schedule([sweep])
    histories = demo_histories()
    schedule_all(simulator, histories)
    classifier = UpdateClassifier()
    with CallCounter() as calls:
        classifier.install()
        with contextlib.redirect_stdout(io.StringIO()):
            pipeline.run_until_idle(max_simulated_seconds=12 * 3600)
        first = calls.snapshot()
        updates_first = Counter(classifier.kinds)
        records_first = pipeline.stats.records
        replay = replay_shuffled(all_events(histories), copies=3, seed=42)
        put_events(aws, replay)
        with contextlib.redirect_stdout(io.StringIO()):
            pipeline.run_until_idle(max_simulated_seconds=12 * 3600)
        total = calls.snapshot()
    inbox.read()
    bucket = stack.output(outputs.ARCHIVE_BUCKET_NAME)
    raw = list_keys(aws, bucket, RAW_PREFIX)
    leaderboards = list_keys(aws, bucket, CANDIDATES_PREFIX)
    child_rows = list_keys(aws, bucket, CHILD_JOBS_PREFIX)
    stored = 0
    for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stored += sum(item["Size"] for item in page.get("Contents", []))
    terminal = sum(1 for key in raw if any(s in key for s in ("-Completed", "-Failed", "-Stopped")))
    replay_added = total - first
    return {
        "states_archived": len(raw),
        "stored_bytes": stored,
        "terminal_states": terminal,
        "leaderboard_objects": len(leaderboards),
        "child_job_objects": len(child_rows),
        "child_jobs": len(simulator.children),  # tuning jobs too: the resolver proves each with one describe
        "alerts": len(inbox.received),
        "records_first_run": records_first,
        "records_replay": pipeline.stats.records - records_first,
        "replayed_events": len(replay),
        "calls_first_run": archiver_calls(first),
        "update_kinds_first_run": dict(updates_first),
        "calls_added_by_replay": archiver_calls(replay_added),
        "update_kinds_added_by_replay": dict(classifier.kinds - updates_first),
        "simulator_calls": dict(simulator.calls),
    }


def make_completed_jobs(simulator: AutopilotSimulator, prefix: str, count: int) -> list[str]:
    names = [f"{prefix}{index:04d}" for index in range(count)]
    for name in names:
        simulator.create_job(name)
        simulator.complete(name)
    return names


def child(aws: LocalAws, *argv: str) -> dict[str, Any]:
    """Run a client in its own process (devtools/bench/backfill_child.py): the moto server keeps this one's GIL."""
    environment = {**os.environ, **aws.environment(), "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{LAMBDAS_DIR}"}
    completed = subprocess.run(
        [sys.executable, "-m", "devtools.bench.backfill_child", *argv],
        env=environment, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"backfill client failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


SAGEMAKER_LATENCY_SECONDS = 0.05  # assumed answer time of a SageMaker Describe/List call
NETWORK_LATENCY_SECONDS = 0.015  # assumed round trip of a DynamoDB, S3, SQS or SNS call


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def measure_backfill(
    aws: LocalAws,
    stack: DeployedStack,
    simulator: AutopilotSimulator,
    jobs: int,
    workers: int,
    rate: float,
    rate_jobs: int,
) -> dict[str, Any]:
    make_completed_jobs(simulator, "bfloop-", jobs)
    make_completed_jobs(simulator, "bfdirect-", jobs)
    make_completed_jobs(simulator, "bfrate-", rate_jobs)
    # A backfill is bound by AWS's answer times, which moto and the simulator would otherwise skip:
    # every call waits a network-like latency, SageMaker's longer (assumptions, docs/performance.md),
    # so the sequential loop and the concurrent command are compared on what dominates in AWS.
    simulator.latency_seconds = SAGEMAKER_LATENCY_SECONDS - NETWORK_LATENCY_SECONDS
    stack_options = [
        "--bucket",
        stack.output(outputs.ARCHIVE_BUCKET_NAME),
        "--table",
        stack.output(outputs.JOBS_TABLE_NAME),
    ]
    with network_latency(NETWORK_LATENCY_SECONDS):
        loop = child(aws, "loop", "bfloop-", *stack_options)
        direct = child(aws, "cli", "bfdirect-", "--stack-name", stack.stack_name, "--workers", str(workers))
        capped = child(
            aws, "cli", "bfrate-", "--stack-name", stack.stack_name, "--workers", str(workers), "--rate", f"{rate:g}"
        )
    simulator.latency_seconds = 0.0
    if loop["jobs"] != jobs or direct["code"] != 0 or capped["code"] != 0:
        raise RuntimeError(f"backfill runs failed: loop {loop['jobs']}, direct {direct}, capped {capped['code']}")
    sent = capped["sent"]
    span = sent[-1] - sent[0] if len(sent) > 1 else math.inf
    return {
        "jobs": jobs,
        "workers": workers,
        "loop_jobs_per_second": jobs / loop["seconds"],
        "direct_jobs_per_second": jobs / direct["seconds"],
        "direct_sagemaker_requests": direct["requests"],
        "rate_cap": rate,
        "rate_jobs": rate_jobs,
        "rate_requests": len(sent),
        "rate_achieved": (len(sent) - 1) / span,
        "rate_max_in_1s": max_in_window(sent),
    }


def measure(jobs: int, workers: int, rate: float, rate_jobs: int) -> dict[str, Any]:
    logging.getLogger("moto").setLevel(logging.ERROR)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    with (
        LocalAws() as aws,
        AutopilotSimulator(clock=SimulatedClock(start=start)) as simulator,
        SqsClock() as sqs_clock,
    ):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stack = deploy_stack(aws)
        calls = measure_calls(aws, stack, simulator, sqs_clock)
        backfill = measure_backfill(aws, stack, simulator, jobs, workers, rate, rate_jobs)
    return {"calls": calls, "backfill": backfill}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--rate-jobs", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    result = measure(args.jobs, args.workers, args.rate, args.rate_jobs)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
