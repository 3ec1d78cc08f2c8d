"""The environment model fails loudly and completely at cold start."""

import pytest

from automl_archive.config import ArchiverSettings, ConfigurationError

VALID = {
    "JOBS_TABLE_NAME": "jobs",
    "ARCHIVE_BUCKET_NAME": "archive",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "ALERT_ON_STATUSES": "Failed, Stopped",
}


def test_valid_environment_parses_with_defaults():
    settings = ArchiverSettings.from_environ(VALID)
    assert settings.alert_on == frozenset({"Failed", "Stopped"})
    assert settings.alert_claim_lease_seconds == 120
    assert settings.sagemaker_retry_mode == "adaptive"


def test_every_problem_is_named_at_once():
    # Given an environment missing the table and with bad values
    env = {**VALID, "JOBS_TABLE_NAME": "", "ALERT_CLAIM_LEASE_SECONDS": "7200", "ALERT_ON_STATUSES": "Failed,Exploded"}
    # When it is validated / Then one error lists every problem
    with pytest.raises(ConfigurationError) as error:
        ArchiverSettings.from_environ(env)
    message = str(error.value)
    assert "JOBS_TABLE_NAME is required" in message
    assert "ALERT_CLAIM_LEASE_SECONDS must be between 1 and 3600" in message
    assert "Exploded" in message


def test_non_integer_is_reported():
    with pytest.raises(ConfigurationError, match="CHILD_LINK_TTL_DAYS must be an integer"):
        ArchiverSettings.from_environ({**VALID, "CHILD_LINK_TTL_DAYS": "soon"})


def test_empty_alert_list_disables_alerts():
    assert ArchiverSettings.from_environ({**VALID, "ALERT_ON_STATUSES": ""}).alert_on == frozenset()
