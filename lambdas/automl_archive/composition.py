"""Wiring: the JobArchiver with the boto3 data-access layer, as the Lambda handler and the CLI build it."""

from __future__ import annotations

from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.dal.aws import DynamoJobStore, S3Archive, SageMakerApi, SnsNotifier
from automl_archive.logic.archive import ArchivePolicy, JobArchiver
from automl_archive.logic.resolve import ChildJobResolver
from automl_archive.wall_clock import epoch_seconds, utc_now


def build_job_archiver(
    settings: ArchiverSettings, sagemaker: SageMakerApi | None = None, connect_now: bool = False
) -> JobArchiver:
    """`sagemaker` replaces the default client wrapper (the CLI's rate-limited one); `connect_now`
    creates every boto3 client in the calling thread (client creation is not thread-safe)."""
    sagemaker = sagemaker or SageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts)
    store = DynamoJobStore(settings.jobs_table_name)
    archive = S3Archive(settings.archive_bucket_name)
    notifier = SnsNotifier(settings.alerts_topic_arn)
    if connect_now:
        for dal in (sagemaker, store, archive, notifier):
            dal.connect()
    return JobArchiver(
        sagemaker=sagemaker,
        store=store,
        archive=archive,
        notifier=notifier,
        resolver=ChildJobResolver(
            sagemaker,
            store,
            link_ttl_seconds=settings.child_link_ttl_days * 86400,
            epoch_seconds=epoch_seconds,
        ),
        policy=ArchivePolicy(
            alert_on=settings.alert_on,
            alert_claim_lease_seconds=settings.alert_claim_lease_seconds,
        ),
        clock=utc_now,
    )
