"""The time budget, computed from the settings the stack deploys: one worst-case AWS call of every client
fits the function timeout with a margin, and a record is started only while one still fits."""

from __future__ import annotations

import pytest

from automl_archive.contracts.call_budget import (
    SAGEMAKER,
    STORAGE,
    CallBudget,
    record_reserve_seconds,
    slowest_call_seconds,
)
from automl_archive.contracts.settings import SAGEMAKER_MAX_ATTEMPTS, ArchiverSettings, ConfigurationError
from automl_archive.handlers import sweep as sweep_handler
from infra import config


def test_the_worst_case_of_one_call_counts_every_attempt_timeout_and_backoff():
    # 3 attempts x (2 s connect + 5 s read) + back-offs of 1 and 2 s, each with 5 s of retry-after
    assert CallBudget(2, 5, 3).worst_case_seconds() == 21 + (1 + 5) + (2 + 5)
    assert CallBudget(1, 1, 1).worst_case_seconds() == 2
    # The back-off is capped at 20 s per retry
    assert CallBudget(0, 0, 8).worst_case_seconds() == (1 + 2 + 4 + 8 + 16 + 20 + 20) + 7 * 5


def test_the_old_sagemaker_settings_could_outlast_the_archiver_timeout():
    # Five attempts x (5 s connect + 20 s read), as deployed before: longer than the whole invocation
    assert CallBudget(5, 20, 5).worst_case_seconds() > config.ARCHIVER_TIMEOUT_SECONDS


def test_every_client_fits_the_archiver_timeout_with_margin():
    deployed_attempts = SAGEMAKER_MAX_ATTEMPTS.default
    for budget in (SAGEMAKER, STORAGE):
        # at most 60 % of the timeout for one call, whatever it meets
        assert budget.worst_case_seconds() <= 0.6 * config.ARCHIVER_TIMEOUT_SECONDS
    # A fresh invocation always starts its first record, and then has a worst-case call's time left
    reserve = record_reserve_seconds(deployed_attempts)
    assert reserve < config.ARCHIVER_TIMEOUT_SECONDS
    assert config.ARCHIVER_TIMEOUT_SECONDS - slowest_call_seconds(deployed_attempts) >= 20


def test_the_sweep_stops_listing_while_a_worst_case_call_still_fits():
    assert slowest_call_seconds() * 1000 <= sweep_handler.SAFETY_MARGIN_MILLIS
    assert sweep_handler.SAFETY_MARGIN_MILLIS < config.SWEEP_TIMEOUT_SECONDS * 1000 / 2


def test_the_settings_refuse_more_sagemaker_attempts_than_the_budget():
    environment = {
        "JOBS_TABLE_NAME": "t",
        "ARCHIVE_BUCKET_NAME": "b",
        "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:a",
        "WORK_QUEUE_URL": "https://q",
        "SAGEMAKER_MAX_ATTEMPTS": str(SAGEMAKER.max_attempts + 1),
    }
    with pytest.raises(ConfigurationError, match="SAGEMAKER_MAX_ATTEMPTS"):
        ArchiverSettings.from_environ(environment)
