"""Wiring: the one place that assembles each function's logic from its settings and its gateways.

The Lambda handlers, the operator command and the CPU benchmark all build through here; `assemble_*`
takes the gateways (boto3 adapters in AWS, fakes in tests and benchmarks), `build_*` adds the boto3 ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from automl_archive.contracts.settings import ArchiverSettings, CompactorSettings, SweepSettings
from automl_archive.dal.aws import DynamoJobStore, EventBridgeBus, S3Archive, SageMakerApi, SnsNotifier, SqsWorkQueue
from automl_archive.dal.aws.lake import AthenaQueryEngine, GlueLakeCatalog, S3LakeStorage
from automl_archive.dal.aws.spokes import SpokeSageMaker
from automl_archive.dal.interfaces import (
    Archive,
    EventBus,
    JobStore,
    MetricsSink,
    Notifier,
    SageMakerGateway,
    SpokeGateways,
    WorkQueue,
)
from automl_archive.logic.archive import ArchivePolicy, JobArchiver
from automl_archive.logic.compaction import LakeCompaction
from automl_archive.logic.reconcile import ReconcileSweep, SweepPolicy
from automl_archive.logic.resolve import ChildJobResolver
from automl_archive.observability import PowertoolsMetrics
from automl_archive.wall_clock import epoch_seconds, utc_now


def assemble_archiver(
    settings: ArchiverSettings,
    *,
    sagemaker: SageMakerGateway,
    store: JobStore,
    archive: Archive,
    notifier: Notifier,
    metrics: MetricsSink,
    bus: EventBus | None = None,
    spokes: SpokeGateways | None = None,
    clock: Callable[[], datetime] = utc_now,
    epoch: Callable[[], int] = epoch_seconds,
) -> JobArchiver:
    """`bus` None publishes no state-change events (the settings name no bus); `spokes` reads the
    registered spokes' SageMaker (None: none registered)."""
    return JobArchiver(
        sagemaker=sagemaker,
        store=store,
        archive=archive,
        notifier=notifier,
        resolver=ChildJobResolver(store, link_ttl_seconds=settings.child_link_ttl_days * 86400, epoch_seconds=epoch),
        policy=ArchivePolicy(
            alert_on=settings.alert_on,
            alert_claim_lease_seconds=settings.alert_claim_lease_seconds,
            alert_max_age_seconds=settings.alert_max_age_hours * 3600,
        ),
        clock=clock,
        metrics=metrics,
        bus=bus,
        access=settings.hub.spoke_access,
        spokes=spokes,
    )


def spoke_gateways(settings: ArchiverSettings | SweepSettings) -> SpokeSageMaker | None:
    """The registered spokes' SageMaker, through their reader roles (None: no spoke registered)."""
    access = settings.hub.spoke_access
    if access is None or not access.spokes:
        return None
    return SpokeSageMaker(
        access, settings.sagemaker_retry_mode, settings.sagemaker_max_attempts, settings.hub.spoke_calls_per_second
    )


def build_job_archiver(
    settings: ArchiverSettings,
    sagemaker: SageMakerApi | None = None,
    connect_now: bool = False,
    metrics: MetricsSink | None = None,
) -> JobArchiver:
    """`sagemaker` replaces the default client wrapper (the CLI's rate-limited one); `connect_now`
    creates every boto3 client in the calling thread (client creation is not thread-safe); `metrics`
    replaces CloudWatch's (the CLI counts nothing)."""
    sagemaker = sagemaker or SageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts)
    store = DynamoJobStore(settings.jobs_table_name)
    archive = S3Archive(settings.archive_bucket_name)
    notifier = SnsNotifier(settings.alerts_topic_arn)
    bus = EventBridgeBus(settings.state_change_event_bus) if settings.state_change_event_bus else None
    if connect_now:
        for dal in (sagemaker, store, archive, notifier, bus):
            if dal is not None:
                dal.connect()
    return assemble_archiver(
        settings,
        sagemaker=sagemaker,
        store=store,
        archive=archive,
        notifier=notifier,
        metrics=metrics or PowertoolsMetrics(),
        bus=bus,
        spokes=spoke_gateways(settings),
    )


def assemble_sweep(
    settings: SweepSettings,
    *,
    sagemaker: SageMakerGateway,
    store: JobStore,
    queue: WorkQueue,
    metrics: MetricsSink,
    spokes: SpokeGateways | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ReconcileSweep:
    access = settings.hub.spoke_access
    return ReconcileSweep(
        sagemaker=sagemaker,
        store=store,
        queue=queue,
        policy=SweepPolicy(
            overlap=timedelta(seconds=settings.overlap_seconds),
            initial_lookback=timedelta(days=settings.initial_lookback_days),
        ),
        clock=clock,
        metrics=metrics,
        spokes=tuple(spoke.source for spoke in access.spokes) if access else (),
        spoke_gateways=spokes,
    )


def build_sweep(settings: SweepSettings) -> ReconcileSweep:
    return assemble_sweep(
        settings,
        sagemaker=SageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts),
        store=DynamoJobStore(settings.jobs_table_name),
        queue=SqsWorkQueue(settings.work_queue_url),
        metrics=PowertoolsMetrics(),
        spokes=spoke_gateways(settings),
    )


def build_compaction(settings: CompactorSettings) -> LakeCompaction:
    return LakeCompaction(
        storage=S3LakeStorage(settings.archive_bucket_name),
        catalog=GlueLakeCatalog(settings.glue_database_name),
        engine=AthenaQueryEngine(settings.athena_workgroup, settings.glue_database_name),
        metrics=PowertoolsMetrics(),
        clock=utc_now,
        bucket_name=settings.archive_bucket_name,
    )
