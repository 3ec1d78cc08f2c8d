"""SageMaker in a spoke through its reader role (dal/aws/spokes.py), against the emulator playing a spoke
account in two Regions: the describe answers that account's job, each Region's role is assumed once
per container, and every request to the account takes a slot of the account's one rate limiter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from automl_archive.contracts.job_identity import JobSource
from automl_archive.contracts.job_status import DescribeApi
from automl_archive.contracts.spoke import Spoke, SpokeAccess
from automl_archive.dal.aws.spokes import SpokeSageMaker
from automl_archive.dal.interfaces import JobNotFound
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.call_counter import CallCounter
from devtools.emulator.clock import SimulatedClock

SPOKE = "111122223333"
IRELAND, OREGON = JobSource(SPOKE, "eu-west-1"), JobSource(SPOKE, "us-west-2")


@pytest.fixture
def spoke(fresh_aws: LocalAws, simulated_clock: SimulatedClock) -> Iterator[AutopilotSimulator]:
    simulator = AutopilotSimulator(clock=simulated_clock, account_id=SPOKE, region=IRELAND.region).install()
    try:
        simulator.create_job("churn", candidates=2)
        simulator.run_to_completion("churn")
        yield simulator
    finally:
        simulator.uninstall()


def test_a_spoke_gateway_reads_the_spokes_own_job_and_shares_the_accounts_limiter(spoke):
    access = SpokeAccess(
        hub=JobSource(ACCOUNT_ID, REGION),
        spokes=(Spoke(IRELAND), Spoke(OREGON)),
        external_id="org-archive-2026",
        hub_stack_name="AutoMLJobArchive",
    )
    gateways = SpokeSageMaker(access, "standard", 1, calls_per_second=50)
    with CallCounter() as calls:
        answer = gateways.gateway(IRELAND).describe_automl_job("churn", DescribeApi.V1)
        assert answer["AutoMLJobArn"] == f"arn:aws:sagemaker:eu-west-1:{SPOKE}:automl-job/churn"
        assert answer["AutoMLJobStatus"] == "Completed"
        # The same name in the account's other Region: nobody runs it there
        with pytest.raises(JobNotFound):
            gateways.gateway(OREGON).describe_automl_job("churn", DescribeApi.V1)
        gateways.gateway(IRELAND).describe_automl_job("churn", DescribeApi.V1)
    # One AssumeRole per Region's role, not per call; the three requests took the account's slots
    assert calls.counts["sts.AssumeRole"] == 2
    assert gateways.requests_by_account() == {SPOKE: 3}


def test_an_unregistered_source_gets_no_gateway(fresh_aws):
    access = SpokeAccess(JobSource(ACCOUNT_ID, REGION), (Spoke(IRELAND),), "org-archive-2026", "AutoMLJobArchive")
    with pytest.raises(ValueError, match="not a registered spoke"):
        SpokeSageMaker(access, "standard", 1, calls_per_second=5).gateway(OREGON)


def test_a_forgotten_spoke_assumes_its_role_again(spoke):
    access = SpokeAccess(JobSource(ACCOUNT_ID, REGION), (Spoke(IRELAND),), "org-archive-2026", "AutoMLJobArchive")
    gateways = SpokeSageMaker(access, "standard", 1, calls_per_second=50)
    with CallCounter() as calls:
        first = gateways.gateway(IRELAND)
        assert gateways.gateway(IRELAND) is first
        # When the caller forgets the spoke (after a failure), the next gateway is a new session
        gateways.forget(IRELAND)
        gateways.forget(IRELAND)  # forgetting twice, or a spoke never used, is harmless
        again = gateways.gateway(IRELAND)
        assert again is not first
        assert again.describe_automl_job("churn", DescribeApi.V1)["AutoMLJobStatus"] == "Completed"
    assert calls.counts["sts.AssumeRole"] == 2
