"""The functions' configuration: a typed model read once from the environment at cold start.

A missing or malformed variable raises `ConfigurationError` naming every problem at once, so a
mis-deployed function fails loudly on its first invocation instead of misbehaving later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from automl_archive.contracts.call_budget import SAGEMAKER

ALERTABLE_CATEGORIES = frozenset({"Failed", "Stopped", "CompletedWithProblems"})
RETRY_MODES = frozenset({"legacy", "standard", "adaptive"})


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid."""


@dataclass(frozen=True)
class ArchiverSettings:
    jobs_table_name: str
    archive_bucket_name: str
    alerts_topic_arn: str
    alert_on: frozenset[str]
    child_link_ttl_days: int
    alert_claim_lease_seconds: int
    sagemaker_retry_mode: str
    sagemaker_max_attempts: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ArchiverSettings:
        reader = _EnvReader(os.environ if environ is None else environ)
        settings = cls(
            jobs_table_name=reader.text("JOBS_TABLE_NAME"),
            archive_bucket_name=reader.text("ARCHIVE_BUCKET_NAME"),
            alerts_topic_arn=reader.text("ALERTS_TOPIC_ARN"),
            alert_on=reader.choices("ALERT_ON_STATUSES", ALERTABLE_CATEGORIES, default="Failed"),
            child_link_ttl_days=reader.integer("CHILD_LINK_TTL_DAYS", 30, 1, 3650),
            alert_claim_lease_seconds=reader.integer("ALERT_CLAIM_LEASE_SECONDS", 120, 1, 3600),
            sagemaker_retry_mode=reader.choice("SAGEMAKER_RETRY_MODE", RETRY_MODES, default="adaptive"),
            sagemaker_max_attempts=reader.integer(
                "SAGEMAKER_MAX_ATTEMPTS", SAGEMAKER.max_attempts, 1, SAGEMAKER.max_attempts
            ),
        )
        reader.raise_if_invalid()
        return settings


@dataclass(frozen=True)
class SweepSettings:
    jobs_table_name: str
    work_queue_url: str
    overlap_seconds: int
    initial_lookback_days: int
    sagemaker_retry_mode: str
    sagemaker_max_attempts: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SweepSettings:
        reader = _EnvReader(os.environ if environ is None else environ)
        settings = cls(
            jobs_table_name=reader.text("JOBS_TABLE_NAME"),
            work_queue_url=reader.text("WORK_QUEUE_URL"),
            overlap_seconds=reader.integer("SWEEP_OVERLAP_SECONDS", 900, 0, 86400),
            initial_lookback_days=reader.integer("SWEEP_INITIAL_LOOKBACK_DAYS", 30, 1, 3650),
            sagemaker_retry_mode=reader.choice("SAGEMAKER_RETRY_MODE", RETRY_MODES, default="adaptive"),
            sagemaker_max_attempts=reader.integer(
                "SAGEMAKER_MAX_ATTEMPTS", SAGEMAKER.max_attempts, 1, SAGEMAKER.max_attempts
            ),
        )
        reader.raise_if_invalid()
        return settings


class _EnvReader:
    """Reads typed values, collecting every problem so the error lists them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._problems: list[str] = []

    def text(self, name: str) -> str:
        value = self._env.get(name, "").strip()
        if not value:
            self._problems.append(f"{name} is required")
        return value

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._problems.append(f"{name} must be an integer, got {raw!r}")
            return default
        if not minimum <= value <= maximum:
            self._problems.append(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def choice(self, name: str, allowed: frozenset[str], default: str) -> str:
        value = self._env.get(name, "").strip() or default
        if value not in allowed:
            self._problems.append(f"{name} must be one of {sorted(allowed)}, got {value!r}")
        return value

    def choices(self, name: str, allowed: frozenset[str], default: str) -> frozenset[str]:
        raw = self._env.get(name)
        raw = default if raw is None else raw
        values = frozenset(item.strip() for item in raw.split(",") if item.strip())
        unknown = values - allowed
        if unknown:
            self._problems.append(f"{name} has unknown values {sorted(unknown)}; allowed: {sorted(allowed)}")
        return values & allowed

    def raise_if_invalid(self) -> None:
        if self._problems:
            raise ConfigurationError("Invalid archiver environment: " + "; ".join(self._problems))
