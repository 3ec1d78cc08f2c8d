"""Simulated time for in-process functions and for moto's SQS.

moto's SQS reads the time through `moto.sqs.models.unix_time(_millis)`, which `SqsClock` replaces with
real time plus an offset, so DelaySeconds (≤ 900 s) and visibility timeouts elapse on `advance(seconds)`
instead of on the wall clock. `functions_read_time(clock)` makes the functions read a simulated clock too,
so the sweep's watermark and the records' `archived_at` are simulated time like the jobs' own timestamps.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from unittest import mock

import moto.sqs.models as moto_sqs_models

WallClock = Callable[[], datetime]


_TIME_LOCK = threading.Lock()
_TIME_USERS: list[WallClock] = []  # invocations (possibly in several threads) reading simulated time
_TIME_PATCH: list[Any] = []  # the one installed patch, while there are users


@contextlib.contextmanager
def functions_read_time(clock: WallClock | None) -> Iterator[None]:
    """Make the product's one wall-clock reading (automl_archive.wall_clock) return `clock()`.

    Invocations may overlap in threads (two sweeps at once): the first installs the patch, the last
    removes it; overlapping invocations must share one clock.
    """
    if clock is None:
        yield
        return
    from automl_archive import wall_clock  # noqa: PLC0415 (the functions' package, on their path)

    read: WallClock = clock  # narrowed for the class body below

    class SimulatedDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> SimulatedDatetime:
            moment = read()
            return moment if tz is None else moment.astimezone(tz)  # type: ignore[return-value]

    patch = mock.patch.object(wall_clock, "datetime", SimulatedDatetime)
    with _TIME_LOCK:
        if _TIME_USERS and _TIME_USERS[0] is not clock:
            raise RuntimeError("overlapping invocations read different simulated clocks")
        if not _TIME_USERS:
            patch.start()
            _TIME_PATCH.append(patch)
        _TIME_USERS.append(clock)
    try:
        yield
    finally:
        with _TIME_LOCK:
            _TIME_USERS.pop()
            if not _TIME_USERS:
                _TIME_PATCH.pop().stop()


class SqsClock:
    """Shifts moto's SQS notion of time forward without waiting."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0
        self._originals: dict[str, Any] = {}

    def now(self) -> float:
        return time.time() + self.offset_seconds

    def install(self) -> SqsClock:
        if self._originals:
            return self
        self._originals = {"unix_time": moto_sqs_models.unix_time, "unix_time_millis": moto_sqs_models.unix_time_millis}
        original_unix_time = self._originals["unix_time"]

        def shifted_unix_time(dt: datetime | None = None) -> float:
            # An explicit datetime is not "now": leave it alone.
            return float(original_unix_time(dt)) if dt is not None else self.now()

        def shifted_unix_time_millis(dt: datetime | None = None) -> float:
            return shifted_unix_time(dt) * 1000.0

        moto_sqs_models.unix_time = shifted_unix_time
        moto_sqs_models.unix_time_millis = shifted_unix_time_millis
        return self

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(moto_sqs_models, name, original)
        self._originals = {}

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds

    def __enter__(self) -> SqsClock:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()
