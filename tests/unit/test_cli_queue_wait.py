"""`backfill --wait`: when the work queue counts as drained, what it reports, when it gives up."""

from __future__ import annotations

from automl_archive_cli import queue_wait
from automl_archive_cli.dead_letter_queues import QueueDepth

EMPTY = QueueDepth(visible=0, in_flight=0, delayed=0)


class FakeQueue:
    """Depths read one after another (the last one repeats), on a clock that the waits advance."""

    def __init__(self, *depths: QueueDepth) -> None:
        self.depths = list(depths)
        self.reads = 0
        self.now = 0.0
        self.naps: list[float] = []

    def read(self) -> QueueDepth:
        depth = self.depths[min(self.reads, len(self.depths) - 1)]
        self.reads += 1
        return depth

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds

    def wait(self, timeout: float = 3600, lines: list[str] | None = None) -> queue_wait.DrainResult:
        return queue_wait.wait_until_drained(
            self.read,
            timeout_seconds=timeout,
            report=(lines if lines is not None else []).append,
            sleep=self.sleep,
            clock=lambda: self.now,
        )


def depth(visible: int, in_flight: int = 0, delayed: int = 0) -> QueueDepth:
    return QueueDepth(visible=visible, in_flight=in_flight, delayed=delayed)


def test_drained_means_empty_on_three_consecutive_reads_five_seconds_apart():
    # Given a queue that empties, shows a message again (a retry becoming visible), then stays empty
    queue = FakeQueue(depth(20, 5), depth(3, 2), EMPTY, depth(0, 1), EMPTY, EMPTY, EMPTY)
    lines: list[str] = []
    # When the backfill waits
    result = queue.wait(lines=lines)
    # Then it needed three empty reads in a row: the single empty read before the retry did not count
    assert result.drained
    assert queue.reads == 7
    assert queue.naps == [5.0] * 6
    assert result.elapsed_seconds == 30
    # And each change was reported, with the empty reads counted up to three
    assert lines[0] == "work queue: 25 messages (20 waiting, 5 being archived, 0 delayed), 00:00:00 elapsed"
    assert lines[-3:] == [
        "work queue empty (1/3 reads), 00:00:20 elapsed",
        "work queue empty (2/3 reads), 00:00:25 elapsed",
        "work queue empty (3/3 reads), 00:00:30 elapsed",
    ]


def test_delayed_messages_are_not_drained():
    queue = FakeQueue(depth(0, 0, 4), depth(0, 0, 4), depth(0, 0, 4), EMPTY)
    assert queue.wait().drained
    assert queue.reads == 6  # three delayed reads, then three empty ones


def test_it_gives_up_at_the_timeout_and_says_what_is_left():
    queue = FakeQueue(depth(100, 10))
    lines: list[str] = []
    result = queue.wait(timeout=60, lines=lines)
    assert not result.drained
    assert result.last.total == 110
    assert result.elapsed_seconds <= 60 and queue.now <= 60
    # An unchanged depth is reported once, then as a heartbeat every minute of reads
    assert len(lines) == 2


def test_the_interval_is_the_module_setting_unless_given(monkeypatch):
    monkeypatch.setattr(queue_wait, "CHECK_INTERVAL_SECONDS", 0.5)
    queue = FakeQueue(EMPTY)
    assert queue.wait().drained
    assert queue.naps == [0.5, 0.5]
