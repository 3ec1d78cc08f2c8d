"""The operator command's SageMaker gateway, whose every request takes a slot of a RateLimiter
(automl_archive/dal/aws/ratelimit.py)."""

from __future__ import annotations

import threading
from typing import Any

from automl_archive.dal.aws import SageMakerApi
from automl_archive.dal.aws.ratelimit import RateLimiter

__all__ = ["RateLimitedSageMakerApi", "RateLimiter"]


class RateLimitedSageMakerApi(SageMakerApi):
    """The product's SageMaker gateway; with a limiter, every HTTP request to SageMaker takes a slot.

    The slot is taken in botocore's `before-send` event, so every page of a paginated listing, the
    V1 → V2 describe fallback and each botocore retry attempt count as the calls they are.
    """

    def __init__(self, retry_mode: str, max_attempts: int, limiter: RateLimiter | None = None) -> None:
        super().__init__(retry_mode, max_attempts, before_send=self._before_send)
        self.limiter = limiter
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    def _before_send(self, **_: Any) -> None:
        if self.limiter is not None:
            self.limiter.acquire()
        with self._count_lock:
            self.requests_sent += 1
