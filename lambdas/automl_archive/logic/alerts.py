"""The alert a terminal job state raises, rendered once for e-mail and once for chat.

One publish serves every subscriber of the alerts topic (the exactly-once alert design rests on it):
the SNS adapter sends `message` as the `default` and `email` text and `chat` as the HTTPS message
AWS Chatbot (now "Amazon Q Developer in chat applications") receives, with MessageStructure json.

- The chat rendering is the documented *custom notification* format:
  https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
  (version "1.0", source "custom", content.description required; textType only "client-markdown").
- Publish limits: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (subject under 100
  characters; the message at most 256 KB; with MessageStructure json it is a JSON object with a
  string "default" key, one key per protocol).
The custom-notification page gives no lengths: the bounds below are the product's own, kept well
under the publish limit and what a chat message can show, whatever the failure reason's size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# SNS Publish: a subject is "less than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
SUBJECT_LIMIT = 99

# The product's bounds (the custom-notification page sets none).
REASON_LIMIT = 2_000  # one failure reason, in the e-mail text
PARTIAL_REASONS_SHOWN = 10  # partial failure reasons listed in the e-mail text; the rest are counted
CHAT_TITLE_LIMIT = 250
CHAT_DESCRIPTION_LIMIT = 3_000
CHAT_REASON_LIMIT = 1_500  # the failure reason inside the chat description
CHAT_VERSION = "1.0"
CHAT_SOURCE = "custom"
CHAT_TEXT_TYPE = "client-markdown"
CHAT_EVENT_TYPE = "AutoMLJobAlert"

ELLIPSIS = "..."


@dataclass(frozen=True)
class Alert:
    subject: str
    message: str  # the readable text: e-mail and every subscriber without a message of its own
    attributes: dict[str, str]  # filterable message attributes
    chat: str  # the custom-notification JSON for AWS Chatbot


def bounded(text: str, limit: int) -> str:
    """`text`, cut to at most `limit` characters with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def console_url(region: str | None, job_name: str) -> str:
    region = region or "us-east-1"
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/automl-jobs/{job_name}"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _headline(category: str) -> str:
    return {
        "Failed": "failed",
        "Stopped": "was stopped",
        "CompletedWithProblems": "completed with problems",
    }.get(category, category.lower())


def where(record: dict[str, Any], account_alias: str = "") -> str:
    """The job's account (its alias first, where known) and Region: `team-a 111122223333 eu-west-1`."""
    parts = [account_alias, record.get("account_id") or "", record.get("region") or ""]
    return " ".join(part for part in parts if part)


def build_alert(record: dict[str, Any], raw_location: str, record_location: str, account_alias: str = "") -> Alert:
    """`account_alias`: the job's account's alias where the registry knows it (docs/multi-account.md)."""
    category = record["alert_category"]
    headline = _headline(category)
    located = where(record, account_alias)
    # The name and headline first: a subject cut to SNS's limit loses the least useful part.
    subject = bounded(
        f"AutoML job {record['job_name']} {headline}" + (f" in {located}" if located else ""), SUBJECT_LIMIT
    )
    attributes = {
        "status": record["status"],
        "alert_category": category,
        "problem_type": record["problem_type"] or "unknown",
        "job_name": record["job_name"],
        "account_id": record.get("account_id") or "",
        "region": record.get("region") or "",
        **({"account_alias": account_alias} if account_alias else {}),
    }
    return Alert(
        subject=subject,
        message=_text(record, headline, raw_location, record_location, located),
        attributes=attributes,
        chat=json.dumps(_chat(record, headline, subject, attributes, raw_location, record_location)),
    )


def _text(record: dict[str, Any], headline: str, raw_location: str, record_location: str, located: str) -> str:
    partial = list(record["partial_failure_reasons"])
    lines = [
        f"AutoML job {record['job_name']} {headline}.",
        "",
        f"Status:            {record['status']} ({record['secondary_status'] or 'no secondary status'})",
        f"Problem type:      {record['problem_type'] or 'unknown'}",
        f"Account:           {located or 'unknown'}",
        f"Failure reason:    {bounded(record['failure_reason'] or 'none given', REASON_LIMIT)}",
    ]
    lines += [f"Partial failure:   {bounded(reason, REASON_LIMIT)}" for reason in partial[:PARTIAL_REASONS_SHOWN]]
    if len(partial) > PARTIAL_REASONS_SHOWN:
        lines.append(f"Partial failure:   ... and {len(partial) - PARTIAL_REASONS_SHOWN} more in the archived record")
    lines += [
        f"Ran for:           {human_duration(record['duration_seconds'])}"
        f" (created {record['creation_time']}, ended {record['end_time'] or 'not yet'})",
        f"Best candidate:    {record['best_candidate_name'] or 'none'}",
        f"Console:           {console_url(record.get('region'), record['job_name'])}",
        f"Raw answer:        {raw_location}",
        f"Archived record:   {record_location}",
        f"Job ARN:           {record['job_arn']}",
    ]
    return "\n".join(lines)


def _chat(
    record: dict[str, Any],
    headline: str,
    subject: str,
    attributes: dict[str, str],
    raw_location: str,
    record_location: str,
) -> dict[str, Any]:
    """The custom notification (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).

    Plain lines render alike in Slack and Teams (client-markdown uses each platform's own markdown).
    """
    partial = list(record["partial_failure_reasons"])
    description_lines = [
        f"Status: {record['status']} ({record['secondary_status'] or 'no secondary status'})",
        f"Problem type: {record['problem_type'] or 'unknown'}",
        f"Account: {where(record, attributes.get('account_alias', '')) or 'unknown'}",
        f"Failure reason: {bounded(record['failure_reason'] or 'none given', CHAT_REASON_LIMIT)}",
    ]
    if partial:
        description_lines.append(f"Partial failures: {len(partial)} (listed in the archived record)")
    description_lines.append(f"Ran for: {human_duration(record['duration_seconds'])}")
    metadata: dict[str, Any] = {
        "threadId": record["job_name"],  # a job's alerts thread together
        "summary": subject,
        "eventType": CHAT_EVENT_TYPE,
        "additionalContext": attributes,
    }
    if record["job_arn"]:
        metadata["relatedResources"] = [record["job_arn"]]
    return {
        "version": CHAT_VERSION,
        "source": CHAT_SOURCE,
        "id": f"{record['job_name']}/{record['status']}",  # one alert per job and terminal status
        "content": {
            "textType": CHAT_TEXT_TYPE,
            "title": bounded(f"AutoML job {record['job_name']} {headline}", CHAT_TITLE_LIMIT),
            "description": bounded("\n".join(description_lines), CHAT_DESCRIPTION_LIMIT),
            "nextSteps": [
                f"Open the job in the SageMaker console: {console_url(record.get('region'), record['job_name'])}",
                f"Raw answer archived at {raw_location}",
                f"Job record archived at {record_location}",
            ],
            "keywords": list(
                dict.fromkeys([record["status"], attributes["alert_category"], attributes["problem_type"]])
            ),
        },
        "metadata": metadata,
    }
