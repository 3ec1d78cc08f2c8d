"""A hub reading its spokes (docs/multi-account.md), with fakes: job identity by account, Region and name;
the describe goes to the account and Region the event came from, never to one its payload names; an
unregistered sender is acknowledged without a read; the sweep covers every spoke and one spoke's
outage holds up no other."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from automl_archive.composition import assemble_archiver, assemble_sweep
from automl_archive.contracts.job_identity import JobId, JobSource, job_key, name_of_key, source_of_key
from automl_archive.contracts.job_status import ChildKind
from automl_archive.contracts.job_table import child_link_key, watermark_name
from automl_archive.contracts.metric_names import MESSAGES_FROM_UNREGISTERED_SOURCES, SWEEP_SPOKE_FAILURES
from automl_archive.contracts.settings import ArchiverSettings, ConfigurationError, HubScope, SweepSettings
from automl_archive.contracts.spoke import Spoke, SpokeAccess, UnregisteredSource, decode_spokes, encode_spokes
from automl_archive.logic.archive import Outcome
from automl_archive.models.messages import ChildJobEvent, JobReference, MalformedMessage, parse_message, reference_body
from devtools.answers import ACCOUNT, REGION, v1_answer
from devtools.fakes import (
    FakeArchive,
    FakeEventBus,
    FakeNotifier,
    FakeQueue,
    FakeSageMaker,
    FakeStore,
    RecordingMetrics,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HUB = JobSource(ACCOUNT, REGION)
TEAM_A = JobSource("111122223333", "eu-west-1")
TEAM_A_US = JobSource("111122223333", "us-east-1")
UNREGISTERED = JobSource("999988887777", "eu-west-1")
SCOPE = HubScope(
    hub_account_id=HUB.account_id,
    hub_region=HUB.region,
    hub_stack_name="AutoMLJobArchive",
    spokes=(Spoke(TEAM_A, "team-a"), Spoke(TEAM_A_US, "team-a")),
    spoke_external_id="ext-id-123",
)


def spoke_answer(source: JobSource, **kwargs) -> dict:
    """A describe answer as SageMaker in `source` gives it (its ARN names that account and Region)."""
    answer = v1_answer(**kwargs)
    answer["AutoMLJobArn"] = (
        f"arn:aws:sagemaker:{source.region}:{source.account_id}:automl-job/{answer['AutoMLJobName'].lower()}"
    )
    return answer


class Spokes:
    """One fake SageMaker per spoke; `broken` spokes fail as a deleted role would (AccessDenied)."""

    def __init__(self) -> None:
        self.sagemaker = {TEAM_A: FakeSageMaker(), TEAM_A_US: FakeSageMaker()}
        self.broken: set[JobSource] = set()
        self.asked: list[JobSource] = []
        self.forgotten: list[JobSource] = []

    def gateway(self, source: JobSource) -> FakeSageMaker:
        self.asked.append(source)
        if source in self.broken:
            raise PermissionError(f"AccessDenied: sts:AssumeRole on {source}'s reader role")
        return self.sagemaker[source]

    def forget(self, source: JobSource) -> None:
        self.forgotten.append(source)


class Hub:
    def __init__(self) -> None:
        self.now = NOW
        self.sagemaker = FakeSageMaker()
        self.spokes = Spokes()
        self.store = FakeStore()
        self.archive = FakeArchive()
        self.notifier = FakeNotifier()
        self.bus = FakeEventBus()
        self.queue = FakeQueue()
        self.metrics = RecordingMetrics()
        self.archiver = assemble_archiver(
            ArchiverSettings("jobs", "archive", "topic", hub=SCOPE),
            sagemaker=self.sagemaker,
            store=self.store,
            archive=self.archive,
            notifier=self.notifier,
            metrics=self.metrics,
            bus=self.bus,
            spokes=self.spokes,
            clock=lambda: self.now,
            epoch=lambda: int(self.now.timestamp()),
        )

    def run(self, item, message_id: str = "m-1") -> Outcome:
        return self.archiver.process(item, message_id, set())

    def sweep(self):
        return assemble_sweep(
            SweepSettings("jobs", "queue", hub=SCOPE),
            sagemaker=self.sagemaker,
            store=self.store,
            queue=self.queue,
            metrics=self.metrics,
            spokes=self.spokes,
            clock=lambda: NOW,
        )


@pytest.fixture
def hub() -> Hub:
    return Hub()


def event_from(source: JobSource, job_name: str, arn_account: str | None = None) -> str:
    """A forwarded SageMaker training-job event, as the hub's bus delivers it to the work queue."""
    account = arn_account or source.account_id
    return json.dumps(
        {
            "version": "0",
            "id": "e-1",
            "detail-type": "SageMaker Training Job State Change",
            "source": "aws.sagemaker",
            "account": source.account_id,
            "region": source.region,
            "time": "2026-11-20T11:59:00Z",
            "resources": [],
            "detail": {
                "TrainingJobName": f"{job_name}TA-001-abc",
                "TrainingJobStatus": "Completed",
                "AutoMLJobArn": f"arn:aws:sagemaker:{source.region}:{account}:automl-job/{job_name.lower()}",
            },
        }
    )


# --- identity -------------------------------------------------------------------------------------


def test_a_spoke_job_key_names_account_region_and_name_and_reads_back():
    key = job_key("Churn", TEAM_A)
    assert key == "111122223333.eu-west-1.churn"
    assert (source_of_key(key), name_of_key(key)) == (TEAM_A, "churn")
    # The hub's own jobs keep the key archives written before spokes already use
    assert job_key("Churn") == "churn" and source_of_key("churn") is None
    assert JobId("Churn", TEAM_A).key == key != JobId("Churn", TEAM_A_US).key


def test_child_links_and_watermarks_are_per_source():
    assert child_link_key("training", "x-1") != child_link_key("training", "x-1", TEAM_A)
    assert watermark_name("sweep") == "sweep"
    assert watermark_name("sweep", TEAM_A) == "sweep#111122223333.eu-west-1"


@pytest.mark.parametrize("bad", ["1234:eu-west-1", "111122223333:Europe", "111122223333:eu-west-1:Bad_Alias", "x"])
def test_a_malformed_registry_entry_is_refused(bad):
    with pytest.raises(ValueError):
        decode_spokes(bad)


def test_the_registry_round_trips_through_the_environment():
    spokes = (Spoke(TEAM_A, "team-a"), Spoke(TEAM_A_US))
    assert decode_spokes(encode_spokes(spokes)) == spokes
    settings = ArchiverSettings("jobs", "archive", "topic", hub=SCOPE)
    assert ArchiverSettings.from_environ(settings.to_environment()) == settings


def test_spokes_without_the_hub_account_or_external_id_fail_at_cold_start():
    environment = {"JOBS_TABLE_NAME": "t", "ARCHIVE_BUCKET_NAME": "b", "ALERTS_TOPIC_ARN": "a"}
    with pytest.raises(ConfigurationError, match="SPOKES needs HUB_ACCOUNT_ID"):
        ArchiverSettings.from_environ({**environment, "SPOKES": "111122223333:eu-west-1"})


def test_only_the_hub_and_registered_spokes_are_admitted():
    access = SCOPE.spoke_access
    assert isinstance(access, SpokeAccess)
    assert access.source_of_envelope(HUB.account_id, HUB.region) is None
    assert access.source_of_envelope(TEAM_A.account_id, TEAM_A.region) == TEAM_A
    for account, region in ((UNREGISTERED.account_id, UNREGISTERED.region), (HUB.account_id, "eu-west-1"), ("x", "y")):
        with pytest.raises(UnregisteredSource):
            access.source_of_envelope(account, region)
    assert access.reader_role_arn(TEAM_A) == "arn:aws:iam::111122223333:role/AutoMLJobArchive-reader-eu-west-1"


# --- the archiver ---------------------------------------------------------------------------------


def test_same_named_jobs_in_hub_and_spokes_are_archived_apart(hub):
    hub.sagemaker.put_job(v1_answer(name="churn", status="Failed", secondary="Failed"))
    hub.spokes.sagemaker[TEAM_A].put_job(spoke_answer(TEAM_A, name="churn", status="Completed"))
    hub.spokes.sagemaker[TEAM_A_US].put_job(
        spoke_answer(TEAM_A_US, name="churn", status="InProgress", secondary="Starting")
    )
    for source in (HUB, TEAM_A, TEAM_A_US):
        assert hub.run(parse_message(event_from(source, "churn"))) is Outcome.ARCHIVED
    states = {key: item["status"] for key, item in hub.store.states.items()}
    assert states == {
        "churn": "Failed",
        "111122223333.eu-west-1.churn": "Completed",
        "111122223333.us-east-1.churn": "InProgress",
    }
    # Each record says where its job runs, and the S3 keys never collide
    team_a = hub.store.states["111122223333.eu-west-1.churn"]
    assert (team_a["account_id"], team_a["region"]) == ("111122223333", "eu-west-1")
    raw_keys = sorted(key for key in hub.archive.objects if key.startswith("raw/"))
    assert [key.split("/")[2] for key in raw_keys] == sorted(states)
    # Only the hub's own failed job alerted; the spokes' SageMaker was asked for its own jobs only
    assert [alert["attributes"]["job_name"] for alert in hub.notifier.published] == ["churn"]
    assert hub.spokes.asked == [TEAM_A, TEAM_A_US]


def test_a_forged_event_naming_another_accounts_job_is_described_where_it_came_from(hub):
    # Team A's account sends an event whose payload names a job ARN in the hub's account
    hub.sagemaker.put_job(v1_answer(name="payroll-model", status="Failed", secondary="Failed"))
    forged = parse_message(event_from(TEAM_A, "payroll-model", arn_account=HUB.account_id))
    # The describe goes to team A's SageMaker, which has no such job: nothing is archived or alerted
    assert hub.run(forged) is Outcome.JOB_NOT_FOUND
    assert hub.store.states == {} and hub.notifier.published == []
    assert sum(hub.sagemaker.calls.values()) == 0, "the hub's own SageMaker was never asked"


def test_an_unregistered_sender_is_acknowledged_and_nothing_is_read(hub):
    item = parse_message(event_from(UNREGISTERED, "churn"))
    assert hub.run(item) is Outcome.UNREGISTERED_SOURCE
    assert hub.metrics.counts[MESSAGES_FROM_UNREGISTERED_SOURCES] == 1
    assert hub.spokes.asked == [] and sum(hub.sagemaker.calls.values()) == 0


def test_a_spoke_child_job_is_resolved_in_the_spoke_and_linked_there(hub):
    spoke = hub.spokes.sagemaker[TEAM_A]
    spoke.put_job(spoke_answer(TEAM_A, name="churn", status="InProgress", secondary="TrainingModels"))
    spoke.child_links[(ChildKind.TRAINING, "churnTA-001-abc")] = (
        "arn:aws:sagemaker:eu-west-1:111122223333:automl-job/churn"
    )
    event = ChildJobEvent(
        ChildKind.TRAINING, "churnTA-001-abc", "InProgress", stated_source=(TEAM_A.account_id, TEAM_A.region)
    )
    assert hub.run(event) is Outcome.ARCHIVED
    assert "111122223333.eu-west-1.churn" in hub.store.states
    assert (ChildKind.TRAINING, "111122223333.eu-west-1.churntA-001-abc".lower()) in hub.store.links
    # The hub's own SageMaker never heard of the spoke's child job
    assert hub.sagemaker.calls["describe_training"] == 0


def test_a_reference_for_a_spoke_round_trips_its_source(hub):
    body = json.dumps(reference_body("churn", "sweep", source=TEAM_A))
    item = parse_message(body)
    assert isinstance(item, JobReference) and item.stated_source == (TEAM_A.account_id, TEAM_A.region)
    hub.spokes.sagemaker[TEAM_A].put_job(spoke_answer(TEAM_A, name="churn"))
    assert hub.run(item) is Outcome.ARCHIVED and "111122223333.eu-west-1.churn" in hub.store.states


# --- the sweep ------------------------------------------------------------------------------------


def test_the_sweep_covers_the_hub_and_every_spoke_with_a_watermark_each(hub):
    hub.sagemaker.put_job(v1_answer(name="churn"))
    hub.spokes.sagemaker[TEAM_A].put_job(spoke_answer(TEAM_A, name="churn"))
    hub.spokes.sagemaker[TEAM_A_US].put_job(spoke_answer(TEAM_A_US, name="fraud"))
    report = hub.sweep().run()
    assert report.complete and report.failed_spokes == () and report.listed == 3
    sent = sorted(
        (body.get("Account", ""), body.get("Region", ""), body["AutoMLJobName"]) for body, _ in hub.queue.sent
    )
    assert sent == [
        ("", "", "churn"),
        ("111122223333", "eu-west-1", "churn"),
        ("111122223333", "us-east-1", "fraud"),
    ]
    assert set(hub.store.watermarks) == {"sweep", "sweep#111122223333.eu-west-1", "sweep#111122223333.us-east-1"}


def test_a_broken_spoke_holds_up_neither_the_hub_nor_the_other_spokes(hub):
    hub.sagemaker.put_job(v1_answer(name="churn"))
    hub.spokes.sagemaker[TEAM_A_US].put_job(spoke_answer(TEAM_A_US, name="fraud"))
    hub.spokes.broken.add(TEAM_A)  # its reader role was deleted
    report = hub.sweep().run()
    assert report.failed_spokes == (str(TEAM_A),) and not report.complete
    assert hub.metrics.counts[SWEEP_SPOKE_FAILURES] == 1
    assert sorted(body["AutoMLJobName"] for body, _ in hub.queue.sent) == ["churn", "fraud"]
    # The broken spoke keeps no watermark, so its next pass looks back as far as it must
    assert "sweep#111122223333.eu-west-1" not in hub.store.watermarks
    assert "sweep#111122223333.us-east-1" in hub.store.watermarks


def test_a_spoke_that_failed_is_forgotten_so_its_role_is_assumed_again(hub):
    # Given a spoke whose reader role was deleted (and may be restored before the next pass)
    hub.spokes.broken.add(TEAM_A)
    # When the sweep fails on it and the archiver fails a record of it
    hub.sweep().run()
    with pytest.raises(PermissionError):
        hub.run(parse_message(event_from(TEAM_A, "churn")))
    # Then both dropped its session each time: the next call assumes the role afresh
    assert hub.spokes.forgotten == [TEAM_A, TEAM_A]
    # And a spoke that works, or the hub's own job, is never forgotten
    hub.spokes.sagemaker[TEAM_A_US].put_job(spoke_answer(TEAM_A_US, name="fraud"))
    assert hub.run(parse_message(event_from(TEAM_A_US, "fraud"))) is Outcome.ARCHIVED
    assert hub.spokes.forgotten == [TEAM_A, TEAM_A]


def test_due_alerts_of_spoke_jobs_are_handed_over_with_their_source(hub):
    hub.spokes.sagemaker[TEAM_A].put_job(spoke_answer(TEAM_A, name="churn", status="Failed", secondary="Failed"))
    hub.notifier.fail_next.append(RuntimeError("SNS down"))
    with pytest.raises(RuntimeError):
        hub.run(parse_message(event_from(TEAM_A, "churn")))
    hub.sweep().run()
    due = [body for body, _ in hub.queue.sent if body["Origin"] == "alert-due"]
    assert due == [{"AutoMLJobName": "churn", "Origin": "alert-due", "Account": "111122223333", "Region": "eu-west-1"}]
    # Handed back to the archiver once the failed attempt's claim lapsed, the alert goes out
    hub.now = NOW + timedelta(minutes=5)
    assert hub.run(parse_message(json.dumps(due[0])), "m-2") is Outcome.ALERT_FINISHED
    assert [alert["attributes"]["account_id"] for alert in hub.notifier.published] == ["111122223333"]


def test_an_event_without_its_senders_account_is_the_hubs_own_and_a_malformed_one_is_rejected():
    # EventBridge always stamps both; moto's rule delivery leaves `account` out
    event = json.loads(event_from(TEAM_A, "churn"))
    del event["account"]
    assert parse_message(json.dumps(event)).stated_source is None
    event["account"] = 111122223333
    with pytest.raises(MalformedMessage, match="envelope"):
        parse_message(json.dumps(event))
