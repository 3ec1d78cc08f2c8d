"""Context parsing and validation (no synth needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import app as cdk_app
from infra.settings import ArchiveSettings, SettingsError


def test_defaults_match_the_documented_values() -> None:
    # Given an empty context
    # When settings are parsed
    settings = ArchiveSettings.from_context({})
    # Then every documented default applies
    assert settings.stack_name == "AutoMLJobArchive"
    assert settings.alert_emails == ()
    assert settings.alert_on_statuses == ("Failed",)
    assert settings.sweep_interval_minutes == 1
    assert settings.archiver_max_concurrency == 5
    assert settings.archiver_batch_size == 10
    assert settings.work_queue_max_receive_count == 5
    assert settings.log_retention_days == 90
    assert settings.child_link_ttl_days == 30
    assert settings.alert_max_age_hours == 24
    assert settings.datalake_start_date == "2019-12-01"


def test_cdk_json_context_parses_to_the_defaults() -> None:
    # Given the context block committed in cdk.json
    # When it is parsed
    # Then it is valid and equals the defaults (cdk.json and config.py agree)
    assert ArchiveSettings.from_context(cdk_app.cdk_json_context()) == ArchiveSettings()


def test_command_line_strings_are_accepted() -> None:
    # Given values as `cdk synth -c key=value` passes them (strings)
    context = {
        "alert_emails": "a@example.com, b@example.org",
        "alert_on_statuses": "Failed,CompletedWithProblems",
        "archiver_max_concurrency": "12",
        "datalake_start_date": " 2024-06-01 ",
    }
    # When parsed
    settings = ArchiveSettings.from_context(context)
    # Then lists are split on commas and integers converted
    assert settings.alert_emails == ("a@example.com", "b@example.org")
    assert settings.alert_on_statuses == ("Failed", "CompletedWithProblems")
    assert settings.archiver_max_concurrency == 12
    assert settings.datalake_start_date == "2024-06-01"


@pytest.mark.parametrize(
    ("key", "value", "expected_in_message"),
    [
        ("sweep_interval_minutes", 0, "between 1 and 1440"),
        ("archiver_max_concurrency", 1, "between 2 and 1000"),
        ("archiver_batch_size", 0, "between 1 and 10000"),
        ("alert_on_statuses", ["Failed", "Completed"], "subset of Failed, Stopped, CompletedWithProblems"),
        ("alert_on_statuses", [], "non-empty subset"),
        ("alert_emails", ["not-an-address"], "e-mail addresses"),
        ("alert_emails", ["a@example.com", "a@example.com"], "each address at most once"),
        ("log_retention_days", 45, "CloudWatch Logs retention"),
        ("work_queue_max_receive_count", True, "an integer"),
        ("stack_name", "bad name!", "CloudFormation stack name"),
        ("alert_max_age_hours", 0, "between 1 and 87600"),
        ("spoke_calls_per_second", 101, "between 1 and 100"),
        ("datalake_start_date", "2024-02-30", "a date YYYY-MM-DD"),
        ("datalake_start_date", "01/02/2024", "a date YYYY-MM-DD"),
        ("datalake_start_date", "2999-01-01", "not in the future"),
    ],
)
def test_bad_value_fails_with_a_clear_message(key: str, value: object, expected_in_message: str) -> None:
    # Given one bad context value
    # When settings are parsed
    with pytest.raises(SettingsError) as error:
        ArchiveSettings.from_context({key: value})
    # Then the message names the key and what was expected
    message = str(error.value)
    assert message.startswith(f"CDK context '{key}' = ")
    assert expected_in_message in message


@pytest.mark.parametrize(
    "old, new",
    [("exporter_batch_size", "archiver_batch_size"), ("exporter_max_concurrency", "archiver_max_concurrency")],
)
def test_a_renamed_context_key_fails_with_its_new_name(old: str, new: str) -> None:
    # Given a cdk.json that still sets a key from before the exporter was named the archiver
    # When settings are parsed / Then synth stops and names the key to use, rather than deploying the default
    with pytest.raises(SettingsError, match=f"'{old}' was renamed to '{new}'"):
        ArchiveSettings.from_context({old: 3})


def test_app_refuses_to_build_with_a_bad_context_value() -> None:
    # Given the app built with a sweep interval above a day
    # When the app is built
    # Then it fails before any resource is created, with the settings error
    with pytest.raises(SettingsError) as error:
        cdk_app.build_app({"sweep_interval_minutes": 2000})
    assert str(error.value) == (
        "CDK context 'sweep_interval_minutes' = 2000 is invalid: expected an integer between 1 and 1440."
    )


# Feature flags deliberately set away from aws-cdk-lib's recommendation, each with its reason in
# docs/decisions.md (decision 20). None today.
FLAGS_LEFT_OFF: dict[str, object] = {}


def test_every_recommended_cdk_feature_flag_is_set_in_cdk_json() -> None:
    # Given aws-cdk-lib's own list of recommended flag values (shipped in its jsii bundle)
    import glob  # noqa: PLC0415
    import tarfile  # noqa: PLC0415

    import aws_cdk  # noqa: PLC0415

    (bundle,) = glob.glob(str(Path(aws_cdk.__file__).parent / "_jsii" / "aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        recommended = json.load(member)
    # Then cdk.json configures each one, as recommended unless the decision log says otherwise
    # (an aws-cdk-lib upgrade that adds flags fails here until they are decided)
    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    assert recommended, "no recommended flags found"
    unset = sorted(flag for flag in recommended if flag not in context)
    assert unset == [], f"set these in cdk.json (npx cdk flags --unstable=flags): {unset}"
    differing = {flag: context[flag] for flag in recommended if context[flag] != recommended[flag]}
    assert differing == FLAGS_LEFT_OFF
