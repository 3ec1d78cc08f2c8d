"""Exporter: the Lambda function that turns queued SageMaker events into archived AutoML job states."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import (
    Acknowledgment,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra import config
from infra.config import ArchiveSettings
from infra.layer_bundling import LocalLayerBundler, docker_command, layer_hash

_R = logs.RetentionDays
RETENTION_DAYS: dict[int, logs.RetentionDays] = dict(
    zip(
        config.CLOUDWATCH_RETENTION_DAYS,
        (
            _R.ONE_DAY, _R.THREE_DAYS, _R.FIVE_DAYS, _R.ONE_WEEK, _R.TWO_WEEKS, _R.ONE_MONTH,
            _R.TWO_MONTHS, _R.THREE_MONTHS, _R.FOUR_MONTHS, _R.FIVE_MONTHS, _R.SIX_MONTHS,
            _R.ONE_YEAR, _R.THIRTEEN_MONTHS, _R.EIGHTEEN_MONTHS, _R.TWO_YEARS, _R.THREE_YEARS,
            _R.FIVE_YEARS, _R.SIX_YEARS, _R.SEVEN_YEARS, _R.EIGHT_YEARS, _R.NINE_YEARS, _R.TEN_YEARS,
        ),
        strict=True,
    )
)  # fmt: skip

TIMEOUT = Duration.seconds(config.EXPORTER_TIMEOUT_SECONDS)

# Child jobs the exporter describes to find their AutoML job: (IAM action, ARN resource type).
_CHILD_JOB_READS = (
    ("sagemaker:DescribeTrainingJob", "training-job"),
    ("sagemaker:DescribeProcessingJob", "processing-job"),
    ("sagemaker:DescribeTransformJob", "transform-job"),
    ("sagemaker:ListTrainingJobsForHyperParameterTuningJob", "hyper-parameter-tuning-job"),
)


@dataclass(frozen=True)
class ExporterResources:
    """What the exporter reads from and writes to."""

    table: dynamodb.ITable
    archive_bucket: s3.IBucket
    alerts_topic: sns.ITopic
    alerts_key: kms.IKey
    work_queue: sqs.IQueue


class Exporter(Construct):
    """Function, its own role (explicit statements only), log group, dependency layer, SQS trigger."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resources: ExporterResources,
        settings: ArchiveSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self._settings = settings
        self.log_group = self._build_log_group()
        self.role = self._build_role()
        self.layer = self._build_layer()
        self.function = self._build_function()
        self._build_event_source()

    def _build_log_group(self) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            "LogGroup",
            retention=RETENTION_DAYS[self._settings.log_retention_days],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _sagemaker_arn(self, resource_type: str) -> str:
        return Stack.of(self).format_arn(service="sagemaker", resource=resource_type, resource_name="*")

    def _statements(self) -> list[iam.PolicyStatement]:
        res = self._resources
        automl_jobs = self._sagemaker_arn("automl-job")
        bucket_arn = res.archive_bucket.bucket_arn
        return [
            iam.PolicyStatement(
                sid="DescribeAutoMLJobs",
                actions=[
                    "sagemaker:DescribeAutoMLJob",
                    "sagemaker:DescribeAutoMLJobV2",
                    "sagemaker:ListCandidatesForAutoMLJob",
                ],
                resources=[automl_jobs],
            ),
            *(
                iam.PolicyStatement(actions=[action], resources=[self._sagemaker_arn(resource_type)])
                for action, resource_type in _CHILD_JOB_READS
            ),
            iam.PolicyStatement(
                sid="JobsTable",
                actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[res.table.table_arn],
            ),
            iam.PolicyStatement(
                sid="ArchiveObjects",
                actions=["s3:PutObject"],
                resources=[
                    f"{bucket_arn}/{config.ARCHIVE_RAW_PREFIX}*",
                    f"{bucket_arn}/{config.ARCHIVE_RECORDS_PREFIX}*",
                ],
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
                    "sqs:SendMessage",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                resources=[res.work_queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="XRay",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            ),
        ]

    def _build_role(self) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="AutoML job archive exporter: exactly the calls its code makes",
            inline_policies={"exporter": iam.PolicyDocument(statements=self._statements())},
        )
        self._acknowledge_wildcards(role)
        return role

    def _acknowledge_wildcards(self, role: iam.Role) -> None:
        stack = Stack.of(self)
        partition_region_account = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
        reasons = {
            "automl-job": "AutoML jobs are created by users at any time; their names are unknown at deploy time",
            "training-job": "Autopilot names its child training jobs at run time",
            "processing-job": "Autopilot names its child processing jobs at run time",
            "transform-job": "Autopilot names its child transform jobs at run time",
            "hyper-parameter-tuning-job": "Autopilot names its tuning jobs at run time",
        }
        acknowledgments = [
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{partition_region_account}:{resource_type}/*]",
                reason=f"{reason}; the statement is limited to this account, region and job type.",
            )
            for resource_type, reason in reasons.items()
        ]
        bucket_id = stack.resolve(self._resources.archive_bucket.bucket_arn)["Fn::GetAtt"][0]
        acknowledgments += [
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]",
                reason=f"One object per job and state under {prefix}; object keys are made at run time "
                "and the write is limited to this prefix of the archive bucket.",
            )
            for prefix in (config.ARCHIVE_RAW_PREFIX, config.ARCHIVE_RECORDS_PREFIX)
        ]
        acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level "
                "permissions; X-Ray requires Resource '*' for active tracing.",
            )
        )
        Validations.of(role).acknowledge(*acknowledgments)

    def _build_layer(self) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            description="Third-party packages of lambdas/requirements.txt (AWS SDK excluded)",
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            code=lambda_.Code.from_asset(
                str(config.LAMBDAS_DIR),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_hash(),
                bundling=BundlingOptions(
                    image=DockerImage.from_registry(config.LAYER_BUILD_IMAGE),
                    command=docker_command(),
                    local=LocalLayerBundler(),
                ),
            ),
        )

    def _environment(self) -> dict[str, str]:
        res, settings = self._resources, self._settings
        return {
            "JOBS_TABLE_NAME": res.table.table_name,
            "ARCHIVE_BUCKET_NAME": res.archive_bucket.bucket_name,
            "ALERTS_TOPIC_ARN": res.alerts_topic.topic_arn,
            "WORK_QUEUE_URL": res.work_queue.queue_url,
            "ALERT_ON_STATUSES": ",".join(settings.alert_on_statuses),
            "RECHECK_BASE_DELAY_SECONDS": str(settings.recheck_base_delay_seconds),
            "RECHECK_MAX_DELAY_SECONDS": str(settings.recheck_max_delay_seconds),
            "CHILD_LINK_TTL_DAYS": str(settings.child_link_ttl_days),
            "ALERT_CLAIM_LEASE_SECONDS": str(config.EXPORTER_TIMEOUT_SECONDS * config.ALERT_CLAIM_LEASE_FACTOR),
            "SAGEMAKER_RETRY_MODE": config.SAGEMAKER_RETRY_MODE,
            "SAGEMAKER_MAX_ATTEMPTS": str(config.SAGEMAKER_MAX_ATTEMPTS),
            "POWERTOOLS_SERVICE_NAME": config.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": config.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.LOG_LEVEL,
        }

    def _build_function(self) -> lambda_.Function:
        function = lambda_.Function(
            self,
            "Function",
            description="Describes AutoML jobs named by queued SageMaker events and archives their state",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=config.EXPORTER_MEMORY_MB,
            timeout=TIMEOUT,
            tracing=lambda_.Tracing.ACTIVE,
            # Immutable view: CDK helpers (tracing, event source) cannot add statements; the role's
            # inline policy above is the whole permission set.
            role=self.role.without_policy_updates(),
            log_group=self.log_group,
            code=lambda_.Code.from_asset(str(config.LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            handler=config.EXPORTER_HANDLER,
            layers=[self.layer],
            environment=self._environment(),
        )
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Python 3.13 is pinned on purpose: the dependency layer is built for CPython 3.13 "
                "wheels (pip --python-version 3.13, SAM build-python3.13 image); runtime and layer "
                "must be upgraded together.",
            )
        )
        return function

    def _build_event_source(self) -> None:
        self.function.add_event_source(
            SqsEventSource(
                self._resources.work_queue,
                batch_size=self._settings.exporter_batch_size,
                max_batching_window=Duration.seconds(config.EXPORTER_MAX_BATCHING_WINDOW_SECONDS),
                report_batch_item_failures=True,
                max_concurrency=self._settings.exporter_max_concurrency,
            )
        )
