"""One deployed stack per test module: synth, CloudFormation in moto, the archiver fed by its queue.

IAM is enforced: the pipeline and the sweep run every invocation as their function's deployed role
(emulator.iam), so each e2e test runs under the real least-privilege rules. A module that ends with a
denial it did not take (`ENFORCEMENT.take_denials()`) fails at teardown.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from automl_archive.contracts import stack_outputs
from automl_archive_cli.aws import resolve_stack
from automl_archive_cli.operator_policy import operator_policy
from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.aws import ACCOUNT_ID, REGION, LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.demo import EVERY_STATE_CHANGE, archived_state_ids
from devtools.emulator.events import AlertsInbox, EventsInbox, put_events
from devtools.emulator.iam.enforcement import ENFORCEMENT, acting_as
from devtools.emulator.iam.policies import Principal
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from devtools.emulator.stack import DeployedStack, deploy_stack
from infra.config import SWEEP_HANDLER


@contextlib.contextmanager
def as_operator(stack_name: str) -> Iterator[Principal]:
    """Run the operator command as an operator holding exactly `automl-archive operator-policy`'s policy:
    every call it makes is evaluated as AWS would, and a denied one fails the command."""
    deployment = resolve_stack(boto3.client("cloudformation", region_name=REGION), stack_name, REGION)
    principal = Principal.from_documents(
        [operator_policy(deployment)], arn=f"arn:aws:iam::{ACCOUNT_ID}:role/automl-archive-operator"
    )
    with acting_as(principal):
        yield principal


@dataclass
class DeployedArchive:
    aws: LocalAws
    stack: DeployedStack
    simulator: AutopilotSimulator
    pipeline: LambdaPipeline
    inbox: AlertsInbox
    sweep: ScheduledFunction
    events: EventsInbox  # a user's rule for every AutoML Job State Change event

    def archived_state_ids(self, job_name: str | None = None) -> list[str]:
        """The id of every state the archive wrote (of one job), from its raw answers."""
        return archived_state_ids(self.aws, self.stack.output(stack_outputs.ARCHIVE_BUCKET_NAME), job_name)

    def as_operator(self) -> contextlib.AbstractContextManager[Principal]:
        return as_operator(self.stack.stack_name)

    def job_states(self) -> dict[str, dict[str, Any]]:
        table = self.stack.output("JobsTableName")
        items = self.aws.client("dynamodb").scan(TableName=table)["Items"]
        return {item["pk"]["S"]: item for item in items if item["sk"]["S"] == "STATE"}

    def status_of(self, job_name: str) -> str | None:
        item = self.job_states().get(f"JOB#{job_name.lower()}")
        return item["status"]["S"] if item else None

    def object_versions(self) -> list[tuple[str, str]]:
        s3 = self.aws.client("s3")
        answer = s3.list_object_versions(Bucket=self.stack.output("ArchiveBucketName"))
        return sorted((v["Key"], v["VersionId"]) for v in answer.get("Versions", []))

    def queue_depth(self, output_key: str) -> int:
        attributes = self.aws.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.output(output_key),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def put(self, events: list[dict[str, Any]]) -> None:
        put_events(self.aws, events)

    def run_until_idle(self, hours: float = 12) -> None:
        self.pipeline.run_until_idle(max_simulated_seconds=hours * 3600)


@pytest.fixture(scope="module")
def archive(local_aws: LocalAws) -> Iterator[DeployedArchive]:
    local_aws.reset()
    ENFORCEMENT.install()
    ENFORCEMENT.take_denials()
    logging.getLogger("moto").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stack = deploy_stack(local_aws)
    # Simulated time starts shortly before real time: the functions read simulated time, the operator
    # commands (CLI tests) the real clock, and both then fall inside the sweep's look-back window.
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    with AutopilotSimulator(clock=SimulatedClock(start=start)) as simulator, SqsClock() as sqs_clock:
        pipeline = LambdaPipeline.for_function(
            local_aws,
            stack.function(),
            sqs_clock=sqs_clock,
            simulator=simulator,
            publish_events=lambda events: put_events(local_aws, events),
        )
        pipeline.environment.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
        inbox = AlertsInbox(local_aws, stack.output("AlertsTopicArn"))
        events = EventsInbox(local_aws, stack.output(stack_outputs.STATE_CHANGE_EVENT_BUS_ARN), EVERY_STATE_CHANGE)
        sweep = ScheduledFunction.of(local_aws, stack, SWEEP_HANDLER)
        sweep.environment.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
        # As deployed: the sweep runs every minute of simulated time, and both functions read it as now.
        pipeline.on_schedule([sweep])
        yield DeployedArchive(local_aws, stack, simulator, pipeline, inbox, sweep, events)
    unexpected = ENFORCEMENT.take_denials()
    assert not unexpected, f"calls AWS would deny: {unexpected}"
