"""Lambda's Invoke of a deployed function, answered by running its handler in-process as its role.

moto runs a function's code only in Docker, which this machine lacks; without it moto's Invoke answers a
canned "Simple Lambda happy path OK". The operator command `automl-archive compact` invokes the
compaction function and reads its answer, so the emulator runs the deployed handler (from its asset,
with the environment and role the template gives it, as `ScheduledFunction` does) and answers as Lambda
does (API_Invoke): the handler's return value as the JSON payload, or, when it raises, status 200 with
the `X-Amz-Function-Error: Unhandled` header and a payload of `errorMessage` and `errorType`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaBackend

from devtools.emulator.iam.enforcement import ENFORCEMENT
from devtools.emulator.scheduled import ScheduledFunction

_ORIGINAL_INVOKE = LambdaBackend.invoke
# One invocation at a time: the emulator's principals are process-wide (iam.enforcement.acting_as).
_LOCK = threading.Lock()


def _name_of(function_name: str) -> str:
    """A function's name from the name or ARN Invoke was given (``arn:...:function:NAME[:qualifier]``)."""
    if function_name.startswith("arn:"):
        return function_name.split(":")[6]
    return function_name


@contextlib.contextmanager
def invoked_in_process(functions: Mapping[str, ScheduledFunction]) -> Iterator[None]:
    """While open, a RequestResponse Invoke of one of ``functions`` (by function name) runs its handler."""

    def invoke(
        backend: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> Any:
        function = functions.get(_name_of(function_name))
        invocation_type = (headers or {}).get("X-Amz-Invocation-Type", "RequestResponse")
        if function is None or invocation_type != "RequestResponse":
            return _ORIGINAL_INVOKE(backend, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body) if body else {}
        # The caller (an operator's command, under its own principal) waits for the answer; the function
        # reads its role as the emulator and then runs as that role.
        with _LOCK, ENFORCEMENT.unrestricted():
            try:
                payload = json.dumps(function.invoke(event)).encode()
            except Exception as error:
                response_headers["x-amz-function-error"] = "Unhandled"
                payload = json.dumps({"errorMessage": str(error), "errorType": type(error).__name__}).encode()
        response_headers["Content-Length"] = str(len(payload))
        return payload

    with mock.patch.object(LambdaBackend, "invoke", invoke):
        yield
