"""What an in-process invocation needs from the Lambda runtime: the handler import, the context object,
and the execution role the code runs as (`devtools.emulator.iam`)."""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from devtools.emulator.iam.enforcement import acting_as
from devtools.emulator.iam.policies import Principal

Handler = Callable[[dict[str, Any], Any], Any]


@contextlib.contextmanager
def running_as(principal: Principal | None) -> Iterator[None]:
    """Run as `principal`, or unrestricted when there is none (a pipeline of a bare handler)."""
    if principal is None:
        yield
        return
    with acting_as(principal):
        yield


@dataclass
class LambdaContext:
    """The parts of the Lambda context object handlers use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int = 60
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(handler_path: str, cold: bool) -> Handler:
    """Import `package.module.function`; on a cold start reload the module so it re-reads os.environ."""
    module_name, _, function_name = handler_path.rpartition(".")
    module = importlib.import_module(module_name)
    if cold:
        module = importlib.reload(module)
    handler: Handler = getattr(module, function_name)
    return handler
