"""`make local`: the stack deployed into the local emulator, seeded with sample jobs, kept running.

The operator command (`automl-archive`) works against it from another shell once the printed `export`
line is run there: status, backfill, redrive, archive, query. The archiver drains the work queue every
second and the reconcile sweep runs every minute, as deployed; new jobs can be played with
`--jobs-every` (one more sample history every N seconds). Ctrl-C stops it (nothing is kept: moto
holds everything in memory).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import signal
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from types import FrameType

from automl_archive.contracts import stack_outputs as outputs
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import FAKE_CREDENTIALS, REGION, LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.events import put_events
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import completing_job, demo_histories, failing_job, schedule_all
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.stack import deploy_stack
from infra.config import SWEEP_HANDLER

DEFAULT_PORT = 5599
SWEEP_EVERY_SECONDS = 60  # the stack's schedule (sweep_interval_minutes = 1)
READY = "local stack ready"  # printed once the export line is valid (tests wait for it)


def export_line(endpoint_url: str, stack_name: str) -> str:
    """The one line that points `automl-archive` (and any AWS SDK or CLI) at the local stack."""
    variables = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": REGION,
        "AUTOML_ARCHIVE_STACK": stack_name,
    }
    return "export " + " ".join(f"{name}={value}" for name, value in variables.items())


class _Stop:
    """SIGINT and SIGTERM end the loop between two steps (the server stops cleanly)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True


def run(port: int, seconds: float | None, jobs_every: float | None) -> int:
    stop = _Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The functions read simulated time that starts two hours back, so the seeded histories have played
    # out by the time the prompt appears; from then on it moves with the real clock.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with (
        LocalAws(port=port) as aws,
        AutopilotSimulator(clock=SimulatedClock(start=start)) as simulator,
        SqsClock() as sqs_clock,
    ):
        print(f"moto server: {aws.endpoint_url}; deploying the stack...", flush=True)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stack = deploy_stack(aws)
        quiet = {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"}
        function_log = io.StringIO()  # the functions' own logs: not the operator's terminal
        pipeline = LambdaPipeline.for_function(
            aws, stack.function(), sqs_clock=sqs_clock, simulator=simulator,
            publish_events=lambda events: put_events(aws, events), function_output=function_log,
        )  # fmt: skip
        pipeline.environment.update(quiet)
        sweep = ScheduledFunction.of(aws, stack, SWEEP_HANDLER)
        sweep.environment.update(quiet)
        sweep.function_output = function_log
        pipeline.on_schedule([sweep])
        schedule_all(simulator, demo_histories())
        pipeline.run_until_idle(max_simulated_seconds=2 * 3600)
        played = len(simulator.jobs)
        print(f"stack {stack.stack_name} deployed; {played} sample AutoML jobs archived.")
        print("In another shell, point automl-archive at it:\n")
        print(f"  {export_line(aws.endpoint_url, stack.stack_name)}\n")
        print("  automl-archive status")
        print("  automl-archive backfill --since 2026-01-01 --dry-run")
        print(f"\nAlerts topic: {stack.output(outputs.ALERTS_TOPIC_ARN)}")
        print(f"{READY}; Ctrl-C stops it.", flush=True)
        began = last_sweep = last_job = time.monotonic()
        while not stop.requested and (seconds is None or time.monotonic() - began < seconds):
            time.sleep(1)
            pipeline.advance(1)  # simulated time moves with the real clock; due history steps run
            pipeline.drain()
            now = time.monotonic()
            if now - last_sweep >= SWEEP_EVERY_SECONDS:
                sweep.invoke()
                pipeline.drain()
                last_sweep = now
            if jobs_every and now - last_job >= jobs_every:
                played += 1
                history = (failing_job if played % 3 == 0 else completing_job)(f"local-job-{played:03d}")
                schedule_all(simulator, [history])
                last_job = now
        print("stopped; the local stack is gone (moto keeps nothing).", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the moto server's port (0: any free one)")
    parser.add_argument("--seconds", type=float, help="stop after this long (default: run until Ctrl-C)")
    parser.add_argument("--jobs-every", type=float, help="play one more sample job every N seconds")
    args = parser.parse_args(argv)
    return run(args.port, args.seconds, args.jobs_every)


if __name__ == "__main__":
    sys.exit(main())
