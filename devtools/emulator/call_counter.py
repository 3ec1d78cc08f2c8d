"""Counts every AWS call made by boto3 clients of this process (the default session's event system), and
every HTTP attempt: an attempt beyond a call's first is the SDK's retry."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3


class CallCounter:
    """`with CallCounter() as calls: ...; calls.counts["dynamodb.UpdateItem"]`."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._session: Any = None

    def _count(self, event_name: str, **_kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            self.counts[f"{service}.{operation}"] += 1

    def _count_attempt(self, event_name: str, **_kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            self.attempts[f"{service}.{operation}"] += 1

    def install(self) -> CallCounter:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        self._session = boto3.DEFAULT_SESSION
        self._session.events.register("before-call", self._count, unique_id="emulator-call-counter")
        self._session.events.register("before-send", self._count_attempt, unique_id="emulator-attempt-counter")
        return self

    def uninstall(self) -> None:
        if self._session is not None:
            self._session.events.unregister("before-call", unique_id="emulator-call-counter")
            self._session.events.unregister("before-send", unique_id="emulator-attempt-counter")
            self._session = None

    def __enter__(self) -> CallCounter:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    def retries(self, kind: str) -> int:
        """The SDK's retries of `kind` ("service.Operation"): HTTP attempts beyond each call's first."""
        with self._lock:
            return self.attempts[kind] - self.counts[kind]
