"""Reconcile sweep: a scheduled function that hands every job the archive lacks to the work queue."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from automl_archive.contracts.job_table import ALERTS_DUE_INDEX, EVENTS_DUE_INDEX
from automl_archive.contracts.settings import SweepSettings
from infra import config
from infra.constructs.function import FunctionSpec, build_function
from infra.constructs.schedule import ScheduleSpec, schedule_function
from infra.constructs.spoke_access import assume_reader_roles, hub_scope
from infra.settings import ArchiveSettings


class ReconcileSweep(Construct):
    """Function (one at a time), its schedule, and the schedule target's own dead-letter queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        work_queue: sqs.IQueue,
        settings: ArchiveSettings,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        parts = build_function(
            self,
            FunctionSpec(
                handler=config.SWEEP_HANDLER,
                description="Lists AutoML jobs modified since the last sweep and enqueues those the archive lacks",
                role_description="AutoML job archive reconcile sweep: exactly the calls its code makes",
                timeout=Duration.seconds(config.SWEEP_TIMEOUT_SECONDS),
                memory_mb=config.SWEEP_MEMORY_MB,
                environment=SweepSettings(
                    jobs_table_name=table.table_name,
                    work_queue_url=work_queue.queue_url,
                    overlap_seconds=settings.sweep_overlap_seconds,
                    initial_lookback_days=settings.sweep_initial_lookback_days,
                    hub=hub_scope(settings),
                ).to_environment(),
                statements=[
                    iam.PolicyStatement(sid="ListAutoMLJobs", actions=["sagemaker:ListAutoMLJobs"], resources=["*"]),
                    iam.PolicyStatement(
                        sid="JobsTable",
                        actions=["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                        resources=[table.table_arn],
                    ),
                    # The alerts and state-change events still due: handed over by the pass
                    # (automl_archive/contracts/job_table.py).
                    iam.PolicyStatement(
                        sid="WorkStillDue",
                        actions=["dynamodb:Query"],
                        resources=[
                            f"{table.table_arn}/index/{index}" for index in (ALERTS_DUE_INDEX, EVENTS_DUE_INDEX)
                        ],
                    ),
                    iam.PolicyStatement(sid="WorkQueue", actions=["sqs:SendMessage"], resources=[work_queue.queue_arn]),
                    *assume_reader_roles(settings),
                ],
                log_retention_days=settings.log_retention_days,
                # Opt-in only: overlapping passes are safe (forward-only watermark, idempotent archiver),
                # and any reservation fails the deploy in accounts with a low concurrency quota.
                reserved_concurrency=settings.sweep_reserved_concurrency or None,
            ),
            layer,
        )
        self.function = parts.function
        self.role = parts.role
        star_reason = (
            "sagemaker:ListAutoMLJobs is a list action without resource-level permissions and "
            "X-Ray's PutTraceSegments/PutTelemetryRecords require '*'; no other statement uses '*'."
        )
        Validations.of(parts.role).acknowledge(
            Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=star_reason),
            Acknowledgment(id="Serverless-LambdaStarPermissions", reason=star_reason),
        )
        Validations.of(parts.function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason="A failed sweep needs no replay: its event carries nothing, the watermark only "
                "advances after a complete pass, so the next scheduled sweep lists the same jobs again. "
                "Failures raise the SweepErrors alarm; the schedule target has its own dead-letter queue.",
            )
        )
        schedule = schedule_function(
            self,
            parts.function,
            ScheduleSpec(
                description="Runs the reconcile sweep",
                what="sweep",
                interval=Duration.minutes(settings.sweep_interval_minutes),
                retry_attempts=config.SWEEP_TARGET_RETRY_ATTEMPTS,
                max_event_age=Duration.minutes(config.SWEEP_TARGET_MAX_EVENT_AGE_MINUTES),
            ),
        )
        self.schedule, self.dead_letter_queue = schedule.rule, schedule.dead_letter_queue
