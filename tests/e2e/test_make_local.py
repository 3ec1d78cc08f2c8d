"""`make local` (devtools/emulator/local.py) as an operator uses it: start it, point automl-archive at it
with the export line it prints, run two operator commands from another process, stop it with Ctrl-C."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools.emulator.local import READY

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 300  # synth + deploy into moto on a loaded 2-core machine


def exported(line: str) -> dict[str, str]:
    words = shlex.split(line.strip())
    assert words[0] == "export"
    return dict(word.split("=", 1) for word in words[1:])


def test_make_local_serves_the_operator_command_until_ctrl_c(tmp_path):
    environment = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'lambdas'}"}
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        environment.pop(name, None)  # the playground sets up its own; the operator's shell has none yet
    local = subprocess.Popen(
        [sys.executable, "-m", "devtools.emulator.local", "--port", "0", "--seconds", "900"],
        cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert local.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            line = local.stdout.readline()
            assert line, f"make local ended early: {''.join(lines)}"
            lines.append(line)
            if READY in line:
                break
        (export,) = [line for line in lines if line.strip().startswith("export ")]
        operator = {**environment, **exported(export)}
        # The operator's two commands, from another process, against the running stack
        status = subprocess.run(
            [sys.executable, "-m", "automl_archive_cli", "status", "--json"],
            cwd=tmp_path, env=operator, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        summary = json.loads(status.stdout)
        assert summary["total_jobs"] >= 4 and summary["jobs_by_status"]["Failed"] >= 1
        dry_run = subprocess.run(
            [sys.executable, "-m", "automl_archive_cli", "backfill", "--since", "2026-01-01", "--dry-run",
             "--no-progress"],
            cwd=tmp_path, env={**operator, "XDG_CACHE_HOME": str(tmp_path)}, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert dry_run.returncode == 0, dry_run.stderr
        assert "Backfill (dry run)" in dry_run.stdout
        # Ctrl-C stops it cleanly
        local.send_signal(signal.SIGINT)
        rest, _ = local.communicate(timeout=60)
        assert local.returncode == 0 and "stopped" in rest
    finally:
        if local.poll() is None:
            local.kill()
