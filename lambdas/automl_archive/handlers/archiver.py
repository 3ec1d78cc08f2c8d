"""Archiver Lambda: SQS batch of SageMaker events and job references -> archived job states.

Thin by design: observability decorators, parse each record into a typed work item, hand it to
`JobArchiver`. Rejected messages are logged with their reason, counted and acknowledged; any other
error fails only its own record, which SQS redelivers and finally moves to the dead-letter queue.
A record is started only while the worst case of one AWS call still fits the remaining time; later
records are handed back untouched (batch item failures), since a timeout would fail the whole batch.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from automl_archive.composition import build_job_archiver
from automl_archive.contracts.call_budget import record_reserve_seconds
from automl_archive.contracts.metric_names import RECORDS_DEFERRED
from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.handlers.tracing import tracer
from automl_archive.logic.archive import JobArchiver
from automl_archive.models.messages import RejectedMessage, parse_message
from automl_archive.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


class RecordDeferred(Exception):
    """Too little time left in this invocation to start the record; SQS redelivers it."""


@cache
def archiver_settings() -> ArchiverSettings:
    """Read once per container (cold start); raises ConfigurationError on a bad environment."""
    return ArchiverSettings.from_environ()


@cache
def build_archiver() -> JobArchiver:
    return build_job_archiver(archiver_settings())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    archiver = build_archiver()
    reserve_millis = record_reserve_seconds(archiver_settings().sagemaker_max_attempts) * 1000
    archived_in_batch: set[str] = set()

    def handle_record(record: SQSRecord) -> str:
        logger.set_correlation_id(record.message_id)
        logger.remove_keys(["automl_job", "origin"])
        remaining_millis = context.get_remaining_time_in_millis()
        if remaining_millis < reserve_millis:
            metrics.add_metric(name=RECORDS_DEFERRED, unit=MetricUnit.Count, value=1)
            raise RecordDeferred(f"{remaining_millis} ms left, a record needs {reserve_millis} ms")
        try:
            item = parse_message(record.body)
        except RejectedMessage as rejection:
            metrics.add_metric(name=rejection.metric, unit=MetricUnit.Count, value=1)
            logger.warning(
                "Message rejected and acknowledged",
                extra={"reason": rejection.reason, "body_bytes": len(record.body or "")},
            )
            return "rejected"
        first_delivery = record.attributes.approximate_receive_count in (None, "", "1")
        return archiver.process(item, record.message_id, archived_in_batch, first_delivery).value

    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
