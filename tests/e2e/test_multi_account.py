"""Issue 14 in the emulator: a hub and two spoke accounts (one in two Regions) plus the hub account's second
Region, deployed from the real templates (devtools/emulator/multi_account.py), the same job names played
in all five sources.

SageMaker's events cross to the hub's central bus under its policy, the archiver and the sweep assume
each spoke's reader role (trust policy and external id enforced, the session's calls made as that role),
and every call runs under the deployed roles' IAM.
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

import pytest

from automl_archive.contracts import stack_outputs
from automl_archive_cli.local_query import download_records, run_queries
from devtools.emulator.aws import LocalAws
from devtools.emulator.clock import SimulatedClock
from devtools.emulator.cross_account import REFUSED, forward_events
from devtools.emulator.demo import EVERY_STATE_CHANGE
from devtools.emulator.events import AlertsInbox, EventsInbox
from devtools.emulator.iam.enforcement import ENFORCEMENT
from devtools.emulator.multi_account import (
    HUB,
    OUTSIDER,
    SOURCES,
    SPOKE_A,
    SPOKE_B_AP,
    SPOKE_B_EU,
    MultiAccountWorld,
    Source,
    multi_account_world,
)
from devtools.emulator.pipeline import LambdaPipeline
from devtools.emulator.scenarios import demo_histories, failing_job
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.simulated_time import SqsClock
from infra.config import SWEEP_HANDLER

AUTOML_JOBS = {
    "churn-v1-completes": "Completed",
    "sales-v2-completes": "Completed",
    "fraud-v1-fails": "Failed",
    "images-v2-stopped": "Stopped",
}
QUIET = {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"}


@dataclass
class Organisation:
    world: MultiAccountWorld
    pipeline: LambdaPipeline
    sweep: ScheduledFunction
    alerts: AlertsInbox
    events: EventsInbox

    @property
    def aws(self) -> LocalAws:
        return self.world.aws

    def states(self) -> dict[str, dict[str, Any]]:
        items = self.aws.client("dynamodb").scan(TableName=self.world.hub.output("JobsTableName"))["Items"]
        return {item["pk"]["S"].removeprefix("JOB#"): item for item in items if item["sk"]["S"] == "STATE"}

    def status(self, source: Source, job_name: str) -> str | None:
        item = self.states().get(source.job_key(job_name))
        return item["status"]["S"] if item else None

    def keys(self, prefix: str) -> list[str]:
        s3 = self.aws.client("s3")
        bucket = self.world.hub.output("ArchiveBucketName")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    def run_until_idle(self, hours: float = 12) -> None:
        self.pipeline.run_until_idle(max_simulated_seconds=hours * 3600)


@pytest.fixture(scope="module")
def organisation(local_aws: LocalAws) -> Iterator[Organisation]:
    local_aws.reset()
    ENFORCEMENT.install()
    ENFORCEMENT.take_denials()
    logging.getLogger("moto").setLevel(logging.ERROR)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    with (
        multi_account_world(local_aws, SimulatedClock(start=start)) as world,
        SqsClock() as sqs_clock,
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        pipeline = LambdaPipeline.for_function(
            local_aws,
            world.hub.function(),
            sqs_clock=sqs_clock,
            simulator=world.hub_simulator,
            publish_events=world.publish,
        )
        pipeline.environment.update(QUIET)
        sweep = ScheduledFunction.of(local_aws, world.hub, SWEEP_HANDLER)
        sweep.environment.update(QUIET)
        pipeline.on_schedule([sweep])
        alerts = AlertsInbox(local_aws, world.hub.output("AlertsTopicArn"))
        events = EventsInbox(local_aws, world.hub.output(stack_outputs.STATE_CHANGE_EVENT_BUS_ARN), EVERY_STATE_CHANGE)
        yield Organisation(world, pipeline, sweep, alerts, events)
    unexpected = [d for d in ENFORCEMENT.take_denials() if d.check.action != "sts:AssumeRole"]
    assert not unexpected, f"calls AWS would deny: {unexpected}"


@pytest.fixture(scope="module")
def played(organisation: Organisation) -> Organisation:
    for index, source in enumerate(SOURCES):
        organisation.world.schedule(source, demo_histories(), offset_seconds=index * 20)
    organisation.run_until_idle()
    return organisation


def test_every_source_is_archived_with_colliding_names_kept_apart(played: Organisation) -> None:
    states = played.states()
    # Every AutoML job of every source has its own item, keyed by its source; the training job nobody's
    # Autopilot started is nowhere
    for source in SOURCES:
        for name, status in AUTOML_JOBS.items():
            item = states[source.job_key(name)]
            assert item["status"]["S"] == status, (source, name)
    assert len(states) == len(SOURCES) * len(AUTOML_JOBS)
    assert "churn-v1-completes" in states and "111111111111.eu-west-1.churn-v1-completes" in states
    assert not [key for key in states if "nightly-xgboost-training" in key]


def test_records_and_raw_answers_say_where_each_job_runs(played: Organisation) -> None:
    raw = played.keys("raw/automl-jobs/")
    folders = {key.split("/")[2] for key in raw}
    assert folders == {source.job_key(name) for source in SOURCES for name in AUTOML_JOBS}
    s3 = played.aws.client("s3")
    bucket = played.world.hub.output("ArchiveBucketName")
    records = [key for key in played.keys("records/") if "fraud-v1-fails--" in key and key.endswith(".jsonl")]
    seen = set()
    for key in records:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        import json  # noqa: PLC0415

        for line in body.splitlines():
            record = json.loads(line)
            if record.get("status") == "Failed":
                seen.add((record["account_id"], record["region"]))
                assert key.split("/")[-1].startswith(
                    Source(record["account_id"], record["region"]).job_key("fraud-v1-fails")
                )
    assert seen == {(source.account_id, source.region) for source in SOURCES}


def test_alerts_and_state_change_events_name_account_region_and_alias(played: Organisation) -> None:
    alerts = [alert for alert in played.alerts.read() if "fraud-v1-fails" in (alert.subject or "")]
    subjects = sorted(alert.subject or "" for alert in alerts)
    # One alert per failed job, each naming its account (with the registry's alias) and Region
    assert len(alerts) == len(SOURCES)
    assert any("111111111111" in s and "team-a" in s and "eu-west-1" in s for s in subjects), subjects
    assert any("222222222222" in s and "team-b" in s and "ap-southeast-2" in s for s in subjects), subjects
    assert {(a.attributes["account_id"], a.attributes["region"]) for a in alerts} == {
        (source.account_id, source.region) for source in SOURCES
    }
    events = played.events.read()
    failed = {(e["detail"]["account_id"], e["detail"]["region"]) for e in events if e["detail"]["status"] == "Failed"}
    assert failed == {(source.account_id, source.region) for source in SOURCES}


def test_the_local_query_shows_every_source(played: Organisation, tmp_path) -> None:
    bucket = played.world.hub.output("ArchiveBucketName")
    assert download_records(played.aws.client("s3"), bucket, tmp_path) > 0
    latest = run_queries(tmp_path)["latest_state_per_job"].as_dicts()
    # One row per job of every source: the colliding names are not merged into one
    assert sorted((row["account_id"], row["region"], row["job_name"], row["status"]) for row in latest) == sorted(
        (source.account_id, source.region, name, status) for source in SOURCES for name, status in AUTOML_JOBS.items()
    )


def test_a_spoke_outage_is_skipped_counted_and_recovers(played: Organisation) -> None:
    # Given spoke A's reader role deleted, and a job failing in A and another in B's Sydney Region
    world = played.world
    world.delete_reader_role(SPOKE_A)
    world.schedule(SPOKE_A, [failing_job("outage-a", api="v2")])
    world.schedule(SPOKE_B_AP, [failing_job("outage-b", api="v2")])
    for _ in range(40):  # 40 simulated minutes: the job fails at 30
        played.pipeline.advance(60)
        played.pipeline.drain()
    # Then B's job is archived; A's is not, every sweep pass reporting A as failed (its watermark kept)
    assert played.status(SPOKE_B_AP, "outage-b") == "Failed"
    assert played.status(SPOKE_A, "outage-a") is None
    assert played.sweep.results[-1]["failed_spokes"] == [str(SPOKE_A.job_source)]
    # The warm containers' sessions of the deleted role were refused, then AssumeRole itself
    denied = ENFORCEMENT.take_denials()
    assert "sts:AssumeRole" in {d.check.action for d in denied}
    assert {d.check.action.split(":")[0] for d in denied} <= {"sts", "sagemaker"}
    assert {d.principal for d in denied if d.check.action.startswith("sagemaker:")} <= {
        f"arn:aws:iam::{SPOKE_A.account_id}:role/{world.reader_role_name(SPOKE_A)}"
    }

    # When the role is restored (a new role: sessions of the old one stay refused)
    world.restore_reader_role(SPOKE_A)
    played.run_until_idle()

    # Then the next pass reads A again and archives what it missed, alerting it once
    assert played.status(SPOKE_A, "outage-a") == "Failed"
    subjects = [alert.subject or "" for alert in played.alerts.read()]
    assert len([s for s in subjects if "outage-a" in s]) == 1
    assert len([s for s in subjects if "outage-b" in s]) == 1


def test_a_wrong_external_id_is_refused_as_aws_refuses_it(played: Organisation) -> None:
    # Given the archiver presenting another external id than the spokes' trust policies ask for
    pipeline = played.pipeline
    original = pipeline.environment["SPOKE_EXTERNAL_ID"]
    pipeline.environment["SPOKE_EXTERNAL_ID"] = "not-the-secret"
    pipeline.cold_start()
    try:
        played.world.schedule(SPOKE_B_EU, [failing_job("wrong-external-id", api="v2")])
        for _ in range(35):
            pipeline.advance(60)
            pipeline.drain()
        denied = ENFORCEMENT.take_denials()
    finally:
        pipeline.environment["SPOKE_EXTERNAL_ID"] = original
        pipeline.cold_start()
    # Then every AssumeRole of the archiver was refused (AccessDenied) and nothing of the job archived by it
    archiver = [d for d in denied if d.principal == played.world.hub.function().role_arn]
    assert archiver and {(d.check.action, d.code) for d in archiver} == {("sts:AssumeRole", "AccessDenied")}
    # And with the right id again, the job is archived
    played.run_until_idle()
    assert played.status(SPOKE_B_EU, "wrong-external-id") == "Failed"


def test_a_forged_event_cannot_archive_another_accounts_job(played: Organisation) -> None:
    # Given a job only spoke B runs (in eu-west-1), failed, with its events
    world = played.world
    victim = world.simulators[SPOKE_B_EU]
    victim.create_job("payroll-model")
    forged = [victim.creation_event("payroll-model"), *victim.analyze_data("payroll-model")]
    forged += victim.fail("payroll-model", reason="ClientError: confidential")
    assert forged and all(event["account"] == SPOKE_B_EU.account_id for event in forged)
    # When spoke A's account puts B's own events (naming B's job, its child jobs and ARNs) on its bus:
    # EventBridge stamps them with A's account, as it stamps whatever an account puts
    described_in_b = sum(count for action, count in victim.calls.items() if action.startswith("Describe"))
    world.put_on_default_bus(SPOKE_A, forged)
    played.pipeline.drain()  # the events' work, before any sweep pass (which would list B's job itself)
    # Then nothing of B's job is archived: the describes went to account A, which has no such job, and
    # SageMaker in B was never asked
    assert sum(count for action, count in victim.calls.items() if action.startswith("Describe")) == described_in_b
    assert played.status(SPOKE_B_EU, "payroll-model") is None
    assert played.status(SPOKE_A, "payroll-model") is None
    assert not [key for key in played.keys("raw/") if "payroll-model" in key]
    assert not [a for a in played.alerts.read() if "payroll-model" in (a.subject or "")]


def test_an_event_from_an_account_not_admitted_is_refused_by_the_bus(played: Organisation) -> None:
    # Given an account outside the organisation and the registry, with a job named like the hub's
    refused_before = len(REFUSED)
    outsider = Source(OUTSIDER, "eu-west-1")
    from devtools.emulator.autopilot.simulator import AutopilotSimulator  # noqa: PLC0415

    stranger = AutopilotSimulator(clock=played.world.hub_simulator.clock, account_id=OUTSIDER, region=outsider.region)
    stranger.create_job("churn-v1-completes")
    event = stranger.creation_event("churn-v1-completes")
    # When it reaches the hub's central bus
    assert forward_events([event], played.world.hub_bus_arn) == 0
    played.pipeline.drain()
    # Then the bus's policy refused it: nothing reached the work queue, nothing was archived
    assert [(r.account, r.bus_arn) for r in REFUSED[refused_before:]] == [(OUTSIDER, played.world.hub_bus_arn)]
    assert not [key for key in played.states() if key.startswith(OUTSIDER)]
    assert played.status(HUB, "churn-v1-completes") == "Completed"
