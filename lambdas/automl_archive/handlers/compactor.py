"""Compaction Lambda (scheduled): merge the data lake's changed JSON days into its Iceberg tables."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from automl_archive.composition import build_compaction
from automl_archive.contracts.settings import CompactorSettings
from automl_archive.handlers.tracing import tracer
from automl_archive.logic.compaction import LakeCompaction
from automl_archive.observability import logger, metrics

# A statement still running this close to the timeout is left to finish in Athena; the run fails without
# moving the watermark, so the next run merges the same days again (MERGE makes that harmless).
SAFETY_MARGIN_SECONDS = 30


@cache
def compaction() -> LakeCompaction:
    """Built once per container, at the first invocation (a bad environment fails it loudly)."""
    return build_compaction(CompactorSettings.from_environ())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline = time.time() + context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    report = compaction().run(deadline)
    logger.info("compaction complete", extra={"statements": report.statements, "bytes_scanned": report.bytes_scanned})
    return {
        "since": report.since.isoformat() if report.since else None,
        "watermark": report.watermark.isoformat() if report.watermark else None,
        "days_by_table": {table: len(days) for table, days in report.days_by_table.items()},
        "statements": report.statements,
        "bytes_scanned": report.bytes_scanned,
        "busy_until": report.busy_until.isoformat() if report.busy_until else None,
    }
