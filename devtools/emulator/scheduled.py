"""Scheduled functions run in-process on simulated time (moto cannot invoke Lambda targets), each
invocation (cold start included) as the function's execution role, read from moto's IAM at cold start."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any, TextIO

from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.faults import SimulatedCrash
from devtools.emulator.function_output import output_to
from devtools.emulator.iam.policies import Principal
from devtools.emulator.lambda_runtime import Handler, LambdaContext, import_handler, running_as
from devtools.emulator.simulated_time import WallClock, functions_read_time
from devtools.emulator.stack import DeployedStack, FunctionInfo, role_principal

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(schedule_expression: str) -> int:
    match = _RATE.match(schedule_expression.strip())
    if not match:
        raise ValueError(f"only rate(...) schedules are emulated, got {schedule_expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class ScheduledFunction:
    """A deployed function that an EventBridge schedule would invoke, run like a warm Lambda."""

    def __init__(self, aws: LocalAws, function: FunctionInfo, interval_seconds: int) -> None:
        self.aws = aws
        self.function = function
        self.interval_seconds = interval_seconds
        self.environment = dict(function.environment)
        self.invocations = 0
        self.results: list[Any] = []
        self.errors: list[str] = []  # scheduled runs that raised or crashed (EventBridge runs the next one)
        self._handler: Handler | None = None
        self.principal: Principal | None = None
        self.wall_clock: WallClock | None = None  # what the function reads as now (None: the real clock)
        self.function_output: TextIO | None = None  # where its stdout/stderr go (None: unchanged)
        self._since_last_run = 0.0

    @classmethod
    def from_stack(cls, aws: LocalAws, stack: DeployedStack) -> list[ScheduledFunction]:
        """Every function a schedule targets, with the schedule's interval."""
        by_arn = {info.arn: info for info in stack.functions.values()}
        return [
            cls(aws, by_arn[target.function_arn], rate_seconds(target.schedule_expression or ""))
            for target in stack.scheduled_targets
            if target.function_arn in by_arn
        ]

    @classmethod
    def of(cls, aws: LocalAws, stack: DeployedStack, handler: str) -> ScheduledFunction:
        """The one scheduled function whose handler is ``handler`` (infra/config.py names them)."""
        (found,) = [scheduled for scheduled in cls.from_stack(aws, stack) if scheduled.function.handler == handler]
        return found

    def invoke(self, event: dict[str, Any] | None = None) -> Any:
        """One invocation with ``event`` (default: the schedule's "Scheduled Event")."""
        if self._handler is None:
            os.environ.update(self.environment)
            os.environ.update(self.aws.environment())
            self.principal = role_principal(self.aws, self.function) if self.function.role_arn else None
            with running_as(self.principal), output_to(self.function_output):
                self._handler = import_handler(self.function.handler, cold=True)
        context = LambdaContext(
            function_name=self.function.name,
            memory_limit_in_mb=self.function.memory_mb,
            invoked_function_arn=self.function.arn,
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=self.function.timeout_seconds,
        )
        event = (
            event
            if event is not None
            else {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": ACCOUNT_ID,
                "region": REGION,
                "resources": [],
                "detail": {},
            }
        )
        self.invocations += 1
        with running_as(self.principal), functions_read_time(self.wall_clock), output_to(self.function_output):
            result = self._handler(event, context)
        self.results.append(result)
        return result

    def restart(self) -> None:
        """The next invocation is a cold start (re-reads the environment and the role)."""
        self._handler = None

    def seconds_until_next_run(self) -> float:
        return max(0.0, self.interval_seconds - self._since_last_run)

    def _scheduled_invoke(self) -> None:
        """A run the schedule started: a failure is the run's own (Lambda retries an asynchronous
        invocation twice, then drops it), and the next scheduled run starts as usual."""
        try:
            self.invoke()
        except SimulatedCrash as crash:  # the process died: the next run is a cold start
            self.errors.append(str(crash))
            self._handler = None
        except Exception as error:  # any error of the run is that run's result
            self.errors.append(f"{type(error).__name__}: {error}")

    def elapse(self, seconds: float) -> int:
        """Simulated time passed: run once per interval crossed; returns the runs made."""
        self._since_last_run += seconds
        runs = 0
        while self._since_last_run >= self.interval_seconds:
            self._since_last_run -= self.interval_seconds
            self._scheduled_invoke()
            runs += 1
        return runs
