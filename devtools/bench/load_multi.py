"""`make load-multi`: `make load` across an organisation (issue 14): 10,000 SageMaker events from three
accounts in two Regions each, through the deployed hub and spoke stacks, locally.

Each source's simulator plays its share of the jobs, with the same job names in every source
(`load-00000`, ...). Events go on each source's own default bus; the spoke stacks' rules forward them to
the hub's central bus (under its policy); the archiver and the sweep read each spoke through its reader
role. Checks: every job of every source archived once at its final state, its colliding names kept apart,
each S3 object written once, one alert per failed job (per source), one state-change event per archived
state, nothing left in the queues, nothing refused by the bus.
"""

from __future__ import annotations

import contextlib
import io
import logging
import random
import sys
import time
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta

from automl_archive.contracts import stack_outputs as outputs
from automl_archive.contracts.settings import SPOKE_CALLS_PER_SECOND
from devtools.bench.load import WAVE, EventsCheck, archive_snapshot, build_events, run_from_command_line
from devtools.emulator.aws import LocalAws
from devtools.emulator.call_counter import CallCounter
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.cross_account import REFUSED
from devtools.emulator.demo import EVERY_STATE_CHANGE, archived_state_ids
from devtools.emulator.events import AlertsInbox, EventsInbox
from devtools.emulator.multi_account import LOAD_SPOKES, MultiAccountWorld, Source, multi_account_world
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from infra.config import SWEEP_HANDLER

QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"}
# The per-account cap on SageMaker requests to a spoke (`spoke_calls_per_second`, default 5) waits in real
# time: at 5 the run is bounded by it (~8,000 spoke requests over 3 accounts, more than 10 minutes), not by
# the archive. The test is about nothing lost or duplicated, so it runs at the setting's maximum; the cap
# itself is tested in tests/integration/test_spoke_gateways.py.
SPOKE_CAP = {SPOKE_CALLS_PER_SECOND.env: str(SPOKE_CALLS_PER_SECOND.maximum)}


def build_stream(
    world: MultiAccountWorld, jobs: int, events: int, rng: random.Random
) -> tuple[list, dict[str, str], dict[str, tuple[Source, str]]]:
    """Every source plays its share of `jobs` (`load.build_events`, the same names in each) and keeps its
    share of `events`; the sources' streams are shuffled together. `final` and `where` are by job key."""
    stream: list = []
    final: dict[str, str] = {}
    where: dict[str, tuple[Source, str]] = {}
    sources = list(world.simulators)
    for index, source in enumerate(sources):
        share_jobs = jobs // len(sources) + (index < jobs % len(sources))
        share_events = events // len(sources) + (index < events % len(sources))
        produced, outcomes = build_events(world.simulators[source], share_jobs, share_events, rng)
        stream += produced
        final.update({source.job_key(name): outcome for name, outcome in outcomes.items()})
        where.update({source.job_key(name): (source, name) for name in outcomes})
    rng.shuffle(stream)
    return stream, final, where


def run(jobs: int, events: int, seed: int) -> int:
    logging.getLogger("moto").setLevel(logging.ERROR)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    clock = SimulatedClock(start=start)
    refused_before = len(REFUSED)
    with LocalAws() as aws, SqsClock() as sqs_clock:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            world_context = multi_account_world(aws, clock, spokes=LOAD_SPOKES)
            world = world_context.__enter__()
        try:
            hub = world.hub
            pipeline = LambdaPipeline.for_function(
                aws, hub.function(), sqs_clock=sqs_clock, simulator=world.hub_simulator
            )
            pipeline.environment.update({**QUIET, **SPOKE_CAP})
            sweep = ScheduledFunction.of(aws, hub, SWEEP_HANDLER)
            sweep.environment.update({**QUIET, **SPOKE_CAP})
            pipeline.on_schedule([sweep])
            inbox = AlertsInbox(aws, hub.output("AlertsTopicArn"))
            state_changes = EventsInbox(aws, hub.output(outputs.STATE_CHANGE_EVENT_BUS_ARN), EVERY_STATE_CHANGE)
            stream, final, where = build_stream(world, jobs, events, random.Random(seed))
            print(
                f"{len(stream)} events for {len(final)} jobs in {len(world.simulators)} sources "
                f"({len({s.account_id for s in world.simulators})} accounts), in waves of {WAVE}..."
            )
            with CallCounter() as calls, contextlib.redirect_stdout(io.StringIO()):
                began = time.perf_counter()
                for offset in range(0, len(stream), WAVE):
                    world.publish(stream[offset : offset + WAVE])
                    pipeline.drain()
                    state_changes.read()
                pipeline.run_until_idle(max_simulated_seconds=24 * 3600, max_iterations=20_000)
                elapsed = time.perf_counter() - began
            inbox.read()
            state_changes.read()
            archived = archived_state_ids(aws, hub.output(outputs.ARCHIVE_BUCKET_NAME))
            check = EventsCheck(
                published=Counter(state_changes.state_ids()),
                archived=archived,
                put_retries=calls.retries("eventbridge.PutEvents"),
            )
            refused = len(REFUSED) - refused_before
            return report(aws, world, pipeline, inbox, (final, where), elapsed, len(stream), check, refused)
        finally:
            world_context.__exit__(None, None, None)


def report(
    aws: LocalAws,
    world: MultiAccountWorld,
    pipeline: LambdaPipeline,
    inbox: AlertsInbox,
    jobs: tuple[dict[str, str], dict[str, tuple[Source, str]]],
    elapsed: float,
    events: int,
    state_changes: EventsCheck,
    refused: int,
) -> int:
    final, where = jobs
    states, versions, depth = archive_snapshot(aws, world.hub)
    alerts = Counter(
        (a.attributes.get("account_id"), a.attributes.get("region"), a.attributes.get("job_name"))
        for a in inbox.received
    )
    failed = {
        (where[key][0].account_id, where[key][0].region, where[key][1])
        for key, outcome in final.items()
        if outcome == "Failed"
    }
    per_source = Counter(where[key][0] for key in states if key in where)
    colliding = "load-00000"
    stats = pipeline.stats
    checks = {
        "every job archived at its final state": all(states.get(key) == outcome for key, outcome in final.items()),
        "one state item per job, nothing else archived": set(states) == set(final),
        "every source present": set(per_source) == set(world.simulators),
        f"colliding name {colliding} archived apart in every source": all(
            source.job_key(colliding) in states for source in world.simulators
        ),
        "each S3 object written once": all(count == 1 for count in versions.values()),
        "one alert per failed job and source, none for others": set(alerts) == failed and set(alerts.values()) <= {1},
        "work queue and DLQ empty": set(depth.values()) == {0},
        "no failed record, no handler error": stats.failed_records == 0 and stats.handler_errors == 0,
        "one state-change event per archived state": state_changes.passed,
        "no event refused by the hub's bus": refused == 0,
    }
    print(f"\nrecords handled: {stats.records} (events {events} + sweep references), invocations: {stats.invocations}")
    print(
        f"wall time: {elapsed:.1f} s; {1000 * elapsed / stats.records:.2f} ms per record; "
        f"{stats.records / elapsed:.0f} records/s"
    )
    print("jobs archived per source: " + ", ".join(f"{source}: {count}" for source, count in per_source.items()))
    print(f"S3 objects: {len(versions)}; alerts: {sum(alerts.values())} for {len(failed)} failed jobs")
    print(f"state-change events: {state_changes.summary()}")
    print("\nChecks:")
    for name, ok in checks.items():
        print(f"  {'ok    ' if ok else 'FAILED'} {name}")
    passed = sum(checks.values())
    print(f"load-multi: {passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(__doc__, run, argv)


if __name__ == "__main__":
    sys.exit(main())
