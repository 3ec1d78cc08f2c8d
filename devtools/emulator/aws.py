"""Start moto's server in-process and point every boto3 client at it via AWS_ENDPOINT_URL.

The environment's credentials act in moto's default account (`ACCOUNT_ID`, the hub); `LocalAws.client_as`
acts in another account (a spoke) through STS AssumeRole, and rules deliver to another account's bus with
the event's envelope kept (`cross_account`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import urllib.request
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import boto3
from moto.events.utils import EventTemplateParser
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from devtools.emulator.athena_ddl import ATHENA_DDL
from devtools.emulator.cross_account import BUS_TARGETS
from devtools.emulator.limits import AwsLimits

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def _template_with_account(template: str) -> str:
    """moto's envelope template for rule targets without an input transformer, with the `account` that
    EventBridge delivers (moto leaves it out: a hub could not tell which account an event came from)."""
    if '"<account>"' in template or '"region": "<region>"' not in template:
        return template  # moto delivers it already, or changed its template: leave it
    return template.replace('"region": "<region>"', '"account": "<account>", "region": "<region>"', 1)


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """Environment variables that make any boto3 client reach the local endpoint with fake credentials."""
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint_url}


class LocalAws:
    """A moto server running in a thread of this process (so its backends can be patched in-process)."""

    def __init__(self, set_environment: bool = True, port: int = 0) -> None:
        """`port` 0 lets the OS pick a free one; `make local` asks for a fixed one."""
        self._port = port
        self._server: ThreadedMotoServer | None = None
        self._service_clients: dict[tuple[str, str], Any] = {}
        # AWS's value limits moto does not enforce (devtools/emulator/limits.py), for every client of this process.
        self.limits = AwsLimits()
        self._set_environment = set_environment
        self._saved_environment: dict[str, str | None] = {}
        self.endpoint_url = ""
        self._saved_event_template: str | None = None

    def start(self) -> LocalAws:
        if self._server is not None:
            return self
        # werkzeug logs every request at INFO; tests and the demo want quiet output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # port=0 lets the OS pick a free port; werkzeug reports the one it bound.
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        if self._set_environment:
            self._apply_environment(aws_environment(self.endpoint_url))
        self.limits.install()
        self._saved_event_template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = _template_with_account(self._saved_event_template)
        # Rules deliver to event-bus targets (a spoke's rules to the hub's bus) as EventBridge does.
        BUS_TARGETS.install()
        # Athena's CREATE TABLE / ALTER TABLE ADD COLUMNS reach the Glue catalog as in AWS.
        ATHENA_DDL.install()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.limits.uninstall()
        BUS_TARGETS.uninstall()
        ATHENA_DDL.uninstall()
        if self._saved_event_template is not None:
            EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = self._saved_event_template
            self._saved_event_template = None
        self._server.stop()
        self._server = None
        self._restore_environment()

    def reset(self) -> None:
        """Drop every resource in every moto backend (moto's own reset endpoint)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:  # local server only
            response.read()

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client bound explicitly to this server (works even without the environment set)."""
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        options.update(kwargs)
        return boto3.client(service_name, **options)

    def credentials_as(
        self,
        account_id: str,
        *,
        role_name: str = "emulator-cross-account",
        external_id: str | None = None,
        session_name: str = "emulator",
    ) -> dict[str, str]:
        """Credentials of a role in `account_id`, from moto's STS AssumeRole: moto needs no such role and
        maps the access key it hands out to the role's account, so a request signed with it is served
        from that account's backends (as the hub's archiver reaches a spoke). A moto reset forgets the
        key: a client made before a reset then acts in moto's default account, so make it after."""
        request: dict[str, Any] = {
            "RoleArn": f"arn:aws:iam::{account_id}:role/{role_name}",
            "RoleSessionName": session_name,
        }
        if external_id is not None:
            request["ExternalId"] = external_id
        answer = self.client("sts").assume_role(**request)["Credentials"]
        return {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }

    def client_as(self, service_name: str, account_id: str, region: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client of this server acting in `account_id` and `region` (default: the emulator's
        region), with `credentials_as(account_id)`; `kwargs` go to boto3 (a botocore `config`, say)."""
        return self.client(service_name, region_name=region or REGION, **self.credentials_as(account_id), **kwargs)

    def service_client(self, service_name: str) -> Any:
        """A client of its own session, for calls an AWS service makes (SageMaker putting its events): the
        fault injector, registered on the default session, does not touch them. One per service and
        server (a new session reloads botocore's service list)."""
        key = (service_name, self.endpoint_url)
        if key not in self._service_clients:
            self._service_clients[key] = boto3.Session().client(
                service_name,
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._service_clients[key]

    def environment(self) -> dict[str, str]:
        return aws_environment(self.endpoint_url)

    def _apply_environment(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_environment.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_environment(self) -> None:
        for key, previous in self._saved_environment.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous
        self._saved_environment.clear()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def network_latency(seconds: float) -> Iterator[None]:
    """Every request to the in-process moto server waits `seconds` first, as a call to AWS waits on
    the network (moto answers in microseconds). The wait sleeps, so it releases the GIL: concurrent
    clients overlap their waits as they would against AWS."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: PLC0415

    original = DomainDispatcherApplication.__call__

    def delayed(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(seconds)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = delayed  # type: ignore[method-assign]
    try:
        yield
    finally:
        DomainDispatcherApplication.__call__ = original  # type: ignore[method-assign]
