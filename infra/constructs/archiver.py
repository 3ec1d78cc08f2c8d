"""Archiver: the Lambda function that turns queued SageMaker events into archived AutoML job states."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import (
    Acknowledgment,
    Duration,
    Stack,
    Validations,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from automl_archive.contracts.archive_layout import ARCHIVER_WRITE_PREFIXES
from automl_archive.contracts.settings import ArchiverSettings
from infra import config
from infra.constructs.function import FunctionSpec, build_function
from infra.constructs.spoke_access import assume_reader_roles, hub_scope
from infra.settings import ArchiveSettings

TIMEOUT = Duration.seconds(config.ARCHIVER_TIMEOUT_SECONDS)

# Child jobs the archiver describes to find their AutoML job: (IAM action, ARN resource type).
_CHILD_JOB_READS = (
    ("sagemaker:DescribeTrainingJob", "training-job"),
    ("sagemaker:DescribeProcessingJob", "processing-job"),
    ("sagemaker:DescribeTransformJob", "transform-job"),
    ("sagemaker:ListTrainingJobsForHyperParameterTuningJob", "hyper-parameter-tuning-job"),
)


def _sagemaker_arn(scope: Construct, resource_type: str) -> str:
    return Stack.of(scope).format_arn(service="sagemaker", resource=resource_type, resource_name="*")


def automl_job_read_statements(scope: Construct) -> list[iam.PolicyStatement]:
    """Describing an AutoML job, listing its candidates and finding a child job's AutoML job, in the
    scope's account and Region: what the archiver does here and a spoke's reader role grants the hub."""
    return [
        iam.PolicyStatement(
            sid="DescribeAutoMLJobs",
            actions=["sagemaker:DescribeAutoMLJob", "sagemaker:DescribeAutoMLJobV2"],
            resources=[_sagemaker_arn(scope, "automl-job")],
        ),
        # The Service Authorization Reference lists no resource type for this action: a statement on
        # automl-job/* never matches it (AWS evaluates the request against "*"), so it is denied.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
        iam.PolicyStatement(
            sid="ListAutoMLJobCandidates", actions=["sagemaker:ListCandidatesForAutoMLJob"], resources=["*"]
        ),
        *(
            iam.PolicyStatement(actions=[action], resources=[_sagemaker_arn(scope, resource_type)])
            for action, resource_type in _CHILD_JOB_READS
        ),
    ]


_WILDCARD_REASONS = {
    "automl-job": "AutoML jobs are created by users at any time; their names are unknown at deploy time",
    "training-job": "Autopilot names its child training jobs at run time",
    "processing-job": "Autopilot names its child processing jobs at run time",
    "transform-job": "Autopilot names its child transform jobs at run time",
    "hyper-parameter-tuning-job": "Autopilot names its tuning jobs at run time",
}


def sagemaker_wildcard_acknowledgments() -> list[Acknowledgment]:
    """cdk-nag's IAM5 findings on `automl_job_read_statements`, each with its reason."""
    partition_region_account = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
    return [
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::{partition_region_account}:{resource_type}/*]",
            reason=f"{reason}; the statement is limited to this account, region and job type.",
        )
        for resource_type, reason in _WILDCARD_REASONS.items()
    ]


@dataclass(frozen=True)
class ArchiverResources:
    """What the archiver reads from and writes to."""

    table: dynamodb.ITable
    archive_bucket: s3.IBucket
    alerts_topic: sns.ITopic
    alerts_key: kms.IKey
    work_queue: sqs.IQueue
    state_change_event_bus_arn: str | None  # None: no state-change events


class Archiver(Construct):
    """Function, its own role (explicit statements only), log group, dependency layer, SQS trigger."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resources: ArchiverResources,
        settings: ArchiveSettings,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self._settings = settings
        parts = build_function(
            self,
            FunctionSpec(
                handler=config.ARCHIVER_HANDLER,
                description="Describes AutoML jobs named by queued SageMaker events and archives their state",
                role_description="AutoML job archive archiver: exactly the calls its code makes",
                timeout=TIMEOUT,
                memory_mb=config.ARCHIVER_MEMORY_MB,
                environment=self._environment(),
                statements=self._statements(),
                log_retention_days=settings.log_retention_days,
            ),
            layer,
        )
        self.log_group, self.role, self.function = parts.log_group, parts.role, parts.function
        self._acknowledge_wildcards(self.role)
        self._build_event_source()

    def _statements(self) -> list[iam.PolicyStatement]:
        res = self._resources
        bucket_arn = res.archive_bucket.bucket_arn
        return [
            *automl_job_read_statements(self),
            *assume_reader_roles(self._settings),
            iam.PolicyStatement(
                sid="JobsTable",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[res.table.table_arn],
            ),
            iam.PolicyStatement(
                sid="ArchiveObjects",
                actions=["s3:PutObject"],
                resources=[f"{bucket_arn}/{prefix}*" for prefix in ARCHIVER_WRITE_PREFIXES],
            ),
            iam.PolicyStatement(sid="PublishAlerts", actions=["sns:Publish"], resources=[res.alerts_topic.topic_arn]),
            iam.PolicyStatement(
                sid="AlertsKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[res.alerts_key.key_arn],
            ),
            iam.PolicyStatement(
                sid="WorkQueue",
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                resources=[res.work_queue.queue_arn],
            ),
            *(
                [
                    # The AutoML Job State Change event, on its one bus (resource type event-bus).
                    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
                    iam.PolicyStatement(
                        sid="PublishStateChangeEvents",
                        actions=["events:PutEvents"],
                        resources=[res.state_change_event_bus_arn],
                    )
                ]
                if res.state_change_event_bus_arn
                else []
            ),
        ]

    def _acknowledge_wildcards(self, role: iam.Role) -> None:
        stack = Stack.of(self)
        acknowledgments = sagemaker_wildcard_acknowledgments()
        bucket_id = stack.resolve(self._resources.archive_bucket.bucket_arn)["Fn::GetAtt"][0]
        acknowledgments += [
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]",
                reason=f"One object per job and state under {prefix}; object keys are made at run time "
                "and the write is limited to this prefix of the archive bucket.",
            )
            for prefix in ARCHIVER_WRITE_PREFIXES
        ]
        acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="sagemaker:ListCandidatesForAutoMLJob has no resource type in the Service Authorization "
                "Reference, so only Resource '*' grants it (it is alone in its statement); "
                "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.",
            )
        )
        acknowledgments.append(
            Acknowledgment(
                id="Serverless-LambdaStarPermissions",
                reason="Wildcards only where names are made at run time (AutoML and child job ARNs of this "
                "account and region, object keys under raw/ and records/), and '*' only for actions without "
                "a resource type (ListCandidatesForAutoMLJob, X-Ray's Put*); every action is named.",
            )
        )
        Validations.of(role).acknowledge(*acknowledgments)

    def _environment(self) -> dict[str, str]:
        res, settings = self._resources, self._settings
        return ArchiverSettings(
            jobs_table_name=res.table.table_name,
            archive_bucket_name=res.archive_bucket.bucket_name,
            alerts_topic_arn=res.alerts_topic.topic_arn,
            alert_on=frozenset(settings.alert_on_statuses),
            child_link_ttl_days=settings.child_link_ttl_days,
            alert_claim_lease_seconds=config.ARCHIVER_TIMEOUT_SECONDS * config.ALERT_CLAIM_LEASE_FACTOR,
            alert_max_age_hours=settings.alert_max_age_hours,
            state_change_event_bus=res.state_change_event_bus_arn or "",
            hub=hub_scope(settings),
        ).to_environment()

    def _build_event_source(self) -> None:
        self.function.add_event_source(
            SqsEventSource(
                self._resources.work_queue,
                batch_size=self._settings.archiver_batch_size,
                max_batching_window=Duration.seconds(config.ARCHIVER_MAX_BATCHING_WINDOW_SECONDS),
                report_batch_item_failures=True,
                max_concurrency=self._settings.archiver_max_concurrency,
            )
        )
        (mapping,) = (c for c in self.function.node.children if isinstance(c, lambda_.EventSourceMapping))
        Validations.of(mapping).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaEventSourceMappingDestination",
                reason="Lambda supports on-failure destinations only for stream and Kafka event sources, "
                "not SQS; a message that keeps failing goes to the work queue's dead-letter queue "
                "through the queue's redrive policy.",
            )
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason="The archiver is only invoked by its SQS event source mapping, synchronously; a "
                "function dead-letter queue applies to asynchronous invocations only. Failed messages "
                "reach the work queue's dead-letter queue through its redrive policy.",
            )
        )
