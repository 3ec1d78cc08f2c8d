"""The SageMaker rate cap: evenly spaced slots, never more than the cap in any second."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from automl_archive_cli.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def calls_at(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    moments = []
    for _ in range(count):
        limiter.acquire()
        moments.append(clock.now)
    return moments


@pytest.mark.parametrize(("rate", "count"), [(20.0, 60), (3.0, 10), (7.5, 45)])
def test_n_calls_at_cap_c_take_at_least_n_over_c_seconds(rate, count):
    # Given a limiter on a fake clock
    clock = FakeClock()
    started = clock.now
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    # When N calls go through back to back
    moments = calls_at(limiter, clock, count)
    # Then they take at least N/C seconds, and not much more (the achieved rate is the cap)
    elapsed = moments[-1] - started
    assert elapsed >= count / rate - 1e-9
    assert elapsed <= count / rate * 1.001


@pytest.mark.parametrize("rate", [1.0, 20.0, 33.0])
def test_no_one_second_window_holds_more_than_the_cap(rate):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    moments = calls_at(limiter, clock, int(rate * 5))
    # Every window [t, t + 1) starting at a call holds at most `rate` calls
    for index, start in enumerate(moments):
        in_window = sum(1 for moment in moments[index:] if moment < start + 1.0)
        assert in_window <= rate


def test_an_idle_limiter_does_not_bank_a_burst():
    # Given a limiter that was idle for ten seconds
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock=clock, sleep=clock.sleep)
    clock.now += 10.0
    # When 20 calls arrive at once
    moments = calls_at(limiter, clock, 20)
    # Then only the first goes at once; the rest are spaced by 1/rate (at most one token is held)
    assert moments[0] == pytest.approx(1010.0)
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert min(gaps) == pytest.approx(0.1)


def test_threads_share_one_cap():
    # Given 6 threads sharing a real-clock limiter at 100 calls/s
    limiter = RateLimiter(100.0)
    started = time.monotonic()
    moments: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            limiter.acquire()
            with lock:
                moments.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then 60 calls took at least 0.6 s and came within 10% of the cap
    elapsed = max(moments) - started
    assert len(moments) == 60
    assert elapsed >= 0.6 - 0.005
    assert 60 / elapsed >= 90


def test_the_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_a_late_waker_does_not_push_a_window_over_the_cap():
    """Slots alone would let an overslept thread's grant join a full second of on-time grants; the
    log of actual grant times keeps every window at the cap."""
    # Given a cap of 20/s shared by 8 threads, where one thread oversleeps its slot by 0.9 s
    # (so it wakes among later threads' on-time grants)
    overslept = threading.Event()
    last_reading = threading.local()

    def clock() -> float:
        # The limiter's last reading of the clock in a thread is when that thread was let through.
        last_reading.value = time.monotonic()
        return last_reading.value

    def sleep(seconds: float) -> None:
        if not overslept.is_set() and threading.current_thread().name == "late":
            overslept.set()
            seconds += 0.9
        time.sleep(seconds)

    limiter = RateLimiter(20.0, clock=clock, sleep=sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(6):
            limiter.acquire()
            with lock:
                grants.append(last_reading.value)

    threads = [threading.Thread(target=work, name="late" if i == 3 else f"t{i}") for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every one-second window of the moments threads were let through holds at most 20
    grants.sort()
    assert overslept.is_set()
    for index, start in enumerate(grants):
        assert sum(1 for moment in grants[index:] if moment < start + 1.0) <= 20
