"""What every boto3 gateway shares: a lazily created client, its retry and timeout budget, error codes.

Clients are created on first use (cold start pays only for the services a record needs) and reach
the endpoint in AWS_ENDPOINT_URL when it is set, so the same code runs against AWS and the emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from automl_archive.contracts.call_budget import STORAGE, CallBudget


class BotoClient:
    """A lazily created boto3 client (cold start pays only for the services a record needs)."""

    _service = ""
    _config = None  # set per gateway; None means the storage call budget
    # Called before each HTTP request to the service (every page and every retry attempt): the
    # operator command's rate limiter takes a slot there.
    before_send: Callable[..., None] | None = None
    # A spoke's gateway: the session holding the reader role's credentials, and the spoke's Region
    # (None: the function's own credentials and Region).
    _session: boto3.Session | None = None
    _region: str | None = None

    @cached_property
    def _client(self) -> Any:
        factory = self._session or boto3
        client = factory.client(
            self._service, region_name=self._region, config=self._config or aws_config("standard", STORAGE)
        )
        if self.before_send is not None:
            client.meta.events.register(f"before-send.{self._service}", self.before_send)
        return client

    def connect(self) -> None:
        """Create the client now (in the calling thread)."""
        _ = self._client


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def aws_config(retry_mode: str, budget: CallBudget) -> Config:
    return Config(
        retries={"mode": retry_mode, "max_attempts": budget.max_attempts},
        connect_timeout=budget.connect_timeout_seconds,
        read_timeout=budget.read_timeout_seconds,
    )
