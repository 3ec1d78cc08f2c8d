"""Argument and date parsing of `automl-archive`."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest

from automl_archive_cli.aws import Deployment
from automl_archive_cli.backfill import BackfillFilters
from automl_archive_cli.errors import CliError
from automl_archive_cli.main import cli, main
from automl_archive_cli.params import JOB_NAME, parse_when
from automl_archive_cli.spoke_backfill import spoke_sources


def parsed(argv):
    """The options one command parses from argv, as click hands them to it (nothing runs)."""
    name, *rest = argv
    return cli.commands[name].make_context(name, rest).params


def test_a_bare_date_is_midnight_utc_and_until_includes_the_whole_day():
    # Given a date without a time
    # When it is parsed as --since and as --until
    since = parse_when("2026-01-31")
    until = parse_when("2026-01-31", end_of_day=True)
    # Then --since starts at that midnight and --until ends at the next one (exclusive)
    assert since == datetime(2026, 1, 31, tzinfo=UTC)
    assert until == datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T12:30:00", datetime(2026, 1, 31, 12, 30, tzinfo=UTC)),
        ("2026-01-31T12:30:00Z", datetime(2026, 1, 31, 12, 30, tzinfo=UTC)),
        ("2026-01-31T14:30:00+02:00", datetime(2026, 1, 31, 12, 30, tzinfo=UTC)),
    ],
)
def test_datetimes_are_converted_to_utc(text, expected):
    assert parse_when(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "31/01/2026", ""])
def test_a_malformed_date_is_a_usage_error(text):
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_when(text)


def test_backfill_options_are_parsed_with_their_defaults(monkeypatch):
    # Given no stack in the environment
    monkeypatch.delenv("AUTOML_ARCHIVE_STACK", raising=False)
    # When backfill is parsed with filters
    args = parsed(
        ["backfill", "--since", "2026-01-01", "--until", "2026-01-31", "--status", "Failed", "--name-contains", "x"]
    )
    # Then the filters are typed and the defaults are the documented ones
    assert args["since"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert args["until"] == datetime(2026, 2, 1, tzinfo=UTC)
    assert (args["status"], args["name_contains"]) == ("Failed", "x")
    assert args["stack_name"] == "AutoMLJobArchive"
    assert args["region"] is None
    assert (args["direct"], args["dry_run"], args["workers"], args["rate"], args["checkpoint"]) == (
        False,
        False,
        8,
        None,
        None,
    )


def test_the_stack_name_defaults_to_the_environment_variable(monkeypatch):
    monkeypatch.setenv("AUTOML_ARCHIVE_STACK", "OtherArchive")
    assert parsed(["status"])["stack_name"] == "OtherArchive"
    assert parsed(["status", "--stack-name", "Mine"])["stack_name"] == "Mine"


@pytest.mark.parametrize(
    "argv",
    [
        ["backfill", "--status", "Running"],
        ["backfill", "--rate", "0"],
        ["backfill", "--workers", "0"],
        ["backfill", "--since", "soon"],
        ["archive"],
        ["rederive", "--prefix", "records/automl-jobs/"],
        ["query"],
        ["query", "no_such_query"],
        ["query", "latest_state_per_job", "--format", "xml"],
        [],
    ],
)
def test_invalid_arguments_exit_with_usage_code_2(argv, capsys):
    # When the arguments are wrong / Then the command exits 2 with click's usage message, nothing run
    assert main(argv) == 2
    assert "Usage:" in capsys.readouterr().err


def test_the_former_export_verb_is_archive_and_left_out_of_help(capsys):
    assert cli.commands["export"].callback is cli.commands["archive"].callback
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    assert " archive " in listed and " export " not in listed


def test_every_command_has_its_own_help(capsys):
    for name in cli.commands:
        assert main([name, "--help"]) == 0
        assert f"Usage: automl-archive {name}" in capsys.readouterr().out


def test_filters_widen_the_api_bounds_and_recheck_them_exactly():
    # Given --since 2026-01-01 --until 2026-01-31 (exclusive next midnight)
    filters = BackfillFilters(since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 2, 1, tzinfo=UTC))
    params = filters.list_parameters()
    # Then the API is asked for a slightly wider window (its bounds are exclusive)
    assert params["CreationTimeAfter"] < filters.since
    assert params["CreationTimeBefore"] > filters.until

    # And each summary is then checked exactly: since inclusive, until exclusive
    def summary(created):
        return {"AutoMLJobName": "a", "AutoMLJobStatus": "Completed", "CreationTime": created}

    assert filters.matches(summary(datetime(2026, 1, 1, tzinfo=UTC)))
    assert filters.matches(summary(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)))
    assert not filters.matches(summary(datetime(2026, 2, 1, tzinfo=UTC)))
    assert not filters.matches(summary(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backfill", "--job-region", "eu-west-1"], "--job-region needs --account"),
        (["backfill", "--account", "111122223333"], "--account takes --since"),
        (["backfill", "--account", "111122223333", "--since", "2026-01-01", "--direct"], "--account takes --since"),
        (["backfill", "--account", "1111", "--since", "2026-01-01"], "12-digit"),
    ],
)
def test_a_spoke_backfill_with_options_it_cannot_honour_is_a_usage_error(argv, message, capsys):
    # Checked before any AWS call: the hub's sweep lists a spoke, so only --since applies
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_spoke_backfill_names_what_the_stack_registers_when_the_account_is_not_one_of_them():
    deployment = Deployment(
        "AutoMLJobArchive", "us-east-1", {"Spokes": "111122223333:eu-west-1,111122223333:us-west-2"}
    )
    assert [str(s) for s in spoke_sources(deployment, "111122223333", None)] == [
        "111122223333/eu-west-1",
        "111122223333/us-west-2",
    ]
    assert [str(s) for s in spoke_sources(deployment, "111122223333", "us-west-2")] == ["111122223333/us-west-2"]
    with pytest.raises(CliError, match="registered: 111122223333/eu-west-1, 111122223333/us-west-2") as raised:
        spoke_sources(deployment, "444455556666", None)
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("name", ["a", "A1", "churn-v1", "x--y", "a" * 32, "0-9"])
def test_job_names_sagemaker_accepts_are_accepted(name):
    assert JOB_NAME.convert(name, None, None) == name


@pytest.mark.parametrize("name", ["", "-a", "a-", "a_b", "a.b", "a b", "a" * 33, "ü"])
def test_job_names_sagemaker_refuses_are_refused(name):
    with pytest.raises(click.BadParameter, match="is not an AutoML job name"):
        JOB_NAME.convert(name, None, None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backfill", "--wait", "--direct"], "--wait follows the work queue after an enqueue"),
        (["backfill", "--wait", "--dry-run"], "--wait follows the work queue after an enqueue"),
        (["backfill", "--wait-timeout", "60"], "--wait-timeout needs --wait"),
        (["backfill", "--account", "111122223333", "--since", "2026-01-01", "--wait"], "--account takes --since"),
        (["backfill", "--account", "111122223333", "--since", "2026-01-01", "--restart"], "--account takes --since"),
    ],
)
def test_waiting_where_there_is_nothing_to_wait_for_is_a_usage_error(argv, message, capsys):
    # Checked before any AWS call
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_wait_options_default_to_no_wait_and_an_hour():
    args = parsed(["backfill", "--wait"])
    assert (args["wait"], args["wait_timeout"], args["restart"]) == (True, None, False)
    assert main(["backfill", "--wait-timeout", "0"]) == 2
