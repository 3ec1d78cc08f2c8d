"""Data-lake compaction: an hourly function that has Athena merge the changed JSON days into the
Iceberg tables (lambdas/automl_archive/logic/compaction.py), its schedule and the schedule's DLQ.

The role holds what the function calls (S3 listing and its watermark, Athena's StartQueryExecution and
GetQueryExecution on the stack's workgroup) and what Athena then does with the caller's credentials
(https://docs.aws.amazon.com/athena/latest/ug/access.html): read the Glue catalog, database and tables
(each ancestor named, https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html),
commit each Iceberg table's new metadata (glue:UpdateTable on the compacted tables only), read the JSON
records, write and delete the compacted tables' data and metadata files (MERGE writes, OPTIMIZE rewrites,
VACUUM deletes: https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html), and write the
statements' results under the workgroup's result location.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from automl_archive.contracts.archive_layout import (
    ATHENA_RESULTS_PREFIX,
    COMPACTION_LEASE_KEY,
    COMPACTION_WATERMARK_KEY,
)
from automl_archive.contracts.lake_tables import COMPACTED_TABLES, TABLES
from automl_archive.contracts.settings import CompactorSettings
from infra import config
from infra.constructs.function import FunctionSpec, build_function
from infra.constructs.schedule import ScheduleSpec, schedule_function
from infra.settings import ArchiveSettings


class LakeCompaction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        archive_bucket: s3.IBucket,
        database_name: str,
        workgroup_name: str,
        settings: ArchiveSettings,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        def glue_arn(resource: str) -> str:
            return f"arn:{stack.partition}:glue:{stack.region}:{stack.account}:{resource}"

        catalog = glue_arn("catalog")
        database = glue_arn(f"database/{database_name}")
        source_tables = [glue_arn(f"table/{database_name}/{table.name}") for table in TABLES]
        compacted_tables = [glue_arn(f"table/{database_name}/{table.name}") for table in COMPACTED_TABLES]
        bucket = archive_bucket.bucket_arn
        parts = build_function(
            self,
            FunctionSpec(
                handler=config.COMPACTOR_HANDLER,
                description="Merges the data lake's changed JSON days into its Iceberg tables through Athena",
                role_description="AutoML job archive data-lake compaction: its calls and Athena's on its behalf",
                timeout=Duration.seconds(config.COMPACTOR_TIMEOUT_SECONDS),
                memory_mb=config.COMPACTOR_MEMORY_MB,
                environment=CompactorSettings(
                    archive_bucket_name=archive_bucket.bucket_name,
                    glue_database_name=database_name,
                    athena_workgroup=workgroup_name,
                ).to_environment(),
                statements=[
                    iam.PolicyStatement(
                        sid="RunStatements",
                        actions=["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"],
                        resources=[
                            stack.format_arn(service="athena", resource="workgroup", resource_name=workgroup_name)
                        ],
                    ),
                    # The function lists the record prefixes; Athena lists table locations and finds the
                    # results bucket's Region.
                    iam.PolicyStatement(
                        sid="ListArchiveBucket", actions=["s3:ListBucket", "s3:GetBucketLocation"], resources=[bucket]
                    ),
                    iam.PolicyStatement(
                        sid="ReadRecords",
                        actions=["s3:GetObject"],
                        resources=[f"{bucket}/{table.prefix}*" for table in TABLES],
                    ),
                    iam.PolicyStatement(
                        sid="CompactedTableFiles",
                        actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                        resources=[f"{bucket}/{table.prefix}*" for table in COMPACTED_TABLES],
                    ),
                    iam.PolicyStatement(
                        sid="Watermark",
                        actions=["s3:GetObject", "s3:PutObject"],
                        resources=[f"{bucket}/{COMPACTION_WATERMARK_KEY}"],
                    ),
                    # One run at a time: a conditional PutObject takes the lease, DeleteObject releases it.
                    iam.PolicyStatement(
                        sid="Lease",
                        actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                        resources=[f"{bucket}/{COMPACTION_LEASE_KEY}"],
                    ),
                    iam.PolicyStatement(
                        sid="StatementResults",
                        actions=[
                            "s3:GetObject",
                            "s3:PutObject",
                            "s3:AbortMultipartUpload",
                            "s3:ListMultipartUploadParts",
                        ],
                        resources=[f"{bucket}/{ATHENA_RESULTS_PREFIX}*"],
                    ),
                    iam.PolicyStatement(
                        sid="ReadCatalog",
                        actions=["glue:GetDatabase", "glue:GetTable"],
                        resources=[catalog, database, *source_tables, *compacted_tables],
                    ),
                    # CREATE TABLE and ALTER TABLE ADD COLUMNS (the function owns the Iceberg tables' schema), and
                    # Iceberg's commit: Athena points the Glue table at each new metadata file.
                    iam.PolicyStatement(
                        sid="OwnCompactedTables",
                        actions=["glue:CreateTable", "glue:UpdateTable"],
                        resources=[catalog, database, *compacted_tables],
                    ),
                ],
                log_retention_days=settings.log_retention_days,
            ),
            layer,
        )
        self.function = parts.function
        # No Lambda retry of a failed run: a retry a minute later would overlap statements of the failed
        # run still finishing in Athena, and the next hourly run repeats the same days anyway.
        parts.function.configure_async_invoke(retry_attempts=0)
        self.role = parts.role
        star_reason = "X-Ray's PutTraceSegments/PutTelemetryRecords require '*'; no other statement uses '*'."
        bucket_id = stack.resolve(bucket)["Fn::GetAtt"][0]
        prefixes = {
            **{
                table.prefix: "Athena reads the record objects of the days it merges (keys made at run time)."
                for table in TABLES
            },
            **{
                table.prefix: "Athena writes, rewrites and deletes the Iceberg table's data and metadata files "
                "under its location (file names made at run time)."
                for table in COMPACTED_TABLES
            },
            ATHENA_RESULTS_PREFIX: "Athena writes each statement's result under the workgroup's result location.",
        }
        Validations.of(parts.role).acknowledge(
            Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=star_reason),
            Acknowledgment(id="Serverless-LambdaStarPermissions", reason=star_reason),
            *(
                Acknowledgment(id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]", reason=reason)
                for prefix, reason in prefixes.items()
            ),
        )
        Validations.of(parts.function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason="A failed compaction needs no replay (Lambda retries none): its event carries nothing and "
                "the watermark only advances after a complete run, so the next hourly run merges the same days "
                "again. Failures raise the CompactorErrors alarm; the schedule target has its own dead-letter queue.",
            ),
            Acknowledgment(
                id="Serverless-LambdaAsyncFailureDestination",
                reason="A failed run's event (an empty Scheduled Event) holds nothing to process again: the next "
                "hourly run merges every day changed since the last complete run. Failures raise CompactorErrors "
                "and, while none completes, CompactionLag.",
            ),
        )
        schedule = schedule_function(
            self,
            parts.function,
            ScheduleSpec(
                description="Runs the data-lake compaction",
                what="compaction",
                interval=Duration.minutes(config.COMPACTION_INTERVAL_MINUTES),
                retry_attempts=config.COMPACTION_TARGET_RETRY_ATTEMPTS,
                max_event_age=Duration.minutes(config.COMPACTION_TARGET_MAX_EVENT_AGE_MINUTES),
            ),
        )
        self.schedule, self.dead_letter_queue = schedule.rule, schedule.dead_letter_queue
