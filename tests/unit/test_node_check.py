"""`make node-check` (devtools/node_check.py): the Node.js found, against the CDK's supported versions."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import node_check

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("version", ["v22.11.0\n", "v24.1.0"])
def test_a_supported_lts_version_is_one_line_on_stdout(version):
    verdict = node_check.judge(version)
    assert (verdict.exit_code, verdict.to_stderr) == (0, False)
    assert verdict.line.startswith(f"Node.js {version.strip()} found: supported")


def test_node_20_is_a_warning_naming_the_version_found_and_the_supported_ones():
    verdict = node_check.judge("v20.20.2\n")
    assert (verdict.exit_code, verdict.to_stderr) == (0, True)
    assert verdict.line.startswith("warning: Node.js v20.20.2 found: end-of-life since 2026-04-30")
    assert "24.x, 22.x, 20.x (until 2026-10-30)" in verdict.line


def test_an_unsupported_old_version_stops_make():
    verdict = node_check.judge("v18.20.4")
    assert verdict.exit_code == 1
    assert verdict.line.startswith("error: Node.js v18.20.4 found: the CDK no longer supports it")


@pytest.mark.parametrize("version", ["v23.0.0", "v26.0.0"])
def test_a_version_the_cdk_does_not_document_is_a_warning(version):
    verdict = node_check.judge(version)
    assert (verdict.exit_code, verdict.to_stderr) == (0, True)
    assert "not a version the CDK documents" in verdict.line


def fake_node(directory: Path, version: str) -> Path:
    script = directory / "node"
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return directory


def run_check(path: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": path, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "devtools.node_check"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_check_runs_node_and_says_which_version_it_found(tmp_path):
    result = run_check(str(fake_node(tmp_path, "v20.11.1")))
    assert result.returncode == 0
    assert result.stderr.startswith("warning: Node.js v20.11.1 found")


def test_missing_node_is_a_clear_error(tmp_path):
    result = run_check(str(tmp_path))  # an empty directory: no node anywhere on PATH
    assert result.returncode == 1
    assert result.stderr.startswith("error: node not found on PATH")
