"""The environment model fails loudly and completely at cold start."""

import pytest

from automl_archive.contracts.settings import ArchiverSettings, ConfigurationError, SweepSettings

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


@pytest.mark.parametrize(
    "settings",
    [
        ArchiverSettings("jobs", "archive", "arn:aws:sns:us-east-1:123456789012:alerts"),
        ArchiverSettings(
            "jobs",
            "archive",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            alert_on=frozenset({"Stopped", "CompletedWithProblems"}),
            child_link_ttl_days=7,
            alert_claim_lease_seconds=300,
            sagemaker_retry_mode="standard",
            sagemaker_max_attempts=1,
        ),
        ArchiverSettings("jobs", "archive", "arn:aws:sns:us-east-1:123456789012:alerts", alert_on=frozenset()),
    ],
)
def test_the_environment_the_stack_writes_reads_back_as_the_same_settings(settings):
    # Given settings as the stack builds them / When written as the environment and read at cold start
    # Then nothing is lost or renamed on the way (the stack and the function share one model)
    assert ArchiverSettings.from_environ(settings.to_environment()) == settings


def test_the_sweep_environment_reads_back_as_the_same_settings():
    settings = SweepSettings("jobs", "https://sqs.us-east-1.amazonaws.com/123456789012/work", 60, 3, "legacy", 2)
    assert SweepSettings.from_environ(settings.to_environment()) == settings
