"""How long one AWS call may take at worst, and so how much of a function's timeout a record needs.

A Lambda timeout fails the *whole* SQS batch (every message's receive count rises, the finished ones
are redelivered), so each client's timeouts and attempts are chosen to fit the function timeout with a
margin, and the archiver starts a record only while the worst case of one call still fits.
The DAL builds its clients from these budgets; the infrastructure and its tests read the same values.

botocore's standard and adaptive retry modes wait `rand(0, 1) * min(2 ** i, 20)` seconds before retry
`i` (0-based, 1 s scale for throttling errors), and up to 5 s more when the answer carries
`x-amz-retry-after` (botocore/retries/standard.py, ExponentialBackoff). The adaptive mode's client-side
rate limiter can add waits under sustained throttling; what still fails is retried by the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKOFF_CAP_SECONDS = 20
RETRY_AFTER_EXTRA_SECONDS = 5


@dataclass(frozen=True)
class CallBudget:
    connect_timeout_seconds: int
    read_timeout_seconds: int
    max_attempts: int

    def worst_case_seconds(self) -> int:
        """Every attempt hangs to both timeouts and every back-off is the longest botocore may choose."""
        waits = sum(
            min(2**retry, BACKOFF_CAP_SECONDS) + RETRY_AFTER_EXTRA_SECONDS for retry in range(self.max_attempts - 1)
        )
        return self.max_attempts * (self.connect_timeout_seconds + self.read_timeout_seconds) + waits


# DescribeAutoMLJob(V2) answers can be large (candidates, metrics).
SAGEMAKER = CallBudget(connect_timeout_seconds=2, read_timeout_seconds=5, max_attempts=3)
# DynamoDB, S3, SNS and SQS calls of one record: small requests, answered in milliseconds when healthy;
# the same read timeout as SageMaker's so a slow moment (a large S3 object, a busy endpoint) is not
# mistaken for a failure and retried.
STORAGE = CallBudget(connect_timeout_seconds=2, read_timeout_seconds=5, max_attempts=3)


# EventBridge PutEvents of one state-change event: a small request. Tighter than storage's, so a hanging
# endpoint costs a record a few seconds (the event stays due and the minute pass retries it), not the
# time the record's other work needs.
EVENTS = CallBudget(connect_timeout_seconds=1, read_timeout_seconds=2, max_attempts=2)


def slowest_call_seconds(sagemaker_max_attempts: int = SAGEMAKER.max_attempts) -> int:
    """The worst case of one call of any client the functions use (SageMaker's attempts as deployed)."""
    sagemaker = CallBudget(SAGEMAKER.connect_timeout_seconds, SAGEMAKER.read_timeout_seconds, sagemaker_max_attempts)
    return max(sagemaker.worst_case_seconds(), STORAGE.worst_case_seconds())


# A record is started only with this much more than one worst-case call left (logging, JSON, the rest).
RECORD_HEADROOM_SECONDS = 3


def record_reserve_seconds(sagemaker_max_attempts: int = SAGEMAKER.max_attempts) -> int:
    """Time a record must have left to be started; below it, the record is handed back untouched."""
    return slowest_call_seconds(sagemaker_max_attempts) + RECORD_HEADROOM_SECONDS
