"""The demo's multi-account part (issue 14, docs/multi-account.md): the hub and its spokes in moto
(`multi_account`), the demo histories played in all five sources, with the same job names in each."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TextIO

from automl_archive.contracts import stack_outputs as outputs
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.cross_account import REFUSED, forward_events
from devtools.emulator.demo import job_states, plain, section, table
from devtools.emulator.events import AlertsInbox
from devtools.emulator.multi_account import OUTSIDER, SOURCES, SPOKE_A, Source, multi_account_world
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import demo_histories
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from infra.config import SWEEP_HANDLER

MAX_SIMULATED_SECONDS = 12 * 3600
COLLIDING = "fraud-v1-fails"


def play_multi_account(function_log: TextIO) -> int:
    """Deploy the hub and its spokes in a fresh moto, play the demo histories in every source, print what
    the hub archived and check it. Returns 0 when every check passed."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    logging.getLogger("moto").setLevel(logging.ERROR)
    with LocalAws() as aws, SqsClock() as sqs_clock:
        aws.reset()  # the single-account part's stack lives in the same in-process backends
        section("Multi-account: a hub, spoke A, spoke B in two Regions, the hub's second Region")
        print("deploying the hub stack and the spoke stack into four account-Regions (CloudFormation in moto)...")
        with multi_account_world(aws, SimulatedClock(start=start)) as world:
            hub = world.hub
            pipeline = LambdaPipeline.for_function(
                aws, hub.function(), sqs_clock=sqs_clock, simulator=world.hub_simulator,
                publish_events=world.publish, function_output=function_log,
            )  # fmt: skip
            sweep = ScheduledFunction.of(aws, hub, SWEEP_HANDLER)
            sweep.function_output = function_log
            pipeline.on_schedule([sweep])
            alerts = AlertsInbox(aws, hub.output(outputs.ALERTS_TOPIC_ARN))
            for index, source in enumerate(SOURCES):
                world.schedule(source, demo_histories(), offset_seconds=index * 20)
            pipeline.run_until_idle(max_simulated_seconds=MAX_SIMULATED_SECONDS)
            states = job_states(aws, hub.output(outputs.JOBS_TABLE_NAME))
            received = alerts.read()

            def status(source: Source, name: str) -> str:
                return plain(states.get(source.job_key(name), {}).get("status"))

            names = sorted({h.job_name for h in demo_histories() if h.api != "none"})
            table(
                ["source", *names],
                [[str(source), *(status(source, name) or "-" for name in names)] for source in SOURCES],
            )
            print(f"\nthe name {COLLIDING} in two accounts, two job keys:")
            table(
                ["job key (DynamoDB, S3)", "account", "region", "status"],
                [
                    [source.job_key(COLLIDING), source.account_id, source.region, status(source, COLLIDING)]
                    for source in (SOURCES[0], SPOKE_A)
                ],
            )
            spoke_alert = next((a for a in received if a.attributes.get("account_id") == SPOKE_A.account_id), None)
            print(f"\nan alert from spoke A: {spoke_alert.subject if spoke_alert else 'none'}")

            # An account outside the organisation and the registry: the hub's bus refuses its event.
            refused_before = len(REFUSED)
            stranger = AutopilotSimulator(clock=world.hub_simulator.clock, account_id=OUTSIDER, region="eu-west-1")
            stranger.create_job(COLLIDING)
            delivered = forward_events([stranger.creation_event(COLLIDING)], world.hub_bus_arn)
            pipeline.drain()
            print(f"an event from account {OUTSIDER} (not admitted): delivered {delivered}, refused by the bus policy")

            per_source = Counter(
                source
                for source in SOURCES
                for name in names
                if status(source, name) in ("Completed", "Failed", "Stopped")
            )
            failed_alerts = {(a.attributes.get("account_id"), a.attributes.get("region")) for a in received}
            checks = [
                ("every source's four AutoML jobs archived", all(per_source[s] == len(names) for s in SOURCES)),
                ("the colliding name is two jobs",
                 status(SOURCES[0], COLLIDING) == status(SPOKE_A, COLLIDING) == "Failed"),
                ("one alert per source's failed job", len(received) == len(SOURCES)
                 and failed_alerts == {(s.account_id, s.region) for s in SOURCES}),
                ("the alert names the account's alias", bool(spoke_alert and "team-a" in (spoke_alert.subject or ""))),
                ("the outsider's event was refused", delivered == 0 and len(REFUSED) == refused_before + 1),
                ("no failed record, no handler error",
                 pipeline.stats.failed_records == 0 and pipeline.stats.handler_errors == 0),
            ]  # fmt: skip
    section("Multi-account checks")
    table(["check", "result"], [[name, "ok" if passed else "FAILED"] for name, passed in checks])
    failed = [name for name, passed in checks if not passed]
    print(f"{len(checks) - len(failed)}/{len(checks)} ok")
    return 1 if failed else 0
