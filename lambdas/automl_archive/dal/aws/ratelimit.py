"""A thread-safe cap on AWS calls per second (the operator command's SageMaker cap, and each spoke
account's in the hub's functions).

The limiter hands out evenly spaced time slots: call k after a (re)start at `t0` may go at
`t0 + k / rate`, computed from the count (no accumulated float error). The bucket starts empty and
holds at most one token, so N calls take at least N / rate seconds. A thread that wakes late would
land next to the next on-time call, so grants are also checked against a sliding one-second log of
the actual grant times: no one-second window ever holds more than `rate` grants. Threads that wait
sleep outside the lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._epoch = clock()
        self._issued = 1  # the first slot is one interval after creation: the bucket starts empty
        self._window: deque[float] = deque()  # actual grant times within the last second
        self._per_window = max(1, math.ceil(rate))  # grants are whole: a 7.5/s cap alternates 7 and 8
        self.acquired = 0

    def acquire(self) -> float:
        """Block until this caller may send; returns the grant time (on the limiter's clock)."""
        with self._lock:
            now = self._clock()
            slot = self._epoch + self._issued / self.rate
            if slot < now:  # idle for longer than one interval: restart the schedule at now
                self._epoch, self._issued = now, 0
                slot = now
            self._issued += 1
            self.acquired += 1
        wait = slot - now
        while wait > 0:
            self._sleep(wait)
            wait = slot - self._clock()
        return self._admit()

    def _admit(self) -> float:
        """Wait until this grant keeps every one-second window of actual grants at or under the cap."""
        span = 1.0
        while True:
            with self._lock:
                now = self._clock()
                while self._window and now - self._window[0] >= span:
                    self._window.popleft()
                if len(self._window) < self._per_window:
                    self._window.append(now)
                    return now
                wait = self._window[0] + span - now
            self._sleep(wait)
