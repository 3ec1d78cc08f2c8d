"""A small progress bar on stderr: done/total, rate, ETA (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    def __init__(
        self,
        enabled: bool,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = 0.1,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._clock = clock
        self._min_interval = min_interval
        self._label = ""
        self._total = 0
        self._done = 0
        self._started = clock()
        self._last_draw = -1.0
        self._width = 0

    @classmethod
    def for_stderr(cls, disabled: bool) -> Progress:
        return cls(enabled=not disabled and sys.stderr.isatty())

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._done = label, total, 0
        self._started = self._clock()
        self._draw(force=True)

    def note(self, text: str) -> None:
        """A one-line status without a bar (e.g. while listing)."""
        if self.enabled and self._clock() - self._last_draw >= self._min_interval:
            self._write(text)

    def advance(self, count: int = 1) -> None:
        self._done += count
        self._draw(force=self._done >= self._total)

    def line(self) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self._done / elapsed
        fraction = self._done / self._total if self._total else 1.0
        filled = int(BAR_WIDTH * min(fraction, 1.0))
        eta = format_duration((self._total - self._done) / rate) if rate > 0 else "--:--"
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return (
            f"{self._label} [{bar}] {self._done}/{self._total} {fraction:4.0%} "
            f"{rate:6.1f} jobs/s ETA {eta} elapsed {format_duration(elapsed)}"
        )

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        if force or self._clock() - self._last_draw >= self._min_interval:
            self._write(self.line())

    def _write(self, text: str) -> None:
        padding = " " * max(0, self._width - len(text))
        self.stream.write("\r" + text + padding)
        self.stream.flush()
        self._width = len(text)
        self._last_draw = self._clock()
