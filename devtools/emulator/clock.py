"""A deterministic clock for simulated histories."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)


class SimulatedClock:
    """Time that only moves when told to, so every history is reproducible."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs an aware datetime (tzinfo=UTC)")
        self._start = start
        self._now = start
        self._lock = threading.Lock()

    @property
    def start(self) -> datetime:
        return self._start

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def elapsed_seconds(self) -> float:
        return (self.now() - self._start).total_seconds()

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def advance_to(self, moment: datetime) -> datetime:
        """Move forward to `moment` (no-op if it is already past)."""
        with self._lock:
            self._now = max(self._now, moment)
            return self._now
