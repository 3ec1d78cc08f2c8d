"""Reconcile-sweep Lambda (scheduled): enqueue every AutoML job the archive is missing or behind on."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from automl_archive.contracts.call_budget import record_reserve_seconds
from automl_archive.contracts.settings import SweepSettings
from automl_archive.dal.aws import DynamoJobStore, SageMakerApi, SqsWorkQueue
from automl_archive.logic.reconcile import ReconcileSweep, SweepPolicy
from automl_archive.observability import logger, metrics, tracer
from automl_archive.wall_clock import utc_now

# Stop listing with one worst-case call's time (plus headroom) left, so the watermark decision is made
# inside the timeout in all but a pass whose every call degrades at once; a timed-out pass keeps the
# watermark, and the next pass lists the same jobs again.
SAFETY_MARGIN_MILLIS = record_reserve_seconds() * 1000


@cache
def build_sweep() -> ReconcileSweep:
    settings = SweepSettings.from_environ()
    return ReconcileSweep(
        sagemaker=SageMakerApi(settings.sagemaker_retry_mode, settings.sagemaker_max_attempts),
        store=DynamoJobStore(settings.jobs_table_name),
        queue=SqsWorkQueue(settings.work_queue_url),
        policy=SweepPolicy(
            overlap=timedelta(seconds=settings.overlap_seconds),
            initial_lookback=timedelta(days=settings.initial_lookback_days),
        ),
        clock=utc_now,
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = build_sweep().run(out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MILLIS)
    return {
        "listed": report.listed,
        "enqueued": report.enqueued,
        "complete": report.complete,
        "since": report.since.isoformat(),
        "watermark": report.watermark.isoformat() if report.watermark else None,
    }
