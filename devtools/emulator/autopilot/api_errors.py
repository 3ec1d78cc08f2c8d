"""Error answers of the simulated SageMaker API, and the faults injected into its actions.

These are server-side: the moto server answers with the error. `devtools.emulator.faults` injects
faults on the client side instead, for any service.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
DEFAULT_FAULT_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "An internal error occurred.",
    "ServiceUnavailable": "Service is unavailable.",
}


class SimulatedApiError(Exception):
    """An AWS-style error answer (code, message, HTTP status)."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    def response(self) -> tuple[str, dict[str, Any]]:
        # Same wire form as SageMaker's JSON 1.1 errors; botocore reads the code from __type.
        body = json.dumps({"__type": self.code, "message": self.message})
        return body, {
            "status": self.http_status,
            "X-Amzn-ErrorType": self.code,
            "Content-Type": JSON_CONTENT_TYPE,
        }


@dataclass
class Fault:
    error_code: str
    http_status: int
    remaining: int
    message: str

    def error(self) -> SimulatedApiError:
        return SimulatedApiError(self.error_code, self.message, self.http_status)


class ActionFaults:
    """Errors to answer in place of the next calls of named actions (e.g. "DescribeAutoMLJob")."""

    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def inject(
        self,
        action: str,
        error_code: str = "ThrottlingException",
        http_status: int = 400,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """The next `times` calls of `action` answer with this error."""
        with self._lock:
            self._faults[action] = Fault(
                error_code, http_status, times, message or DEFAULT_FAULT_MESSAGES.get(error_code, error_code)
            )

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, action: str) -> Fault | None:
        """The fault this call of `action` answers with, if one is left (and count it used)."""
        with self._lock:
            fault = self._faults.get(action)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault
