"""Ingest: EventBridge rules on SageMaker events feeding the archiver's SQS work queue."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from automl_archive.contracts.job_status import (
    AUTOML_API_CALLS,
    CHILD_JOB_DETAIL_TYPES,
    CLOUDTRAIL_DETAIL_TYPE,
    CLOUDTRAIL_EVENT_SOURCE,
    SAGEMAKER_EVENT_SOURCE,
)
from infra import config

_RETENTION = Duration.days(config.QUEUE_RETENTION_DAYS)


def child_job_events() -> events.EventPattern:
    """SageMaker child-job state changes (AutoML jobs emit no event of their own)."""
    return events.EventPattern(source=[SAGEMAKER_EVENT_SOURCE], detail_type=list(CHILD_JOB_DETAIL_TYPES))


def automl_api_call_events() -> events.EventPattern:
    """AutoML API calls, as CloudTrail puts them on the default bus."""
    return events.EventPattern(
        source=[SAGEMAKER_EVENT_SOURCE],
        detail_type=[CLOUDTRAIL_DETAIL_TYPE],
        detail={"eventSource": [CLOUDTRAIL_EVENT_SOURCE], "eventName": list(AUTOML_API_CALLS)},
    )


class Ingest(Construct):
    """Work queue (+ DLQ) and two rules, each delivering the whole event to the queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer_timeout: Duration,
        max_receive_count: int,
        central_bus: events.IEventBus | None = None,
    ) -> None:
        """`central_bus`: the hub's bus for spokes' forwarded events, which gets the same two rules."""
        super().__init__(scope, construct_id)
        self.dead_letter_queue = self._build_queue("DeadLetterQueue")
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="Serverless-SQSRedrivePolicy",
                reason="This queue is the work queue's dead-letter queue (its redrive target); a "
                "dead-letter queue of a dead-letter queue would never be read. Messages are moved "
                "back with `automl-archive redrive`.",
            )
        )
        # Each rule target's own dead-letter queue, by rule id (watched by the monitoring alarms).
        self.rule_dead_letter_queues: dict[str, sqs.Queue] = {}
        self.work_queue = self._build_work_queue(consumer_timeout, max_receive_count)
        self.child_job_rule = self._build_child_job_rule()
        self.api_call_rule = self._build_api_call_rule()
        if central_bus is not None:
            self._build_spoke_rules(central_bus)

    def _build_queue(self, construct_id: str) -> sqs.Queue:
        """An encrypted, TLS-only queue holding what could not be delivered or processed."""
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_RETENTION,
        )

    def _build_work_queue(self, consumer_timeout: Duration, max_receive_count: int) -> sqs.Queue:
        return sqs.Queue(
            self,
            "WorkQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_RETENTION,
            visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * config.WORK_QUEUE_VISIBILITY_FACTOR),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=max_receive_count),
        )

    def _queue_target(self, rule_id: str) -> targets.SqsQueue:
        """The work queue as target, with the rule's own DLQ and EventBridge's full retry budget."""
        dead_letter_queue = self._build_queue(f"{rule_id}DeadLetterQueue")
        self.rule_dead_letter_queues[rule_id] = dead_letter_queue
        # cdk-nag recognises a queue as a DLQ only through an SQS redrive policy, not through an
        # EventBridge target's DeadLetterConfig.
        reason = (
            f"This queue is the dead-letter queue of the {rule_id} EventBridge target; "
            "a dead-letter queue of a dead-letter queue would never be read."
        )
        Validations.of(dead_letter_queue).acknowledge(
            Acknowledgment(id="AwsSolutions-SQS3", reason=reason),
            Acknowledgment(id="Serverless-SQSRedrivePolicy", reason=reason),
        )
        return targets.SqsQueue(
            self.work_queue,
            dead_letter_queue=dead_letter_queue,
            max_event_age=Duration.hours(config.EVENT_MAX_AGE_HOURS),
            retry_attempts=config.EVENT_RETRY_ATTEMPTS,
        )

    def _build_child_job_rule(self) -> events.Rule:
        return events.Rule(
            self,
            "ChildJobStateChangeRule",
            description="SageMaker child-job state changes (AutoML jobs emit no event of their own)",
            event_pattern=child_job_events(),
            targets=[self._queue_target("ChildJobStateChangeRule")],
        )

    def _build_api_call_rule(self) -> events.Rule:
        return events.Rule(
            self,
            "AutoMLApiCallRule",
            description="AutoML API calls via CloudTrail (needs a CloudTrail trail in the account)",
            event_pattern=automl_api_call_events(),
            targets=[self._queue_target("AutoMLApiCallRule")],
        )

    def _build_spoke_rules(self, bus: events.IEventBus) -> None:
        """The same two patterns on the central bus: a forwarded event keeps its sender's account and
        Region in its envelope, which is where the archiver describes it."""
        events.Rule(
            self,
            "SpokeChildJobStateChangeRule",
            description="Spokes' SageMaker child-job state changes, forwarded to the central bus",
            event_bus=bus,
            event_pattern=child_job_events(),
            targets=[self._queue_target("SpokeChildJobStateChangeRule")],
        )
        events.Rule(
            self,
            "SpokeAutoMLApiCallRule",
            description="Spokes' AutoML API calls via CloudTrail, forwarded to the central bus",
            event_bus=bus,
            event_pattern=automl_api_call_events(),
            targets=[self._queue_target("SpokeAutoMLApiCallRule")],
        )
