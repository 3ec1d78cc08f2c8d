"""The Makefile's AWS targets as `make -n` prints them: preflight first, then the CDK command, with
APPROVE=, STACK= and REGION= applied; `make dev` says how to run the operator command."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def planned(target: str, *variables: str) -> list[str]:
    """The commands `make -n TARGET VAR=...` would run for the target itself (after its `dev` prerequisite)."""
    ignored = ("MAKEFLAGS", "MFLAGS", "APPROVE", "STACK", "REGION")
    environment = {name: value for name, value in os.environ.items() if name not in ignored}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *variables],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    start = next(index for index, line in enumerate(lines) if "automl_archive_cli.preflight" in line)
    return lines[start:]


def test_deploy_asks_before_broadening_permissions_unless_approve_is_yes():
    # Given no APPROVE / When make deploy is planned / Then the preflight runs first and the CDK asks
    preflight, deploy, *_ = planned("deploy")
    assert preflight.endswith("-m automl_archive_cli.preflight deploy")
    assert deploy.split() == ["npx", "cdk", "deploy", "--require-approval", "broadening"]
    # And the first compaction creates the data lake's Iceberg tables right after the deploy
    assert any(" compact" in line for line in planned("deploy")[2:])
    # When APPROVE=yes / Then it deploys without asking
    assert planned("deploy", "APPROVE=yes")[1].split()[:5] == ["npx", "cdk", "deploy", "--require-approval", "never"]
    # And anything else than yes still asks
    assert "--require-approval broadening" in planned("deploy", "APPROVE=no")[1]


@pytest.mark.parametrize("target", ["deploy", "diff", "bootstrap"])
def test_stack_and_region_apply_to_the_preflight_and_the_cdk_command(target):
    preflight, cdk, *after = planned(target, "STACK=OtherArchive", "REGION=eu-west-1", "CDK_ARGS=-c alert_emails=a@b.c")
    region = "AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1"
    assert preflight.startswith(region) and preflight.endswith(f"automl_archive_cli.preflight {target}")
    assert cdk.startswith(f"{region} npx cdk {target}")
    assert cdk.endswith("-c stack_name=OtherArchive -c alert_emails=a@b.c")
    # deploy's first compaction runs on the same stack and Region
    assert all("--stack-name OtherArchive --region eu-west-1" in line for line in after if " compact" in line)
    assert any(" compact" in line for line in after) == (target == "deploy")


def test_without_stack_or_region_the_cdk_uses_the_configured_ones():
    preflight, cdk = planned("diff")
    assert "AWS_REGION" not in preflight + cdk and "stack_name" not in cdk


def test_dev_checks_node_first_and_says_how_to_run_the_command():
    environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "dev"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0].endswith("-m devtools.node_check")
    assert ".venv/bin/automl-archive --help" in lines[-1] and "source .venv/bin/activate" in lines[-1]
    # Other targets that need dev do not repeat the hint
    assert "source .venv/bin/activate" not in "\n".join(planned("diff"))
