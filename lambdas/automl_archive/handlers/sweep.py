"""Reconcile-sweep Lambda (scheduled): enqueue every AutoML job the archive is missing or behind on."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from automl_archive.composition import build_sweep
from automl_archive.contracts.call_budget import record_reserve_seconds
from automl_archive.contracts.settings import SweepSettings
from automl_archive.handlers.tracing import tracer
from automl_archive.logic.reconcile import ReconcileSweep
from automl_archive.observability import logger, metrics

# Stop listing with one worst-case call's time (plus headroom) left, so the watermark decision is made
# inside the timeout in all but a pass whose every call degrades at once; a timed-out pass keeps the
# watermark, and the next pass lists the same jobs again.
SAFETY_MARGIN_MILLIS = record_reserve_seconds() * 1000


@cache
def sweep() -> ReconcileSweep:
    """Built once per container, at the first invocation (a bad environment fails it loudly)."""
    return build_sweep(SweepSettings.from_environ())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = sweep().run(out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MILLIS)
    return {
        "listed": report.listed,
        "enqueued": report.enqueued,
        "complete": report.complete,
        "since": report.since.isoformat(),
        "watermark": report.watermark.isoformat() if report.watermark else None,
        "failed_spokes": list(report.failed_spokes),
    }
