"""The "AutoML Job State Change" event: the one SageMaker never emits, as this product will publish it.

Its shape is defined here once: the detail built from an archived record, and the OpenAPI 3 schema the
stack puts in the EventBridge Schema Registry (so the console shows it and code bindings can be
downloaded; https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-schema.html). docs/events.md
documents each field from `DETAIL_FIELDS`.

The detail is bounded whatever the answer's size: every text field is short by SageMaker's own limits
except the failure reason, which is cut to `FAILURE_REASON_LIMIT` characters, so an event stays far
below EventBridge's 256 KB per entry (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# AWS reserves sources that start with "aws." for its own services.
SOURCE = "automl-job-archive"
DETAIL_TYPE = "AutoML Job State Change"
DETAIL_SCHEMA_VERSION = 1
SCHEMA_NAME = f"{SOURCE}@AutoMLJobStateChange"
FAILURE_REASON_LIMIT = 1024  # DescribeAutoMLJob's FailureReason is at most 1,024 characters
DEFAULT_EVENT_BUS = "default"  # the account's default bus, where the stack publishes unless told otherwise


@dataclass(frozen=True)
class DetailField:
    name: str
    json_type: str  # "string", "integer", "number", "boolean"
    nullable: bool
    description: str
    date_time: bool = False


DETAIL_FIELDS: tuple[DetailField, ...] = (
    DetailField("schema_version", "integer", False, "Version of this detail's shape; a new field adds one."),
    DetailField("state_id", "string", False, "The state's id, unique per job: deduplicate on it."),
    DetailField("job_name", "string", False, "The AutoML job's name, in its real case."),
    DetailField("job_arn", "string", False, "The AutoML job's ARN (also the event's `resources`)."),
    DetailField("account_id", "string", False, "The AWS account the job runs in (from its ARN)."),
    DetailField("region", "string", False, "The AWS Region the job runs in (from its ARN)."),
    DetailField("status", "string", False, "AutoMLJobStatus: InProgress, Completed, Failed, Stopping, Stopped."),
    DetailField("secondary_status", "string", True, "AutoMLJobSecondaryStatus (the phase, or why it ended)."),
    DetailField("previous_status", "string", True, "The status of the state archived before this one, if any."),
    DetailField("problem_type", "string", True, "BinaryClassification, Regression, ...; null until known."),
    DetailField("objective_metric", "string", True, "The metric the job optimises (e.g. F1)."),
    DetailField("best_candidate_name", "string", True, "The best candidate so far, if any."),
    DetailField("best_objective_metric_value", "number", True, "The best candidate's objective metric value."),
    DetailField("candidate_count", "integer", True, "Candidates archived with a terminal state."),
    DetailField("failure_reason", "string", True, "Why the job failed (at most 1,024 characters)."),
    DetailField(
        "historical",
        "boolean",
        False,
        "True when the archive learned of this state late: from an operator's backfill, or more than 24 hours "
        "after SageMaker recorded it. Automation that acts on outcomes as they happen matches false.",
    ),
    DetailField("creation_time", "string", True, "When the job was created.", date_time=True),
    DetailField("end_time", "string", True, "When the job ended; null while it runs.", date_time=True),
    DetailField("last_modified_time", "string", False, "When SageMaker recorded this state.", date_time=True),
    DetailField("archived_at", "string", False, "When the archive wrote this state.", date_time=True),
    DetailField("raw_answer_uri", "string", False, "s3:// URI of the full Describe answer of this state."),
    DetailField("record_uri", "string", False, "s3:// URI of the Athena record of this state."),
)


def state_change_detail(
    record: dict[str, Any],
    previous_status: str | None,
    raw_answer_uri: str,
    record_uri: str,
    historical: bool = False,
) -> dict[str, Any]:
    """The event's detail for one archived state, from its normalised record: JSON-safe (a number that
    is not finite, which JSON cannot carry, is null) and bounded."""
    reason = record.get("failure_reason")
    values = {
        **{field.name: record.get(field.name) for field in DETAIL_FIELDS},
        "schema_version": DETAIL_SCHEMA_VERSION,
        "previous_status": previous_status,
        "failure_reason": reason[:FAILURE_REASON_LIMIT] if isinstance(reason, str) else None,
        "historical": historical,
        "raw_answer_uri": raw_answer_uri,
        "record_uri": record_uri,
    }
    return {field.name: _json_safe(values[field.name]) for field in DETAIL_FIELDS}


def _json_safe(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _field_schema(field: DetailField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": field.json_type, "description": field.description}
    if field.date_time:
        schema["format"] = "date-time"
    if field.nullable:
        schema["nullable"] = True
    return schema


def openapi_schema() -> dict[str, Any]:
    """The event as EventBridge's schema registry describes events (OpenAPI 3, an `AWSEvent` envelope
    whose `detail` is this product's detail)."""
    detail_name = "AutoMLJobStateChange"
    return {
        "openapi": "3.0.0",
        "info": {"version": f"{DETAIL_SCHEMA_VERSION}.0.0", "title": detail_name},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "required": ["detail-type", "resources", "detail", "id", "source", "time", "region", "account"],
                    "x-amazon-events-detail-type": DETAIL_TYPE,
                    "x-amazon-events-source": SOURCE,
                    "properties": {
                        "detail": {"$ref": f"#/components/schemas/{detail_name}"},
                        "account": {"type": "string"},
                        "detail-type": {"type": "string"},
                        "id": {"type": "string"},
                        "region": {"type": "string"},
                        "resources": {"type": "array", "items": {"type": "string"}},
                        "source": {"type": "string"},
                        "time": {"type": "string", "format": "date-time"},
                        "version": {"type": "string"},
                    },
                },
                detail_name: {
                    "type": "object",
                    "required": [field.name for field in DETAIL_FIELDS if not field.nullable],
                    "properties": {field.name: _field_schema(field) for field in DETAIL_FIELDS},
                },
            }
        },
    }
