"""The spoke: what a workload account and Region deploys so the hub archives its AutoML jobs
(docs/multi-account.md). Rules and roles only, no Lambda and no asset, synthesized without the CDK
bootstrap, so the template deploys as a service-managed StackSet to every account of an OU.

- Two rules on the default bus forward SageMaker child-job events and CloudTrail AutoML API calls to
  the hub's central bus (the hub's own ingest rules take them from there), through a role that may
  only put events on that bus; what cannot be delivered goes to the spoke's dead-letter queue.
- A reader role the hub's functions assume, with an external id, to describe and list this account's
  AutoML jobs and their children in this Region. It reads nothing else: not the archive, not data.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from automl_archive.contracts.spoke import READER_ROLE_SUFFIX
from infra import config
from infra.constructs.archiver import automl_job_read_statements, sagemaker_wildcard_acknowledgments
from infra.constructs.ingest import automl_api_call_events, child_job_events
from infra.spoke_settings import SpokeSettings


class AutoMLJobArchiveSpokeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: SpokeSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Forwards this account's SageMaker AutoML events to the AutoML job archive hub "
            "and lets the hub describe its AutoML jobs",
            synthesizer=cdk.BootstraplessSynthesizer(),
            **kwargs,
        )
        self._settings = settings
        self.dead_letter_queue = self._build_dead_letter_queue()
        self.forward_role = self._build_forward_role()
        hub_bus = events.EventBus.from_event_bus_arn(self, "HubBus", settings.hub_bus_arn)
        self.rules = [
            events.Rule(
                self,
                rule_id,
                description=description,
                event_pattern=pattern,
                targets=[
                    targets.EventBus(
                        hub_bus,
                        role=self.forward_role,
                        dead_letter_queue=self.dead_letter_queue,
                    )
                ],
            )
            for rule_id, description, pattern in (
                ("ChildJobStateChangeRule", "SageMaker child-job state changes, to the hub", child_job_events()),
                ("AutoMLApiCallRule", "AutoML API calls via CloudTrail, to the hub", automl_api_call_events()),
            )
        ]
        self.reader_role = self._build_reader_role()

    def _build_dead_letter_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "ForwardDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(config.QUEUE_RETENTION_DAYS),
        )
        reason = (
            "This queue is the dead-letter queue of the rules that forward events to the hub; a "
            "dead-letter queue of a dead-letter queue would never be read."
        )
        Validations.of(queue).acknowledge(
            Acknowledgment(id="AwsSolutions-SQS3", reason=reason),
            Acknowledgment(id="Serverless-SQSRedrivePolicy", reason=reason),
        )
        return queue

    def _build_forward_role(self) -> iam.Role:
        return iam.Role(
            self,
            "ForwardRole",
            description="EventBridge puts this account's AutoML events on the hub's bus, and nothing else",
            # The rules' targets grant it events:PutEvents on the hub's bus (its only permission).
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
        )

    def _build_reader_role(self) -> iam.Role:
        settings = self._settings
        # Only the hub stack's own roles (its archiver and sweep), and only with the external id.
        hub_roles = f"arn:{Aws.PARTITION}:iam::{settings.hub_account}:role/{settings.hub_stack_name}-*"
        role = iam.Role(
            self,
            "ReaderRole",
            role_name=f"{settings.hub_stack_name}{READER_ROLE_SUFFIX}{Aws.REGION}",
            description="The AutoML job archive hub describes and lists this Region's AutoML jobs",
            assumed_by=iam.AccountPrincipal(settings.hub_account).with_conditions(
                {
                    "StringEquals": {"sts:ExternalId": settings.external_id},
                    "ArnLike": {"aws:PrincipalArn": hub_roles},
                }
            ),
            max_session_duration=Duration.hours(1),
            inline_policies={
                "ReadAutoMLJobs": iam.PolicyDocument(
                    statements=[
                        *automl_job_read_statements(self),
                        # The reconcile pass lists this Region's jobs (no resource type: only "*").
                        iam.PolicyStatement(
                            sid="ListAutoMLJobs", actions=["sagemaker:ListAutoMLJobs"], resources=["*"]
                        ),
                    ]
                )
            },
        )
        Validations.of(role).acknowledge(
            *sagemaker_wildcard_acknowledgments(),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="sagemaker:ListCandidatesForAutoMLJob and sagemaker:ListAutoMLJobs have no resource "
                "type in the Service Authorization Reference, so only Resource '*' grants them.",
            ),
        )
        return role
