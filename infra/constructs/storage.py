"""Storage: the jobs table (latest state per job) and the S3 archive with its access-log bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from automl_archive.contracts.archive_layout import ACCESS_LOGS_PREFIX, ATHENA_RESULTS_PREFIX
from automl_archive.contracts.job_table import (
    ALERT_DUE_ATTRIBUTE,
    ALERTS_DUE_INDEX,
    ALERTS_DUE_PROJECTED,
    EVENT_DUE_ATTRIBUTE,
    EVENTS_DUE_INDEX,
    EVENTS_DUE_PROJECTED,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from infra import config


class Storage(Construct):
    """DynamoDB table ``pk``/``sk`` with TTL, and a versioned, private, TLS-only archive bucket."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = self._build_table()
        self.access_log_bucket = self._build_access_log_bucket()
        self.archive_bucket = self._build_archive_bucket(self.access_log_bucket)

    def _build_table(self) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            "JobsTable",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.DEFAULT,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Sparse: only terminal states whose alert is still due carry the key (automl_archive/contracts/job_table.py).
        table.add_global_secondary_index(
            index_name=ALERTS_DUE_INDEX,
            partition_key=dynamodb.Attribute(name=ALERT_DUE_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(ALERTS_DUE_PROJECTED),
        )
        # Sparse: only states with a state-change event the bus has not accepted carry the key.
        table.add_global_secondary_index(
            index_name=EVENTS_DUE_INDEX,
            partition_key=dynamodb.Attribute(name=EVENT_DUE_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(EVENTS_DUE_PROJECTED),
        )
        return table

    def _build_access_log_bucket(self) -> s3.Bucket:
        # No access logging of its own: cdk-nag (S1) accepts a bucket that is a log destination.
        return s3.Bucket(
            self,
            "AccessLogBucket",
            # S3 server access logging only delivers to buckets encrypted with SSE-S3.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _build_archive_bucket(self, access_log_bucket: s3.IBucket) -> s3.Bucket:
        return s3.Bucket(
            self,
            "ArchiveBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(config.ARCHIVE_NONCURRENT_VERSION_EXPIRATION_DAYS),
                ),
                # Athena's query results are working files, not archive: they expire.
                s3.LifecycleRule(
                    id="expire-athena-results",
                    prefix=ATHENA_RESULTS_PREFIX,
                    expiration=Duration.days(config.ATHENA_RESULTS_EXPIRATION_DAYS),
                ),
            ],
            server_access_logs_bucket=access_log_bucket,
            server_access_logs_prefix=ACCESS_LOGS_PREFIX,
            removal_policy=RemovalPolicy.RETAIN,
        )
