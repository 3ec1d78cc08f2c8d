"""The AutoML Job State Change event's detail and its registry schema (contracts/state_change_event.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automl_archive.contracts.job_status import DescribeApi
from automl_archive.contracts.state_change_event import (
    DETAIL_FIELDS,
    DETAIL_TYPE,
    FAILURE_REASON_LIMIT,
    SOURCE,
    openapi_schema,
    state_change_detail,
)
from automl_archive.logic.normalise import normalise
from devtools.answers import v1_answer, v2_answer

ARCHIVED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EVENTS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


def detail_of(answer: dict, api: DescribeApi = DescribeApi.V1, previous: str | None = "InProgress") -> dict:
    record = normalise(answer, api, raw_s3_key="raw/automl-jobs/x/s.json", archived_at=ARCHIVED)
    return state_change_detail(record, previous, "s3://bucket/raw/x.json", "s3://bucket/records/x.jsonl")


def assert_matches_schema(detail: dict) -> None:
    """The detail as the registry's schema describes it: every field, its type, nulls only where allowed."""
    schema = openapi_schema()["components"]["schemas"]["AutoMLJobStateChange"]
    assert set(detail) == set(schema["properties"])
    for name in schema["required"]:
        assert detail[name] is not None, name
    for name, value in detail.items():
        spec = schema["properties"][name]
        if value is None:
            assert spec.get("nullable"), name
            continue
        assert isinstance(value, JSON_TYPES[spec["type"]]), name
        assert isinstance(value, bool) == (spec["type"] == "boolean"), name
        if spec.get("format") == "date-time":
            assert datetime.fromisoformat(value).tzinfo is not None, name


@pytest.mark.parametrize(
    "answer, api",
    [
        (v1_answer(status="Completed", secondary="Completed"), DescribeApi.V1),
        (v1_answer(status="Failed", secondary="Failed"), DescribeApi.V1),
        (v2_answer(status="InProgress", secondary="AnalyzingData"), DescribeApi.V2),
    ],
)
def test_the_detail_of_every_kind_of_state_matches_the_registry_schema(answer, api):
    assert_matches_schema(detail_of(answer, api))


def test_the_detail_carries_the_state_and_where_it_is_archived():
    answer = v1_answer(status="Failed", secondary="Failed")
    detail = detail_of(answer, previous="InProgress")
    assert detail["job_name"] == answer["AutoMLJobName"]
    assert (detail["status"], detail["previous_status"]) == ("Failed", "InProgress")
    assert detail["state_id"].endswith("-Failed-Failed")
    assert detail["raw_answer_uri"] == "s3://bucket/raw/x.json"
    assert detail["schema_version"] == 1


def test_the_detail_stays_small_whatever_the_failure_reason():
    # Given a failure reason far over SageMaker's 1,024 characters
    answer = {**v1_answer(status="Failed", secondary="Failed"), "FailureReason": "x" * 1_000_000}
    detail = detail_of(answer)
    # Then it is cut, the detail still matches its schema, and the event is far below 256 KB
    assert len(detail["failure_reason"]) == FAILURE_REASON_LIMIT
    assert_matches_schema(detail)
    assert len(json.dumps(detail).encode()) < 8 * 1024


def test_the_event_is_a_custom_source_with_the_envelope_eventbridge_describes():
    schema = openapi_schema()
    envelope = schema["components"]["schemas"]["AWSEvent"]
    assert not SOURCE.startswith("aws.")  # AWS reserves aws.* for its services
    assert (envelope["x-amazon-events-source"], envelope["x-amazon-events-detail-type"]) == (SOURCE, DETAIL_TYPE)
    assert envelope["properties"]["detail"] == {"$ref": "#/components/schemas/AutoMLJobStateChange"}
    assert schema["openapi"].startswith("3.")


def test_every_detail_field_is_documented():
    page = EVENTS_PAGE.read_text(encoding="utf-8")
    for field in DETAIL_FIELDS:
        assert f"| `{field.name}` |" in page, field.name
