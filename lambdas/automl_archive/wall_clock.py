"""The functions' one reading of the wall clock.

Logic takes `clock` as a parameter (unit tests pass their own); the deployed wiring passes `utc_now`.
One reading point also lets the emulator run the functions on simulated time.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_seconds() -> int:
    return int(utc_now().timestamp())
