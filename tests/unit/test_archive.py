"""The archiver's rules with in-memory fakes: no regression, one alert, one live re-check chain."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from automl_archive.composition import assemble_archiver
from automl_archive.contracts.job_status import ChildKind, DescribeApi
from automl_archive.contracts.metric_names import ALERTS_NOT_SENT_FOR_HISTORY, ARCHIVE_LAG_SECONDS
from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.dal.interfaces import CandidatesUnavailable, ChildLink
from automl_archive.logic import archive as archive_module
from automl_archive.logic.archive import JobArchiver, Outcome
from automl_archive.models.child_usage import child_usage
from automl_archive.models.messages import ChildJobEvent, JobReference
from devtools.answers import arn, best_candidate, v1_answer, v2_answer
from devtools.chat_notification import chat_notification_errors
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


class World:
    def __init__(self, alert_on: frozenset[str] = frozenset({"Failed"})) -> None:
        self.sagemaker = FakeSageMaker()
        self.store = FakeStore()
        self.archive = FakeArchive()
        self.notifier = FakeNotifier()
        self.bus = FakeEventBus()
        self.queue = FakeQueue()
        self.now = NOW
        self.alert_on = alert_on
        self.metrics = RecordingMetrics()
        self.archiver = self.new_archiver()

    def new_archiver(self) -> JobArchiver:
        """A fresh container: no warm memory, same stored state."""
        return assemble_archiver(
            ArchiverSettings("jobs", "archive", "topic", alert_on=self.alert_on, child_link_ttl_days=1),
            sagemaker=self.sagemaker,
            store=self.store,
            archive=self.archive,
            notifier=self.notifier,
            metrics=self.metrics,
            bus=self.bus,
            clock=lambda: self.now,
            epoch=lambda: int(self.now.timestamp()),
        )

    def run(self, item, message_id: str = "m-1") -> Outcome:
        return self.archiver.process(item, message_id, set())

    @property
    def describes(self) -> int:
        return self.sagemaker.calls[DescribeApi.V1] + self.sagemaker.calls[DescribeApi.V2]


def ref(name: str, origin_override: str = "test", **kwargs) -> JobReference:
    return JobReference(job_name=name, origin=origin_override, **kwargs)


@pytest.fixture
def world() -> World:
    return World()


def test_first_state_is_archived_to_s3_and_dynamodb(world):
    # Given a running V1 job
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="TrainingModels", minutes=30))
    # When a reference to it is processed
    outcome = world.run(ref("churn-v1"))
    # Then the raw answer and the record land under state-derived keys and the state is stored
    assert outcome is Outcome.ARCHIVED
    keys = sorted(world.archive.objects)
    assert keys[0] == "raw/automl-jobs/churn-v1/20261120T093000.250000Z-InProgress-TrainingModels.json"
    assert (
        keys[1] == "records/automl-jobs/dt=2026-11-20/churn-v1--20261120T093000.250000Z-InProgress-TrainingModels.jsonl"
    )
    raw = json.loads(world.archive.objects[keys[0]])
    assert raw["DescribeApi"] == "DescribeAutoMLJob"
    assert raw["Response"]["CreationTime"] == "2026-11-20T09:00:00.250000+00:00"
    line = world.archive.objects[keys[1]].decode()
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["status"] == "InProgress"
    assert world.store.states["churn-v1"]["status"] == "InProgress"


def test_duplicate_state_writes_nothing(world):
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="TrainingModels"))
    world.run(ref("churn-v1"), "m-1")
    puts = world.archive.puts
    # When the same state is described again
    outcome = world.run(ref("churn-v1"), "m-2")
    # Then no object is written twice
    assert outcome is Outcome.UNCHANGED
    assert world.archive.puts == puts


def test_stale_answer_never_regresses_the_stored_state(world):
    # Given the archive already holds a newer running state
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning", minutes=50))
    world.run(ref("churn-v1"), "m-1")
    # When an older answer arrives (a describe that raced, or a replay)
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="AnalyzingData", minutes=10))
    world.run(ref("churn-v1"), "m-2")
    # Then the stored state is still the newer one
    assert world.store.states["churn-v1"]["secondary_status"] == "ModelTuning"


def test_terminal_state_is_final_and_costs_no_describe_afterwards(world):
    world.sagemaker.put_job(v1_answer(status="Completed"))
    world.run(ref("churn-v1"), "m-1")
    before = world.describes
    # When more events for the finished job arrive, in a new container too
    world.archiver = world.new_archiver()
    outcomes = [world.run(ref("churn-v1"), f"m-{i}") for i in range(2, 5)]
    # Then none of them describes the job again
    assert outcomes == [Outcome.ALREADY_FINAL] * 3
    assert world.describes == before


def test_failed_job_alerts_exactly_once_with_readable_message(world):
    # Given a failed job
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed", minutes=75))
    # When its events are processed many times
    for i in range(5):
        world.run(ref("churn-v1"), f"m-{i}")
    # Then exactly one alert was published, saying what happened and where it is archived
    assert len(world.notifier.published) == 1
    alert = world.notifier.published[0]
    assert alert["subject"] == "AutoML job churn-v1 failed in 123456789012 us-east-1"
    assert "ClientError: target attribute" in alert["message"]
    assert "1h 15m 00s" in alert["message"]
    assert "console.aws.amazon.com/sagemaker/home?region=us-east-1#/automl-jobs/churn-v1" in alert["message"]
    assert "s3://archive/raw/automl-jobs/churn-v1/" in alert["message"]
    assert alert["attributes"] == {
        "status": "Failed",
        "alert_category": "Failed",
        "problem_type": "BinaryClassification",
        "job_name": "churn-v1",
        "account_id": "123456789012",
        "region": "us-east-1",
    }
    # And the same publish carries the chat rendering, a valid custom notification
    assert chat_notification_errors(json.loads(alert["chat"])) == []
    assert json.loads(alert["chat"])["content"]["title"] == "AutoML job churn-v1 failed"


def test_publish_failure_is_retried_by_the_same_message_and_alerts_once(world):
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.notifier.fail_next.append(TimeoutError("sns timed out"))
    # When the first attempt fails after the state was written
    with pytest.raises(TimeoutError):
        world.run(ref("churn-v1"), "m-1")
    # And another message for the job arrives while the claim's lease runs
    world.run(ref("churn-v1"), "m-2")
    assert world.notifier.published == []
    # Then the redelivered first message sends the alert, once
    world.run(ref("churn-v1"), "m-1")
    world.run(ref("churn-v1"), "m-3")
    assert len(world.notifier.published) == 1


def test_expired_claim_is_taken_over(world):
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.notifier.fail_next.append(TimeoutError("crash"))
    with pytest.raises(TimeoutError):
        world.run(ref("churn-v1"), "m-1")
    # When the lease expires (the first message went to the DLQ) / Then another message alerts
    world.now += timedelta(seconds=121)
    world.run(ref("churn-v1"), "m-2")
    assert len(world.notifier.published) == 1


def test_stopped_alerts_only_when_configured():
    quiet = World()
    quiet.sagemaker.put_job(v1_answer(status="Stopped", secondary="Stopped"))
    quiet.run(ref("churn-v1"))
    assert quiet.notifier.published == []
    loud = World(alert_on=frozenset({"Failed", "Stopped", "CompletedWithProblems"}))
    loud.sagemaker.put_job(v1_answer(status="Stopped", secondary="Stopped"))
    loud.run(ref("churn-v1"))
    assert loud.notifier.published[0]["subject"] == "AutoML job churn-v1 was stopped in 123456789012 us-east-1"


def test_completed_with_problems_alerts_when_configured():
    world = World(alert_on=frozenset({"CompletedWithProblems"}))
    world.sagemaker.put_job(v1_answer(status="Completed", secondary="ModelDeploymentError"))
    world.run(ref("churn-v1"))
    assert world.notifier.published[0]["attributes"]["alert_category"] == "CompletedWithProblems"


def test_v2_job_costs_one_describe_after_the_first(world):
    world.sagemaker.put_job(v2_answer(status="InProgress", secondary="TrainingModels"), api=DescribeApi.V2)
    # When it is first archived / Then V1 is tried, then V2
    world.run(ref("images-v2"), "m-1")
    assert (world.sagemaker.calls[DescribeApi.V1], world.sagemaker.calls[DescribeApi.V2]) == (1, 1)
    # When archived again, even from a new container / Then only V2 is called
    world.archiver = world.new_archiver()
    world.run(ref("images-v2"), "m-2")
    assert (world.sagemaker.calls[DescribeApi.V1], world.sagemaker.calls[DescribeApi.V2]) == (1, 2)
    assert world.store.states["images-v2"]["describe_api"] == "DescribeAutoMLJobV2"


def test_create_v2_api_call_goes_straight_to_v2(world):
    world.sagemaker.put_job(v2_answer(status="InProgress", secondary="Starting"), api=DescribeApi.V2)
    world.run(ref("images-v2", api_hint=DescribeApi.V2))
    assert (world.sagemaker.calls[DescribeApi.V1], world.sagemaker.calls[DescribeApi.V2]) == (0, 1)


def test_unknown_job_is_acknowledged(world):
    assert world.run(ref("ghost")) is Outcome.JOB_NOT_FOUND
    assert world.archive.objects == {}


def test_child_training_job_resolves_to_its_automl_job(world):
    world.sagemaker.put_job(v1_answer(name="ChurnJob", status="InProgress", secondary="TrainingModels"))
    world.sagemaker.child_links[(ChildKind.TRAINING, "ChurnJob-dpp1-1-ab")] = arn("automl-job", "ChurnJob")
    outcome = world.run(ChildJobEvent(ChildKind.TRAINING, "ChurnJob-dpp1-1-ab", "Completed"))
    assert outcome is Outcome.ARCHIVED
    # the lower-cased ARN did not lose the name's case
    assert world.store.states["churnjob"]["job_name"] == "ChurnJob"


def test_ordinary_training_job_costs_one_describe_ever(world):
    world.sagemaker.child_links[(ChildKind.TRAINING, "my-model-7")] = None
    event = ChildJobEvent(ChildKind.TRAINING, "my-model-7", "InProgress")
    # When its events arrive repeatedly, in this container and in a new one
    assert world.run(event) is Outcome.NOT_AUTOML
    world.run(event)
    world.archiver = world.new_archiver()
    world.run(event)
    # Then SageMaker was asked once
    assert world.sagemaker.calls["describe_training"] == 1
    assert world.store.links[(ChildKind.TRAINING, "my-model-7")] == ChildLink(job_name=None)


def test_a_tuning_job_is_linked_to_the_job_its_training_jobs_name_not_to_its_name_hint(world):
    # Given a 32-character job whose tuning job's name was cut to 30 characters + "TA", and another,
    # existing job whose name is exactly that 30-character prefix (the hint names the wrong job)
    owner = "b" * 32
    impostor = owner[:30]
    world.sagemaker.put_job(v1_answer(name=owner, status="InProgress", secondary="ModelTuning"))
    world.sagemaker.put_job(v1_answer(name=impostor, status="InProgress", secondary="ModelTuning"))
    tuning = impostor + "TA"
    world.sagemaker.tuning_training_jobs[tuning] = f"{tuning}-001-abc"
    world.sagemaker.child_links[(ChildKind.TRAINING, f"{tuning}-001-abc")] = arn("automl-job", owner)
    # When the tuning job's event is processed
    assert world.run(ChildJobEvent(ChildKind.TUNING, tuning, "InProgress")) is Outcome.ARCHIVED
    # Then the training job's AutoMLJobArn decided: the owner is archived and linked, not the impostor
    assert owner in world.store.states
    assert impostor not in world.store.states
    assert world.store.links[(ChildKind.TUNING, tuning.lower())] == ChildLink(job_name=owner)


def test_a_tuning_job_with_no_training_job_yet_is_not_linked_or_cached(world):
    # Given a tuning job whose training jobs have not started (nothing proves its owner yet)
    world.sagemaker.put_job(v1_answer(name="churn", status="InProgress", secondary="ModelTuning"))
    # When its event is processed / Then nothing is archived from a guess, and nothing is cached
    assert world.run(ChildJobEvent(ChildKind.TUNING, "churnTA", "InProgress")) is Outcome.NOT_AUTOML
    assert world.store.states == {}
    assert (ChildKind.TUNING, "churnta") not in world.store.links


def test_tuning_job_with_cut_name_is_proven_through_its_training_job(world):
    # Given a 32-character job whose tuning job name was cut, so the hint names no job
    name = "a" * 32
    world.sagemaker.put_job(v1_answer(name=name, status="InProgress", secondary="ModelTuning"))
    tuning = name[:30] + "TA"
    world.sagemaker.tuning_training_jobs[tuning] = f"{tuning}-001-abc"
    world.sagemaker.child_links[(ChildKind.TRAINING, f"{tuning}-001-abc")] = arn("automl-job", name)
    # When its event is processed / Then its first training job proves the link
    assert world.run(ChildJobEvent(ChildKind.TUNING, tuning, "InProgress")) is Outcome.ARCHIVED
    assert name in world.store.states


def test_second_record_for_same_job_in_a_batch_reuses_the_export(world):
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="TrainingModels"))
    batch: set[str] = set()
    world.archiver.process(ref("churn-v1"), "m-1", batch)
    assert world.archiver.process(ref("churn-v1"), "m-2", batch) is Outcome.SAME_BATCH
    assert world.describes == 1


def test_dynamodb_summary_stays_small_for_the_largest_answer(world):
    big = v1_answer(
        BestCandidate=best_candidate("churn-v1", metrics=40, containers=5),
        PartialFailureReasons=[{"PartialFailureMessage": "x" * 1024}] * 5,
        FailureReason="y" * 1024,
    )
    world.sagemaker.put_job(big)
    world.run(ref("churn-v1"))
    item = world.store.states["churn-v1"]
    assert len(json.dumps(item, default=sorted)) < 16_000
    assert item["raw_s3_key"].startswith("raw/automl-jobs/churn-v1/")


def _training_event(fingerprint: str, status: str = "Completed") -> ChildJobEvent:
    return ChildJobEvent(ChildKind.TRAINING, "churn-v1-dpp1-1-ab", status, fingerprint=fingerprint)


def test_a_duplicate_event_of_a_running_job_costs_no_describe(world):
    # Given a running job and a child event already handled at its stored state
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="FeatureEngineering"))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.run(_training_event("fp-1"), "m-1")
    describes = world.describes
    # When EventBridge delivers copies of it, in this container and another
    outcomes = [world.run(_training_event("fp-1"), "m-2")]
    world.archiver = world.new_archiver()
    outcomes.append(world.run(_training_event("fp-1"), "m-3"))
    # Then no copy describes the job
    assert outcomes == [Outcome.DUPLICATE_EVENT, Outcome.DUPLICATE_EVENT]
    assert world.describes == describes


def test_a_redelivery_of_the_same_message_is_not_a_copy(world):
    # Given a failed job whose alert could not be published on the first attempt
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.notifier.fail_next.append(TimeoutError("sns"))
    with pytest.raises(TimeoutError):
        world.run(_training_event("fp-1"), "m-1")
    # When SQS redelivers the same message / Then it is not skipped as a copy: the alert goes out
    world.run(_training_event("fp-1"), "m-1")
    assert len(world.notifier.published) == 1


def _tuning_event(fingerprint: str, status: str = "InProgress") -> ChildJobEvent:
    return ChildJobEvent(ChildKind.TUNING, "churn-v1TA", status, fingerprint=fingerprint)


def test_a_new_event_at_an_unchanged_state_is_remembered_and_a_new_state_resets_the_memory(world):
    # Given a running job archived by a training job's event (which counts as that kind's probe)
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="FeatureEngineering", minutes=10))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.sagemaker.tuning_training_jobs["churn-v1TA"] = "churn-v1TA-001-ab"
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1TA-001-ab")] = arn("automl-job", "churn-v1")
    assert world.run(_training_event("fp-1"), "m-1") is Outcome.ARCHIVED
    # When an event of another kind finds the job unchanged / Then it is remembered (its copies will be
    # skipped) and its kind has probed this state
    assert world.run(_tuning_event("fp-2"), "m-2") is Outcome.UNCHANGED
    assert world.store.states["churn-v1"]["seen_events"] == {"fp-1|m-1", "fp-2|m-2"}
    assert world.store.states["churn-v1"]["probed_kinds"] == {"training", "tuning"}
    # And further progress of either kind at this state costs no describe
    before = world.describes
    assert world.run(_training_event("fp-3"), "m-3") is Outcome.PROGRESS_ABSORBED
    assert world.run(_tuning_event("fp-4"), "m-4") is Outcome.PROGRESS_ABSORBED
    assert world.describes == before
    # When the job moves on and the reconcile pass hands it over / Then the new state starts unprobed and
    # with no memory of events
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning", minutes=20))
    assert world.run(ref("churn-v1"), "m-5") is Outcome.ARCHIVED
    assert world.store.states["churn-v1"]["seen_events"] == frozenset()
    assert "probed_kinds" not in world.store.states["churn-v1"]
    # And an old event's copy arriving now is described again (the job may have changed since)
    assert world.run(_training_event("fp-1"), "m-6") is Outcome.UNCHANGED


def test_failure_evidence_is_described_even_at_a_probed_state(world):
    # Given a running job whose state a training job's progress already probed
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning", minutes=10))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.run(_training_event("fp-1"), "m-1")
    assert world.store.states["churn-v1"]["probed_kinds"] == {"training"}
    # When the job fails and a training job's failure event arrives / Then it is described and alerted
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed", minutes=30))
    assert world.run(_training_event("fp-3", status="Failed"), "m-3") is Outcome.ARCHIVED
    assert len(world.notifier.published) == 1


def test_a_listed_state_the_archive_already_holds_costs_no_describe(world):
    # Given a running job archived at its current state (an event got there first)
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning", minutes=10))
    world.run(ref("churn-v1"), "m-1")
    held = world.store.states["churn-v1"]["ordering"]
    before = world.describes
    # When the reconcile pass's reference for that very state arrives / Then nothing is described
    assert world.run(ref("churn-v1", listed_ordering=held), "m-2") is Outcome.ALREADY_CURRENT
    assert world.describes == before
    # And a reference listing a newer state is described and archived
    world.sagemaker.put_job(v1_answer(status="Completed", minutes=40))
    assert world.run(ref("churn-v1", listed_ordering=held + 1), "m-3") is Outcome.ARCHIVED


def test_a_copy_first_in_a_redelivered_batch_does_not_swallow_the_alert(world):
    # Given event F carried by messages A and B; A wrote the Failed state but its publish failed
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.notifier.fail_next.append(TimeoutError("sns"))
    with pytest.raises(TimeoutError):
        world.archiver.process(_training_event("F"), "A", set())
    # When both come back in one batch, the copy B first, then A redelivered
    batch: set[str] = set()
    world.archiver.process(_training_event("F"), "B", batch, first_delivery=False)
    world.archiver.process(_training_event("F"), "A", batch, first_delivery=False)
    # Then the alert is sent, once
    assert len(world.notifier.published) == 1


def test_non_finite_metric_values_become_null_and_raw_json_stays_valid(world):
    candidate = best_candidate("churn-v1")
    candidate["FinalAutoMLJobObjectiveMetric"]["Value"] = float("nan")
    world.sagemaker.put_job(v1_answer(status="Completed", BestCandidate=candidate))
    world.run(ref("churn-v1"))
    (record_key,) = [k for k in world.archive.objects if k.startswith("records/automl-jobs/")]
    record = json.loads(world.archive.objects[record_key])
    assert record["best_objective_metric_value"] is None
    (raw_key,) = [k for k in world.archive.objects if k.startswith("raw/")]
    raw = json.loads(world.archive.objects[raw_key], parse_constant=lambda token: pytest.fail(f"bare {token}"))
    assert raw["Response"]["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Value"] == "nan"


@pytest.mark.parametrize(
    "reason",
    ["AccessDeniedException", "ValidationException", "ResourceNotFound", "ThrottlingException", "ReadTimeoutError"],
)
def test_a_leaderboard_sagemaker_will_not_list_does_not_block_the_final_state(world, reason, monkeypatch):
    # Given a failed job whose candidates cannot be listed (denied, unknown, or failing past the SDK's retries)
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))

    def unavailable(name: str) -> list:
        raise CandidatesUnavailable(name, reason)

    monkeypatch.setattr(world.sagemaker, "list_candidates", unavailable)
    warnings: list[dict] = []
    monkeypatch.setattr(archive_module.logger, "warning", lambda msg, extra=None, **_: warnings.append(extra or {}))
    # When the job is archived
    assert world.run(ref("churn-v1")) is Outcome.ARCHIVED
    # Then the state is archived and alerted now, the candidate fields are null and the reason is logged
    assert world.store.states["churn-v1"]["status"] == "Failed"
    assert len(world.notifier.published) == 1
    (record_key,) = [k for k in world.archive.objects if k.startswith("records/automl-jobs/")]
    record = json.loads(world.archive.objects[record_key])
    assert record["candidate_count"] is None and record["best_candidate_rank"] is None
    assert not [k for k in world.archive.objects if k.startswith("records/automl-candidates/")]
    assert {"job_name": "churn-v1", "reason": reason} in warnings


@pytest.fixture
def lag_values(world):
    """The ArchiveLagSeconds values the archiver recorded."""
    return lambda: world.metrics.values.get(ARCHIVE_LAG_SECONDS, [])


def test_each_newly_archived_state_reports_how_late_the_archive_holds_it(world, lag_values):
    # Given a job whose state changed 90 s before the archiver describes it
    answer = v1_answer(status="InProgress", secondary="TrainingModels")
    world.sagemaker.put_job(answer)
    world.now = answer["LastModifiedTime"] + timedelta(seconds=90)
    # When an event names it, and then a copy of the same state arrives
    world.run(ref("churn-v1"))
    world.run(ref("churn-v1"), message_id="m-2")
    # Then one lag value was recorded, for the state that was newly archived
    assert lag_values() == [90.0]


@pytest.mark.parametrize(
    ("origin", "age_seconds"),
    [("backfill", 60), ("event:training", 2 * 86400)],
)
def test_history_reports_no_freshness(world, lag_values, origin, age_seconds):
    # A backfilled state, or one older than a day (a first sweep's look-back), says nothing of freshness
    answer = v1_answer(status="Completed")
    world.sagemaker.put_job(answer)
    world.now = answer["LastModifiedTime"] + timedelta(seconds=age_seconds)
    assert world.run(JobReference(job_name="churn-v1", origin=origin)) is Outcome.ARCHIVED
    assert lag_values() == []


def test_progress_that_happened_by_the_stored_state_costs_no_describe(world):
    # Given a running job archived at a state SageMaker recorded at `recorded`
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning", minutes=20))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    world.run(ref("churn-v1"), "m-1")
    recorded = datetime.fromisoformat(world.store.states["churn-v1"]["last_modified_time"])
    before = world.describes
    # When a child job's progress stamped at that moment arrives (the phase's own first events, or late)
    old_news = dataclasses.replace(_training_event("fp-1"), occurred_at=recorded)
    # Then it costs no describe
    assert world.run(old_news, "m-2") is Outcome.PROGRESS_ABSORBED
    assert world.describes == before
    # And progress stamped after the archive's look at the job (its archiving, here) is described
    news = dataclasses.replace(_training_event("fp-2"), occurred_at=world.now + timedelta(seconds=1))
    assert world.run(news, "m-3") is Outcome.UNCHANGED
    assert world.describes == before + 1


def test_a_later_terminal_state_the_pass_lists_is_archived_and_its_due_alert_sent():
    # Given a job archived Completed (no alert: only CompletedWithProblems alerts here)
    world = World(alert_on=frozenset({"CompletedWithProblems"}))
    world.sagemaker.put_job(v1_answer(status="Completed", minutes=80))
    world.run(ref("churn-v1"), "m-1")
    held = world.store.states["churn-v1"]["ordering"]
    # When SageMaker later reports it still Completed, but with a ModelDeploymentError, and the reconcile
    # pass lists that later state
    world.sagemaker.put_job(v1_answer(status="Completed", secondary="ModelDeploymentError", minutes=95))
    outcome = world.run(ref("churn-v1", listed_ordering=held + 1), "m-2")
    # Then it is described and archived (not skipped as already final), and the alert now due goes out
    assert outcome is Outcome.ARCHIVED
    assert world.store.states["churn-v1"]["secondary_status"] == "ModelDeploymentError"
    assert [a["attributes"]["alert_category"] for a in world.notifier.published] == ["CompletedWithProblems"]
    # And a reference without that evidence (an event) is still answered from the archive
    assert world.run(ref("churn-v1"), "m-3") is Outcome.ALREADY_FINAL


def test_a_lone_surrogate_in_the_failure_reason_blocks_neither_the_state_nor_the_alert(world):
    # Given a failed job whose FailureReason holds a lone UTF-16 surrogate (valid JSON as "\ud83d",
    # not encodable as UTF-8: S3, SNS and DynamoDB would refuse it on every retry)
    reason = "ClientError: bad row \ud83d in the input"
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed", FailureReason=reason))
    # When it is archived
    assert world.run(ref("churn-v1")) is Outcome.ARCHIVED
    # Then the state and the alert carry the text with a replacement character
    assert world.store.states["churn-v1"]["failure_reason"] == "ClientError: bad row \ufffd in the input"
    assert "bad row \ufffd in" in world.notifier.published[0]["message"]
    # And the raw answer keeps the original, escaped
    (raw_key,) = [key for key in world.archive.objects if key.startswith("raw/")]
    body = world.archive.objects[raw_key]
    assert b"\\ud83d" in body
    assert json.loads(body)["Response"]["FailureReason"] == reason


@pytest.mark.parametrize("retry_reads", ["stale InProgress", "not found"])
def test_a_due_alert_is_finished_from_the_store_whatever_the_retry_reads(world, retry_reads):
    # Given a Failed state archived whose alert could not be published (SNS 5xx past the SDK's retries)
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.notifier.fail_next.append(TimeoutError("sns"))
    with pytest.raises(TimeoutError):
        world.run(ref("churn-v1"), "m-1")
    assert world.store.states["churn-v1"]["alert_due"] == "DUE"
    # When the retry would read a briefly stale answer, or a transient not-found
    if retry_reads == "stale InProgress":
        world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning"))
    else:
        world.sagemaker.jobs.clear()
    before = world.describes
    outcome = world.run(ref("churn-v1"), "m-1")
    # Then the alert is sent from the stored state, without a describe, and is no longer due
    assert outcome is Outcome.ALERT_FINISHED
    assert world.describes == before
    assert [a["subject"] for a in world.notifier.published] == ["AutoML job churn-v1 failed in 123456789012 us-east-1"]
    assert "alert_due" not in world.store.states["churn-v1"]
    # And a later message for the job sends nothing more
    assert world.run(ref("churn-v1"), "m-2") is Outcome.ALREADY_FINAL
    assert len(world.notifier.published) == 1


def test_a_state_whose_alert_is_not_due_is_not_marked_due(world):
    # Completed (no alert by default) and a failure whose alert went out are not in the index
    world.sagemaker.put_job(v1_answer(name="done", status="Completed"))
    world.run(ref("done"), "m-1")
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.run(ref("churn-v1"), "m-2")
    assert "alert_due" not in world.store.states["done"]
    assert "alert_due" not in world.store.states["churn-v1"]
    assert len(world.notifier.published) == 1


def test_a_failed_sent_mark_does_not_publish_again_on_the_records_retry(world):
    # Given a failure whose alert is published, but whose "sent" mark fails past the SDK's retries
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.store.fail_next_mark.append(TimeoutError("dynamodb throttled"))
    # When the record is processed / Then it is acknowledged (a retry would publish again)
    assert world.run(ref("churn-v1"), "m-1") is Outcome.ARCHIVED
    assert len(world.notifier.published) == 1
    assert world.store.states["churn-v1"]["alert_due"] == "DUE"
    # When the reconcile pass hands the still-due alert over after the claim's lease, to this container
    world.now += timedelta(seconds=121)
    assert world.run(ref("churn-v1"), "m-2") is Outcome.ALERT_FINISHED
    # Then only the mark is stored: no second alert, nothing due any more
    assert len(world.notifier.published) == 1
    assert "alert_due" not in world.store.states["churn-v1"]


# --- alerts are for failures people can still act on (issue 16) ------------------------------------


def test_a_failure_that_ended_long_before_it_is_archived_settles_without_an_alert(world):
    # Given a job that failed 3 days before the archive first learns of it (a first sweep's look-back)
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.now = NOW + timedelta(days=3)
    # When it is archived, and again later by a duplicate
    assert world.run(ref("churn-v1")) is Outcome.ARCHIVED
    world.run(ref("churn-v1"), "m-2")
    # Then it is archived, never alerted, never due, and the item says why
    assert world.store.states["churn-v1"]["status"] == "Failed"
    assert world.notifier.published == []
    item = world.store.states["churn-v1"]
    assert "alert_due" not in item and item["alert_Failed_notification_id"].startswith("not-sent: ended 73 h")
    assert world.metrics.counts[ALERTS_NOT_SENT_FOR_HISTORY] == 1
    # And a sweep finds no alert still due
    assert world.store.jobs_with_alert_due() == []


def test_a_failure_within_the_age_alerts_as_before():
    world = World()
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.now = NOW + timedelta(hours=21)  # ended at 10:00, archived 23 h later: inside the default 24 h
    world.run(ref("churn-v1"))
    assert len(world.notifier.published) == 1


def test_a_backfilled_failure_alerts_only_when_the_operator_asks(world):
    world.sagemaker.put_job(v1_answer(name="old-fail", status="Failed", secondary="Failed"))
    world.sagemaker.put_job(v1_answer(name="asked-fail", status="Failed", secondary="Failed"))
    assert world.run(ref("old-fail", origin_override="backfill")) is Outcome.ARCHIVED
    assert world.run(ref("asked-fail", origin_override="backfill", alerts=True), "m-2") is Outcome.ARCHIVED
    assert [a["attributes"]["job_name"] for a in world.notifier.published] == ["asked-fail"]
    # A second backfill of the same job sends nothing either
    assert world.run(ref("old-fail", origin_override="backfill"), "m-3") is Outcome.ALREADY_FINAL
    assert len(world.notifier.published) == 1


def test_a_recent_failure_a_backfill_found_first_still_alerts_when_its_live_event_arrives(world):
    # Given a backfill that archived a job minutes after it failed, before the job's own event
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.run(ref("churn-v1", origin_override="backfill"))
    assert world.notifier.published == [] and "alert_Failed_notification_id" not in world.store.states["churn-v1"]
    # When the job's live event arrives
    assert world.run(ref("churn-v1"), "m-2") is Outcome.ALERT_FINISHED
    # Then the failure alerts, once: it is news, whichever path archived it first
    world.run(ref("churn-v1"), "m-3")
    assert len(world.notifier.published) == 1


def test_an_old_failure_backfilled_with_alerts_asked_for_alerts(world):
    world.sagemaker.put_job(v1_answer(status="Failed", secondary="Failed"))
    world.now = NOW + timedelta(days=30)
    world.run(ref("churn-v1", origin_override="backfill", alerts=True))
    assert len(world.notifier.published) == 1


def test_a_finished_child_job_is_archived_once_per_child_whatever_the_copies(world):
    # Given a running job whose training job finished, reported by an event and two copies of it
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning"))
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = arn("automl-job", "churn-v1")
    usage = child_usage(
        ChildKind.TRAINING,
        {
            "TrainingJobName": "churn-v1-dpp1-1-ab",
            "TrainingJobArn": arn("training-job", "churn-v1-dpp1-1-ab"),
            "TrainingJobStatus": "Completed",
            "ResourceConfig": {"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1},
            "TrainingStartTime": "2026-11-20T09:05:00Z",
            "TrainingEndTime": "2026-11-20T09:35:00Z",
        },
    )
    describes_before = world.describes
    for message_id in ("m-1", "m-2", "m-3"):
        world.run(dataclasses.replace(_training_event("fp-1"), child_usage=usage), message_id)
    # Then one child-job row holds what it used, and no describe was spent on it beyond the job's own
    rows = [key for key in world.archive.objects if key.startswith("records/automl-child-jobs/")]
    assert rows == ["records/automl-child-jobs/dt=2026-11-20/churn-v1--churn-v1-dpp1-1-ab.jsonl"]
    row = json.loads(world.archive.objects[rows[0]])
    assert (row["job_name"], row["instance_type"], row["instance_seconds"]) == ("churn-v1", "ml.m5.2xlarge", 1800)
    assert world.describes - describes_before <= 1


def test_a_child_job_of_no_automl_job_writes_no_row(world):
    world.sagemaker.child_links[(ChildKind.TRAINING, "churn-v1-dpp1-1-ab")] = None
    usage = child_usage(ChildKind.TRAINING, {"TrainingJobName": "churn-v1-dpp1-1-ab", "TrainingJobStatus": "Completed"})
    world.run(dataclasses.replace(_training_event("fp-1"), child_usage=usage))
    assert not [key for key in world.archive.objects if key.startswith("records/automl-child-jobs/")]
