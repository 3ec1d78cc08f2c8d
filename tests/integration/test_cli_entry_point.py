"""`automl-archive` through its real entry points (the console script and `python -m`), as an operator's
shell runs it: one line on stderr for what the operator must fix, never a traceback, no AWS call for
arguments that cannot be right."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).parent / "automl-archive"
ENTRY_POINTS = [
    pytest.param([str(CONSOLE_SCRIPT)], id="console-script"),
    pytest.param([sys.executable, "-m", "automl_archive_cli"], id="python-m"),
]


def operator_shell(tmp_path: Path, **variables: str) -> dict[str, str]:
    """An environment with no AWS configuration but `variables`; this checkout's code first on the path."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_")) and name != "AUTOML_ARCHIVE_STACK"
    }
    environment.update(
        {
            "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'lambdas'}",
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # Any AWS call would go here and fail with "Cannot reach": the tests below show none is made.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            **variables,
        }
    )
    return environment


def run(entry_point: list[str], *argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*entry_point, *argv], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_an_unknown_profile_does_not_break_help_and_is_one_line_for_a_command(entry_point, tmp_path):
    if not Path(entry_point[0]).exists():
        pytest.skip("the console script is not installed in this interpreter's environment")
    shell = operator_shell(tmp_path, AWS_PROFILE="does-not-exist")
    # When the operator asks for help with a profile that does not exist / Then help is printed
    helped = run(entry_point, "--help", env=shell)
    assert helped.returncode == 0, helped.stderr
    assert "Usage: automl-archive" in helped.stdout and helped.stderr == ""
    # When a command runs with it / Then one line says what to fix, exit 2, no traceback
    status = run(entry_point, "status", env=shell)
    assert status.returncode == 2
    assert status.stderr.splitlines() == [
        "automl-archive: AWS profile not found: does-not-exist (check AWS_PROFILE)."
    ], status.stderr
    assert "Traceback" not in status.stderr and status.stdout == ""


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["export", ""], "''"),
        (["archive", "bad_name!"], "'bad_name!'"),
        (["archive", "-starts-with-a-hyphen"], None),  # click reads it as an option: still a usage error
        (["archive", "a" * 33], "'" + "a" * 33 + "'"),
        (["archive", "ends-with-a-hyphen-"], "'ends-with-a-hyphen-'"),
    ],
)
def test_a_name_sagemaker_would_refuse_is_a_usage_error_before_any_aws_call(argv, shown, tmp_path):
    # Given credentials and a region (and an endpoint that answers nothing: a call would say "Cannot reach")
    shell = operator_shell(tmp_path, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_DEFAULT_REGION="us-east-1")
    # When the job name cannot be an AutoML job's
    result = run([sys.executable, "-m", "automl_archive_cli"], *argv, env=shell)
    # Then click's usage error, exit 2: no AWS call, no traceback
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Cannot reach" not in result.stderr
    assert result.stderr.startswith(f"Usage: automl-archive {argv[0]} [OPTIONS] JOB_NAME")
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    if shown is not None:
        assert error.startswith(f"Error: Invalid value for 'JOB_NAME': {shown} is not an AutoML job name")


def test_a_valid_name_gets_as_far_as_aws(tmp_path):
    # The converse: a valid name is accepted and the command goes on to AWS (here unreachable), one line
    shell = operator_shell(tmp_path, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b", AWS_DEFAULT_REGION="us-east-1")
    shell["AWS_MAX_ATTEMPTS"] = "1"
    result = run([sys.executable, "-m", "automl_archive_cli"], "archive", "Churn-v1--2", env=shell)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "automl-archive: Cannot reach http://127.0.0.1:9/: check your network or proxy, the region, and "
        "AWS_ENDPOINT_URL if it is set."
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"AWS_PROFILE": "does-not-exist"},
            "automl-archive: AWS profile not found: does-not-exist (check AWS_PROFILE).",
        ),
        ({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "automl-archive: No AWS region configured: "),
        ({"AWS_DEFAULT_REGION": "eu-west-1"}, "automl-archive: No usable AWS credentials found: "),
    ],
)
def test_make_deploys_preflight_says_what_to_fix_in_the_operator_commands_words(variables, expected, tmp_path):
    # The preflight `make deploy`, `make diff` and `make bootstrap` run before any cdk command
    shell = operator_shell(tmp_path, **variables)
    result = run([sys.executable, "-m", "automl_archive_cli.preflight", "deploy"], env=shell)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(expected)
    assert result.stdout == ""
