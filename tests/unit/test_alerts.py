"""The alert's two renderings: readable text for e-mail, the custom-notification JSON for chat."""

from __future__ import annotations

import json
from typing import Any

import pytest

from automl_archive.dal.aws.notifier import structured_message
from automl_archive.logic.alerts import (
    CHAT_DESCRIPTION_LIMIT,
    CHAT_TITLE_LIMIT,
    SUBJECT_LIMIT,
    build_alert,
)
from devtools.chat_notification import chat_notification_errors
from devtools.emulator.limits import SNS_MAX_MESSAGE_BYTES

JOB_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:automl-job/churn-v1"
RAW = "s3://archive/raw/automl-jobs/churn-v1/Failed.json"
RECORD = "s3://archive/records/automl-jobs/churn-v1/Failed.json"


def record(**overrides: Any) -> dict[str, Any]:
    return {
        "job_name": "churn-v1",
        "job_arn": JOB_ARN,
        "account_id": "123456789012",
        "region": "eu-west-1",
        "status": "Failed",
        "secondary_status": "Failed",
        "alert_category": "Failed",
        "problem_type": "BinaryClassification",
        "failure_reason": "ClientError: target attribute 'churn' not found",
        "partial_failure_reasons": [],
        "duration_seconds": 4500,
        "creation_time": "2026-11-20T09:00:00Z",
        "end_time": "2026-11-20T10:15:00Z",
        "best_candidate_name": None,
        **overrides,
    }


def chat_of(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(build_alert(record(**overrides), RAW, RECORD).chat)
    return payload


def publish_size(subject: str, message: str, attributes: dict[str, str], chat: str) -> int:
    """What SNS counts against 256 KB: the message (the JSON structure) and the attributes."""
    size = len(structured_message(message, chat).encode())
    return size + sum(len(name.encode()) + len(b"String") + len(value.encode()) for name, value in attributes.items())


def test_the_chat_rendering_follows_the_documented_custom_notification_format():
    # Given a failed job / When its alert is built
    chat = chat_of()
    # Then the chat payload is a valid custom notification within the product's bounds
    assert chat_notification_errors(chat, CHAT_TITLE_LIMIT, CHAT_DESCRIPTION_LIMIT) == []
    assert (chat["version"], chat["source"], chat["content"]["textType"]) == ("1.0", "custom", "client-markdown")


def test_the_chat_says_what_happened_why_and_where_to_look():
    content = chat_of()["content"]
    assert content["title"] == "AutoML job churn-v1 failed"
    assert "Status: Failed (Failed)" in content["description"]
    assert "Problem type: BinaryClassification" in content["description"]
    assert "ClientError: target attribute 'churn' not found" in content["description"]
    console = "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/automl-jobs/churn-v1"
    assert any(console in step for step in content["nextSteps"])
    assert any(RAW in step for step in content["nextSteps"]) and any(RECORD in step for step in content["nextSteps"])
    assert content["keywords"] == ["Failed", "BinaryClassification"]  # status and category are one word here


def test_the_chat_metadata_threads_per_job_and_names_the_job():
    metadata = chat_of(status="Stopped", alert_category="Stopped", secondary_status="Stopped")["metadata"]
    assert metadata["threadId"] == "churn-v1"
    assert metadata["relatedResources"] == [JOB_ARN]
    assert metadata["additionalContext"]["alert_category"] == "Stopped"
    assert chat_of(job_arn=None)["metadata"].get("relatedResources") is None


def test_the_readable_text_and_filterable_attributes_are_unchanged():
    alert = build_alert(record(), RAW, RECORD)
    assert alert.subject == "AutoML job churn-v1 failed in 123456789012 eu-west-1"
    assert "Failure reason:    ClientError: target attribute 'churn' not found" in alert.message
    assert f"Raw answer:        {RAW}" in alert.message
    assert "Account:           123456789012 eu-west-1" in alert.message
    # The account and Region are filterable too (one topic can serve an organisation's accounts)
    assert alert.attributes == {
        "status": "Failed",
        "alert_category": "Failed",
        "problem_type": "BinaryClassification",
        "job_name": "churn-v1",
        "account_id": "123456789012",
        "region": "eu-west-1",
    }


def test_an_account_alias_the_registry_knows_leads_the_where_and_is_filterable():
    alert = build_alert(record(), RAW, RECORD, account_alias="team-a")
    assert alert.subject == "AutoML job churn-v1 failed in team-a 123456789012 eu-west-1"
    assert "Account:           team-a 123456789012 eu-west-1" in alert.message
    assert alert.attributes["account_alias"] == "team-a"
    assert "Account: team-a 123456789012 eu-west-1" in json.loads(alert.chat)["content"]["description"]


def test_a_huge_failure_reason_keeps_every_rendering_bounded_and_the_publish_under_256_kb():
    # Given a failure reason of 1 MB and ten thousand partial failure reasons of 10 KB each
    alert = build_alert(
        record(failure_reason="x" * 1_000_000, partial_failure_reasons=["y" * 10_000] * 10_000), RAW, RECORD
    )
    chat = json.loads(alert.chat)
    # Then the chat stays valid and bounded, the text counts what it leaves out, the publish fits
    assert chat_notification_errors(chat, CHAT_TITLE_LIMIT, CHAT_DESCRIPTION_LIMIT) == []
    assert chat["content"]["description"].count("x") < CHAT_DESCRIPTION_LIMIT
    assert "Partial failures: 10000" in chat["content"]["description"]
    assert "... and 9990 more in the archived record" in alert.message
    assert publish_size(alert.subject, alert.message, alert.attributes, alert.chat) < SNS_MAX_MESSAGE_BYTES


def test_a_long_job_name_keeps_subject_and_title_within_their_limits():
    alert = build_alert(record(job_name="j" * 400), RAW, RECORD)
    assert len(alert.subject) <= SUBJECT_LIMIT
    assert chat_notification_errors(json.loads(alert.chat), CHAT_TITLE_LIMIT, CHAT_DESCRIPTION_LIMIT) == []


def test_the_structured_message_has_a_default_and_a_message_per_subscriber_kind():
    alert = build_alert(record(), RAW, RECORD)
    structure = json.loads(structured_message(alert.message, alert.chat))
    assert structure == {"default": alert.message, "email": alert.message, "https": alert.chat}
    assert all(isinstance(value, str) for value in structure.values())  # SNS wants string values


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"source": "custom", "content": {"description": "d"}}, "version: required"),
        ({"version": "1.0", "source": "aws", "content": {"description": "d"}}, "source: required"),
        ({"version": "1.0", "source": "custom", "content": {"title": "t"}}, "content.description: required"),
        ({"version": "1.0", "source": "custom", "content": {"description": "d", "textType": "html"}}, "textType"),
        ({"version": "1.0", "source": "custom", "content": {"description": "d", "nextSteps": "x"}}, "nextSteps"),
        ({"version": "1.0", "source": "custom", "content": {"description": "d", "keywords": [1]}}, "keywords"),
        ({"version": "1.0", "source": "custom", "content": {"description": "d"}, "extra": 1}, "unknown field"),
        (
            {"version": "1.0", "source": "custom", "content": {"description": "d"}, "metadata": {"threadId": 7}},
            "metadata.threadId",
        ),
        (
            {
                "version": "1.0",
                "source": "custom",
                "content": {"description": "d"},
                "metadata": {"additionalContext": {"k": 1}},
            },
            "additionalContext",
        ),
    ],
)
def test_the_validator_rejects_what_the_documented_format_does_not_allow(payload, error):
    assert any(error in message for message in chat_notification_errors(payload))


def test_the_validator_accepts_the_minimal_documented_notification():
    assert chat_notification_errors({"version": "1.0", "source": "custom", "content": {"description": "d"}}) == []
