"""Shared fixtures for tests that run against the local emulator (one moto server per test process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import botocore.config
import pytest

from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import LocalAws
from devtools.emulator.clock import SimulatedClock

# Tests run the functions' code outside Lambda: give Powertools the namespace the stack sets (its
# automatic flush at 100 metrics validates it) and keep EMF output out of test logs. Set when this
# module is imported, not in pytest_configure: pytest imports the conftest of a directory named on the
# command line (tests/e2e/conftest.py imports the CLI, hence Powertools' Metrics) before configure.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "AutoMLArchiveTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "automl-archive-tests")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    """One moto server for the whole session; the process environment points boto3 at it."""
    with LocalAws() as aws:
        yield aws


@pytest.fixture
def fresh_aws(local_aws: LocalAws) -> LocalAws:
    """The session's moto server with every resource deleted first."""
    local_aws.reset()
    return local_aws


@pytest.fixture
def simulated_clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def autopilot(fresh_aws: LocalAws, simulated_clock: SimulatedClock) -> Iterator[AutopilotSimulator]:
    """An Autopilot simulator installed into the running moto server (uninstalled afterwards)."""
    with AutopilotSimulator(clock=simulated_clock) as simulator:
        yield simulator


@pytest.fixture
def sagemaker_no_retries(local_aws: LocalAws) -> Any:
    """A SageMaker client that surfaces the first error (no botocore retries)."""
    return local_aws.client("sagemaker", config=NO_RETRIES)
