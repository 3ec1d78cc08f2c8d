"""Run a deployed Lambda function in-process like a warm Lambda fed by its SQS queue.

Each invocation, cold start included, runs as the function's execution role (`devtools.emulator.iam`): a call
its role does not grant is denied as AWS would deny it. The role's policies are read from moto's IAM at
every cold start, as a new execution environment would see them.

Time is simulated (`devtools.emulator.simulated_time`): SQS delays and visibility timeouts elapse on
`advance(seconds)`, which also moves the Autopilot simulator's clock; with scheduled functions attached,
the functions read that clock as the wall clock.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from moto.sqs.models import sqs_backends

from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.event_builders import Event
from devtools.emulator.faults import SimulatedCrash
from devtools.emulator.function_output import output_to
from devtools.emulator.iam.enforcement import ENFORCEMENT
from devtools.emulator.iam.policies import Principal
from devtools.emulator.lambda_runtime import Handler, LambdaContext, import_handler, running_as
from devtools.emulator.simulated_time import SqsClock, WallClock, functions_read_time
from devtools.emulator.sqs_events import failed_message_ids, queue_name_from_arn, sqs_record
from devtools.emulator.stack import FunctionInfo, role_principal

PublishEvents = Callable[[list[Event]], Any]
PrincipalSource = Callable[[], Principal]


@dataclass
class PipelineStats:
    invocations: int = 0
    records: int = 0
    failed_records: int = 0
    handler_errors: int = 0
    events_published: int = 0
    crashes: int = 0
    simulated_seconds: float = 0.0


class LambdaPipeline:
    """A queue-fed function run in-process: receive, invoke, delete or redrive, repeat."""

    def __init__(
        self,
        aws: LocalAws,
        queue_arn: str,
        handler: str | Handler,
        function_name: str = "local-function",
        environment: dict[str, str] | None = None,
        batch_size: int = 10,
        memory_mb: int = 512,
        timeout_seconds: int = 60,
        sqs_clock: SqsClock | None = None,
        simulator: AutopilotSimulator | None = None,
        publish_events: PublishEvents | None = None,
        principal_source: PrincipalSource | None = None,
        function_output: TextIO | None = None,
    ) -> None:
        self.aws = aws
        self.queue_arn = queue_arn
        self.queue_url = aws.client("sqs").get_queue_url(QueueName=queue_name_from_arn(queue_arn))["QueueUrl"]
        self.handler_spec = handler
        self.function_name = function_name
        self.environment = dict(environment or {})
        self.batch_size = batch_size
        self.memory_mb = memory_mb
        self.timeout_seconds = timeout_seconds
        self.sqs_clock = sqs_clock or SqsClock().install()
        self.simulator = simulator
        self.publish_events = publish_events
        self.principal_source = principal_source
        self.function_output = function_output  # where the function's stdout/stderr go (None: unchanged)
        self.principal: Principal | None = None
        self.stats = PipelineStats()
        if principal_source is not None:
            ENFORCEMENT.install()  # before the poller's client is made: clients copy their session's hooks
        self._sqs = aws.client("sqs")
        self._handler: Handler | None = None
        # Functions run on simulated time as it passes (e.g. the reconcile sweep's schedule).
        self.scheduled: list[Any] = []
        # What the functions read as the wall clock (None: the real one).
        self.wall_clock: WallClock | None = None

    @classmethod
    def for_function(cls, aws: LocalAws, function: FunctionInfo, **options: Any) -> LambdaPipeline:
        """The pipeline of a deployed function, fed by its (disabled) SQS event source mapping."""
        if not function.mappings:
            raise ValueError(f"{function.name} has no SQS event source mapping")
        mapping = function.mappings[0]
        as_role = (lambda: role_principal(aws, function)) if function.role_arn else None
        return cls(
            aws,
            queue_arn=mapping.queue_arn,
            handler=options.pop("handler", function.handler),
            function_name=function.name,
            environment=function.environment,
            batch_size=mapping.batch_size,
            memory_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            principal_source=options.pop("principal_source", as_role),
            **options,
        )

    def on_schedule(self, functions: list[Any]) -> None:
        """Run `functions` (ScheduledFunction) on their schedules as simulated time passes; they and
        this pipeline's function read the simulator's clock as the wall clock."""
        clock = self.simulator.clock.now if self.simulator is not None else None
        self.scheduled = list(functions)
        self.wall_clock = clock
        for function in self.scheduled:
            function.wall_clock = clock

    # ------------------------------------------------------------ invocation

    def cold_start(self) -> Handler:
        """Set the function's environment and (re)import its handler, as a new execution environment would."""
        os.environ.update(self.environment)
        os.environ.update(self.aws.environment())
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = self.function_name
        os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(self.memory_mb)
        self.principal = self.principal_source() if self.principal_source else None
        with running_as(self.principal), output_to(self.function_output):
            if callable(self.handler_spec):
                self._handler = self.handler_spec
            else:
                self._handler = import_handler(self.handler_spec, cold=True)
        return self._handler

    def invoke_once(self) -> int:
        """Receive one batch and run the handler on it; returns the number of records (0: nothing visible)."""
        handler = self._handler or self.cold_start()
        # Lambda's poller receives and deletes with the function's execution role, which needs
        # sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes
        # (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
        with running_as(self.principal):
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(self.batch_size, 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [sqs_record(message, self.queue_arn) for message in messages]}
        context = LambdaContext(
            function_name=self.function_name,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}",
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=self.timeout_seconds,
        )
        self.stats.invocations += 1
        self.stats.records += len(messages)
        try:
            with running_as(self.principal), functions_read_time(self.wall_clock), output_to(self.function_output):
                result = handler(event, context)
            failed = failed_message_ids(result)
        except SimulatedCrash as crash:  # the process died: nothing acknowledged, next call is a cold start
            print(f"[pipeline] {crash}", file=sys.stderr)
            self.stats.crashes += 1
            self._handler = None
            failed = {message["MessageId"] for message in messages}
        except Exception as error:  # the whole batch fails, as in Lambda
            print(f"[pipeline] handler raised {type(error).__name__}: {error}", file=sys.stderr)
            self.stats.handler_errors += 1
            failed = {message["MessageId"] for message in messages}
        self._settle(messages, failed)
        return len(messages)

    def _settle(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        """Delete what succeeded; make failures visible again at once (moto redrives after maxReceiveCount)."""
        for message in messages:
            if message["MessageId"] in failed:
                # The emulator's shortcut for the visibility timeout: not a call of Lambda's poller, so
                # not made as the function's role.
                self.stats.failed_records += 1
                self._sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                with running_as(self.principal):
                    self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def drain(self, max_batches: int = 100_000) -> int:
        """Invoke until no message is visible; returns the records processed."""
        processed = 0
        for _ in range(max_batches):
            count = self.invoke_once()
            if count == 0:
                return processed
            processed += count
        raise RuntimeError(f"queue still not drained after {max_batches} batches")

    # ------------------------------------------------------------ simulated time

    def advance(self, seconds: float) -> None:
        """Move SQS time and the Autopilot simulator's clock together, then run due history steps."""
        self.sqs_clock.advance(seconds)
        self.stats.simulated_seconds += seconds
        if self.simulator is not None:
            self.simulator.clock.advance(seconds)
        self.run_due_steps()
        for function in self.scheduled:
            function.elapse(seconds)

    def run_due_steps(self) -> int:
        if self.simulator is None:
            return 0
        events = self.simulator.run_due_steps()
        if events and self.publish_events is not None:
            self.publish_events(events)
            self.stats.events_published += len(events)
        return len(events)

    def queue_depth(self) -> dict[str, int]:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return {
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    def _seconds_until_next_wake(self) -> float | None:
        """When the next delayed/invisible message or scheduled history step is due (None: nothing is)."""
        waits = []
        queue = sqs_backends[ACCOUNT_ID][REGION].queues.get(queue_name_from_arn(self.queue_arn))
        now_ms = self.sqs_clock.now() * 1000.0
        if queue is not None:
            for message in list(queue._messages):
                # A message still here is due at its wake time, or just after now if that has passed.
                wake_ms = max(message.delayed_until, message.visible_at)
                waits.append(max(wake_ms - now_ms, 0.0) / 1000.0 + 0.001)
        if self.simulator is not None:
            due = self.simulator.next_due()
            if due is not None:
                waits.append(max(0.0, (due - self.simulator.clock.now()).total_seconds()))
        return min(waits) if waits else None

    def _scheduled_errors(self) -> int:
        return sum(len(function.errors) for function in self.scheduled)

    def _seconds_until_next_scheduled_run(self) -> float | None:
        waits = [function.seconds_until_next_run() for function in self.scheduled]
        return min(waits) if waits else None

    def run_until_idle(self, max_simulated_seconds: float = 6 * 3600, max_iterations: int = 5000) -> PipelineStats:
        """Drain, then move simulated time to the next wake-up, until nothing is left to do.

        With scheduled functions attached, time never jumps past one of their runs (each runs at its
        own simulated moment), and the pipeline is idle only once a round of them, after the last
        message and history step, left nothing to process: states no event announced are found then.
        """
        start = self.stats.simulated_seconds
        self.run_due_steps()
        settling = False  # the last move of time was to a scheduled run, with nothing else due
        errors_before = 0
        for _ in range(max_iterations):
            processed = self.drain()
            wait = self._seconds_until_next_wake()
            scheduled_wait = self._seconds_until_next_scheduled_run()
            if wait is None:
                # A round that failed (e.g. a throttled list) settles nothing: the next one must run.
                settled = settling and processed == 0 and self._scheduled_errors() == errors_before
                if scheduled_wait is None or settled:
                    return self.stats
                settling = True
                errors_before = self._scheduled_errors()
                wait = scheduled_wait
            else:
                settling = False
                if scheduled_wait is not None:
                    wait = min(wait, scheduled_wait)
            if self.stats.simulated_seconds - start + wait > max_simulated_seconds:
                raise TimeoutError(f"still busy after {max_simulated_seconds} simulated seconds")
            self.advance(wait)
        raise RuntimeError(f"not idle after {max_iterations} iterations")
