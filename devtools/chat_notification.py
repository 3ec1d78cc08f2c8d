"""A validator for AWS Chatbot custom notifications, written from the documented fields.

Page: "Custom notifications using Amazon Q Developer in chat applications",
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html (Event schema, Parameter
details). Required: `version` ("1.0"), `source` ("custom"), `content.description`. Optional: `id`;
`content.textType` (only "client-markdown"), `content.title`, `content.nextSteps` and
`content.keywords` (lists of strings); `metadata.threadId`, `summary`, `eventType` (strings),
`relatedResources` (list of strings), `additionalContext` (string to string). The page sets no
lengths: the product's own bounds (logic/alerts.py) are checked when given.
"""

from __future__ import annotations

from typing import Any

CONTENT_STRINGS = ("textType", "title", "description")
CONTENT_LISTS = ("nextSteps", "keywords")
METADATA_STRINGS = ("threadId", "summary", "eventType")
METADATA_LISTS = ("relatedResources",)


def _unknown(where: str, value: dict[str, Any], known: set[str]) -> list[str]:
    return [f"{where}: unknown field {name!r}" for name in sorted(set(value) - known)]


def _strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [f"{where}: must be a list of strings"]
    return []


def chat_notification_errors(
    payload: Any, title_limit: int | None = None, description_limit: int | None = None
) -> list[str]:
    """Every way `payload` departs from the documented custom-notification format (empty: valid)."""
    if not isinstance(payload, dict):
        return ["the notification must be a JSON object"]
    errors = _unknown("notification", payload, {"version", "source", "id", "content", "metadata"})
    if payload.get("version") != "1.0":
        errors.append("version: required, must be '1.0'")
    if payload.get("source") != "custom":
        errors.append("source: required, must be 'custom'")
    if "id" in payload and not isinstance(payload["id"], str):
        errors.append("id: must be a string")
    content = payload.get("content")
    if not isinstance(content, dict):
        return [*errors, "content: required, must be an object"]
    errors += _unknown("content", content, {*CONTENT_STRINGS, *CONTENT_LISTS})
    errors += [
        f"content.{name}: must be a string"
        for name in CONTENT_STRINGS
        if name in content and not isinstance(content[name], str)
    ]
    errors += [
        error for name in CONTENT_LISTS if name in content for error in _strings(f"content.{name}", content[name])
    ]
    if not isinstance(content.get("description"), str) or not content["description"]:
        errors.append("content.description: required, a non-empty string")
    if "textType" in content and content["textType"] != "client-markdown":
        errors.append("content.textType: only 'client-markdown' is supported")
    if title_limit is not None and len(str(content.get("title", ""))) > title_limit:
        errors.append(f"content.title: longer than {title_limit} characters")
    if description_limit is not None and len(str(content.get("description", ""))) > description_limit:
        errors.append(f"content.description: longer than {description_limit} characters")
    metadata = payload.get("metadata")
    if metadata is None:
        return errors
    if not isinstance(metadata, dict):
        return [*errors, "metadata: must be an object"]
    errors += _unknown("metadata", metadata, {*METADATA_STRINGS, *METADATA_LISTS, "additionalContext"})
    errors += [
        f"metadata.{name}: must be a string"
        for name in METADATA_STRINGS
        if name in metadata and not isinstance(metadata[name], str)
    ]
    errors += [
        error for name in METADATA_LISTS if name in metadata for error in _strings(f"metadata.{name}", metadata[name])
    ]
    context = metadata.get("additionalContext")
    if context is not None and (
        not isinstance(context, dict) or not all(isinstance(value, str) for value in context.values())
    ):
        errors.append("metadata.additionalContext: must map keys to strings")
    return errors
