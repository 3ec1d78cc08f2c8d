"""Pages of list answers and their opaque NextToken values."""

from __future__ import annotations

import base64
import json
from typing import Any

from devtools.emulator.autopilot.api_errors import SimulatedApiError


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise SimulatedApiError("ValidationException", "Invalid pagination token.") from error


def page(items: list[Any], max_results: Any, limit: int, token: str | None) -> tuple[list[Any], str | None]:
    """The page of `items` a request asks for (MaxResults up to `limit`), and the token of the next one."""
    size = int(max_results) if max_results else limit
    if size < 1 or size > limit:
        raise SimulatedApiError(
            "ValidationException",
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {limit}",
        )
    start = decode_token(token)
    items_on_page = items[start : start + size]
    return items_on_page, (encode_token(start + size) if start + size < len(items) else None)
