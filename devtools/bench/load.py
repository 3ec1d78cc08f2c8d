"""`make load`: 10,000 SageMaker events for 1,000 AutoML jobs through the deployed stack, locally.

Events go on the bus, the stack's own rules route them to the work queue, the archiver drains it
in-process (moto server, Autopilot simulator). Checks: every job archived once at its final state,
each S3 object written once, one alert per failed job, one state-change event per archived state,
nothing left in the queues. Prints the time, the per-record cost and the AWS calls made, by kind.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import random
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.job_table import PARTITION_KEY, SORT_KEY, STATE_SORT_KEY, job_key_of
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.call_counter import CallCounter
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.demo import EVERY_STATE_CHANGE, archived_state_ids
from devtools.emulator.events import AlertsInbox, EventsInbox, put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.stack import deploy_stack
from infra.config import SWEEP_HANDLER

WAVE = 500


@dataclass(frozen=True)
class EventsCheck:
    """The state-change events a user's rule received against the states the archive wrote."""

    published: Counter[str]  # state_id -> events received
    archived: list[str]
    put_retries: int  # PutEvents attempts the SDK retried: each may have put its event twice (docs/events.md)

    @property
    def missing(self) -> set[str]:
        return set(self.archived) - set(self.published)

    @property
    def unarchived(self) -> set[str]:
        return set(self.published) - set(self.archived)

    @property
    def repeated(self) -> int:
        return sum(count - 1 for count in self.published.values())

    @property
    def passed(self) -> bool:
        """Every archived state's event, none for anything else, and a repeat only where the SDK retried
        a put (a timed-out attempt the bus had accepted): the at-least-once delivery the docs promise."""
        return not self.missing and not self.unarchived and self.repeated <= self.put_retries

    def summary(self) -> str:
        return (
            f"{sum(self.published.values())} events for {len(self.archived)} archived states: "
            f"{len(self.missing)} missing, {len(self.unarchived)} for no archived state, {self.repeated} repeated "
            f"(the SDK retried {self.put_retries} puts)"
        )


OUTCOMES = ("Completed",) * 6 + ("Failed",) * 2 + ("Stopped",) * 2


def build_events(simulator: AutopilotSimulator, jobs: int, events: int, rng: random.Random) -> tuple[list, dict]:
    """Play every job to its end in the simulator and keep `events` of their events in all.

    Each job keeps a random share of its own events (at least one), then EventBridge-style duplicates
    fill the stream up to `events`; the stream is shuffled.
    """
    per_job: list[list[dict[str, Any]]] = []
    final: dict[str, str] = {}
    for index in range(jobs):
        name = f"load-{index:05d}"
        outcome = OUTCOMES[index % len(OUTCOMES)]
        simulator.create_job(name, api="v2" if index % 3 == 0 else "v1")
        job_events = [simulator.creation_event(name)]
        job_events += simulator.analyze_data(name) + simulator.engineer_features(name)
        if outcome == "Stopped":
            job_events += simulator.request_stop(name) + simulator.finish_stop(name)
        else:
            job_events += simulator.tune_models(name)
            job_events += simulator.fail(name) if outcome == "Failed" else simulator.finish_tuning(name)
            if outcome == "Completed":
                simulator.complete(name)
        simulator.clock.advance(1)
        per_job.append(job_events)
        final[name] = outcome
    share = min(1.0, 0.8 * events / max(1, sum(len(job_events) for job_events in per_job)))
    produced = [
        event for job_events in per_job for event in rng.sample(job_events, max(1, round(len(job_events) * share)))
    ][:events]
    while len(produced) < events:  # EventBridge's duplicates
        produced.append(rng.choice(produced))
    rng.shuffle(produced)
    return produced, final


def run(jobs: int, events: int, seed: int) -> int:
    logging.getLogger("moto").setLevel(logging.ERROR)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    with (
        LocalAws() as aws,
        AutopilotSimulator(clock=SimulatedClock(start=start)) as simulator,
        SqsClock() as sqs_clock,
    ):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stack = deploy_stack(aws)
        pipeline = LambdaPipeline.for_function(aws, stack.function(), sqs_clock=sqs_clock, simulator=simulator)
        quiet = {
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        pipeline.environment.update(quiet)
        # The reconcile sweep on its schedule: it archives the final states no event announced.
        sweep = ScheduledFunction.of(aws, stack, SWEEP_HANDLER)
        sweep.environment.update(quiet)
        pipeline.on_schedule([sweep])
        inbox = AlertsInbox(aws, stack.output("AlertsTopicArn"))
        # A user's rule for every AutoML Job State Change event the archive publishes.
        state_changes = EventsInbox(aws, stack.output(outputs.STATE_CHANGE_EVENT_BUS_ARN), EVERY_STATE_CHANGE)
        stream, final = build_events(simulator, jobs, events, random.Random(seed))
        print(f"{len(stream)} events for {len(final)} jobs, through EventBridge in waves of {WAVE}...")
        # Powertools prints EMF metric batches to stdout as it would to CloudWatch Logs: keep them out.
        with CallCounter() as calls, contextlib.redirect_stdout(io.StringIO()):
            began = time.perf_counter()
            # Waves keep moto's queue short: its SQS recounts every message on each send and receive
            # (quadratic in the queue's depth), a cost of the emulator, not of the product.
            for offset in range(0, len(stream), WAVE):
                put_events(aws, stream[offset : offset + WAVE])
                pipeline.drain()
                # The user's queue is read as a consumer would, and kept short for the same reason: each
                # of the archiver's PutEvents sends to it, inside the archiver's 2 s EventBridge budget.
                state_changes.read()
            pipeline.run_until_idle(max_simulated_seconds=24 * 3600, max_iterations=20_000)
            elapsed = time.perf_counter() - began
        inbox.read()
        state_changes.read()
        archived = archived_state_ids(aws, stack.output(outputs.ARCHIVE_BUCKET_NAME))
        return report(
            aws, stack, pipeline, inbox, final, calls.snapshot(), simulator.calls, elapsed, len(stream),
            state_changes=EventsCheck(
                published=Counter(state_changes.state_ids()), archived=archived,
                put_retries=calls.retries("eventbridge.PutEvents"),
            ),
        )  # fmt: skip


def report(
    aws,
    stack,
    pipeline,
    inbox,
    final,
    calls: Counter,
    sagemaker_calls: Counter,
    elapsed: float,
    events: int,
    state_changes: EventsCheck,
) -> int:
    states, versions, depth = archive_snapshot(aws, stack)
    alerts = Counter(alert.attributes.get("job_name") for alert in inbox.received)
    failed_jobs = {name for name, outcome in final.items() if outcome == "Failed"}
    stats = pipeline.stats
    checks = {
        "every job archived at its final state": all(states.get(name) == outcome for name, outcome in final.items()),
        "one state item per job, nothing else archived": set(states) == set(final),
        "each S3 object written once": all(count == 1 for count in versions.values()),
        "one alert per failed job, none for others": set(alerts) == failed_jobs and set(alerts.values()) <= {1},
        "work queue and DLQ empty": set(depth.values()) == {0},
        "no failed record, no handler error": stats.failed_records == 0 and stats.handler_errors == 0,
        "one state-change event per archived state": state_changes.passed,
    }
    print(f"\nrecords handled: {stats.records} (events {events} + sweep references), invocations: {stats.invocations}")
    print(f"wall time: {elapsed:.1f} s; {1000 * elapsed / stats.records:.2f} ms per record; "
          f"{stats.records / elapsed:.0f} records/s")  # fmt: skip
    print(f"S3 objects: {len(versions)}; alerts: {sum(alerts.values())} for {len(failed_jobs)} failed jobs")
    print(f"state-change events: {state_changes.summary()}")
    print("\nAWS calls made by the archiver, per kind:")
    merged = Counter({k: v for k, v in calls.items() if not k.startswith("sqs.ReceiveMessage")})
    for kind, count in sorted(merged.items()):
        print(f"  {kind:45s} {count:7d}  ({count / stats.records:.2f} per record)")
    print("\nSageMaker API (simulator view):", dict(sorted(sagemaker_calls.items())))
    print("\nChecks:")
    for name, passed in checks.items():
        print(f"  {'ok    ' if passed else 'FAILED'} {name}")
    passed = sum(checks.values())
    print(f"load: {passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


def archive_snapshot(aws: LocalAws, stack: Any) -> tuple[dict[str, str], Counter[str], dict[str, int]]:
    """After a run: each job key's stored status, the versions written per S3 key, and the depth of the
    work queue and its dead-letter queue (`stack`: a deployed stack, with `output(key)`)."""
    dynamodb, s3 = aws.client("dynamodb"), aws.client("s3")
    states: dict[str, str] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.output(outputs.JOBS_TABLE_NAME)):
        for item in page["Items"]:
            key = job_key_of(item[PARTITION_KEY]["S"])
            if key is not None and item[SORT_KEY]["S"] == STATE_SORT_KEY:
                states[key] = item["status"]["S"]
    versions: Counter[str] = Counter()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=stack.output(outputs.ARCHIVE_BUCKET_NAME)):
        versions.update(v["Key"] for v in page.get("Versions", []))
    depth = {
        key: _depth(aws, stack.output(key))
        for key in (outputs.WORK_QUEUE_URL, outputs.WORK_QUEUE_DEAD_LETTER_QUEUE.url)
    }
    return states, versions, depth


def _depth(aws: LocalAws, queue_url: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return sum(
        int(attributes.get(name, 0))
        for name in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
    )


def run_from_command_line(
    description: str | None, runner: Callable[[int, int, int], int], argv: list[str] | None
) -> int:
    """`--jobs`, `--events`, `--seed` for a load test's `runner(jobs, events, seed)`: load and load-multi."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    return runner(args.jobs, args.events, args.seed)


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
