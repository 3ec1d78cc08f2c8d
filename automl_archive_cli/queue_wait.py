"""`backfill --wait`: follow the work queue until the deployed archiver has drained it.

An enqueue-mode backfill ends when SQS has accepted its messages; the archiving itself happens in the
deployed archiver, at its bounded concurrency. Waiting reads the queue's depth (GetQueueAttributes:
visible, in flight, delayed) every `CHECK_INTERVAL_SECONDS`. SQS's counts are approximate and a
message being retried is invisible for a while, so one empty read proves little: the queue counts as
drained after `CONFIRMATIONS` consecutive empty reads. The queue also carries the events and the
sweep's hand-overs, so "drained" means the whole queue, not only the backfill's messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from automl_archive_cli.dead_letter_queues import QueueDepth

CHECK_INTERVAL_SECONDS = 5.0
CONFIRMATIONS = 3  # consecutive empty reads
HEARTBEAT_CHECKS = 12  # an unchanged depth is still reported every this many reads (a minute)
DEFAULT_TIMEOUT_SECONDS = 3600


def pause(seconds: float) -> None:
    """How the wait sleeps between reads (tests replace it)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class DrainResult:
    drained: bool
    elapsed_seconds: float
    last: QueueDepth


def progress_line(depth: QueueDepth, elapsed_seconds: float, empty_reads: int = 0) -> str:
    elapsed = time.strftime("%H:%M:%S", time.gmtime(elapsed_seconds))
    if depth.total == 0:
        return f"work queue empty ({empty_reads}/{CONFIRMATIONS} reads), {elapsed} elapsed"
    return (
        f"work queue: {depth.total} messages ({depth.visible} waiting, {depth.in_flight} being archived, "
        f"{depth.delayed} delayed), {elapsed} elapsed"
    )


def wait_until_drained(
    read_depth: Callable[[], QueueDepth],
    timeout_seconds: float,
    report: Callable[[str], None],
    interval_seconds: float | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> DrainResult:
    """Read the depth until it is 0 on `CONFIRMATIONS` consecutive reads, or `timeout_seconds` pass.

    `report` receives a progress line whenever the depth changes (and every `HEARTBEAT_CHECKS` reads).
    """
    interval = CHECK_INTERVAL_SECONDS if interval_seconds is None else interval_seconds
    nap = sleep or pause
    started = clock()
    empty_reads = 0
    reads = 0
    previous: QueueDepth | None = None
    while True:
        depth = read_depth()
        elapsed = clock() - started
        reads += 1
        empty_reads = empty_reads + 1 if depth.total == 0 else 0
        if depth != previous or empty_reads or reads % HEARTBEAT_CHECKS == 0:
            report(progress_line(depth, elapsed, empty_reads))
        previous = depth
        if empty_reads >= CONFIRMATIONS:
            return DrainResult(drained=True, elapsed_seconds=elapsed, last=depth)
        if elapsed + interval > timeout_seconds:
            return DrainResult(drained=False, elapsed_seconds=elapsed, last=depth)
        nap(interval)
