"""A function run on a rate schedule, with the schedule target's own dead-letter queue.

The sweep and the compaction share it: EventBridge retries a failed asynchronous invoke of the target a
few times and then, rather than dropping the event, puts it in this queue (an alarm watches it).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import config


@dataclass(frozen=True)
class ScheduleSpec:
    description: str  # the rule's, e.g. "Runs the reconcile sweep"
    what: str  # what the schedule runs, for the DLQ's acknowledgement ("sweep", "compaction")
    interval: Duration
    retry_attempts: int
    max_event_age: Duration


@dataclass(frozen=True)
class Schedule:
    rule: events.Rule
    dead_letter_queue: sqs.Queue


def schedule_function(scope: Construct, function: lambda_.IFunction, spec: ScheduleSpec) -> Schedule:
    """The rule ``Schedule`` and its target's ``ScheduleDeadLetterQueue``, created in ``scope``."""
    dead_letter_queue = sqs.Queue(
        scope,
        "ScheduleDeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(config.QUEUE_RETENTION_DAYS),
    )
    reason = (
        f"This queue is the dead-letter queue of the {spec.what} schedule's target; "
        "a dead-letter queue of a dead-letter queue would never be read."
    )
    Validations.of(dead_letter_queue).acknowledge(
        Acknowledgment(id="AwsSolutions-SQS3", reason=reason),
        Acknowledgment(id="Serverless-SQSRedrivePolicy", reason=reason),
    )
    rule = events.Rule(
        scope,
        "Schedule",
        description=spec.description,
        schedule=events.Schedule.rate(spec.interval),
        targets=[
            targets.LambdaFunction(
                function,
                dead_letter_queue=dead_letter_queue,
                retry_attempts=spec.retry_attempts,
                max_event_age=spec.max_event_age,
            )
        ],
    )
    return Schedule(rule=rule, dead_letter_queue=dead_letter_queue)
