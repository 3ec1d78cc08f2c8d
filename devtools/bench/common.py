"""Shared pieces of the benchmarks: result rows, statistics, the machine, running a piece in a subprocess."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = REPO_ROOT / "lambdas"


@dataclass
class Row:
    """One line of the table: the product's figure against its floor measured in the same run."""

    name: str
    product: float
    floor: float | None
    unit: str
    target: str
    passed: bool | None  # None: reported, no target
    note: str = ""
    lower_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.product / self.floor

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p90 of 15 samples is the 14th smallest)."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return float(ordered[rank - 1])


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def run_piece(module: str, *args: str, timeout: float = 600, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `python -m <module> --json ...` in a fresh interpreter (its own environment and module state);
    its last stdout line is the JSON result."""
    environment = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{LAMBDAS_DIR}", **(env or {})}
    completed = subprocess.run(
        [sys.executable, "-m", module, "--json", *args],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{module} printed no JSON result:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
