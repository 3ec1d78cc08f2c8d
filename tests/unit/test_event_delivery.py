"""The AutoML Job State Change event (logic/event_delivery.py): one per newly archived state, after the
alert, in state order, never lost to a failing bus and never holding up the archive or the alert."""

from __future__ import annotations

from datetime import timedelta

import pytest

from automl_archive.composition import assemble_archiver
from automl_archive.contracts.job_table import PENDING_EVENTS_LIMIT
from automl_archive.contracts.metric_names import (
    STATE_CHANGE_EVENTS_DROPPED,
    STATE_CHANGE_EVENTS_FAILED,
    STATE_CHANGE_EVENTS_PUBLISHED,
)
from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.dal.interfaces import EventNotAccepted, StateChangeEvent
from automl_archive.logic.archive import Outcome
from automl_archive.logic.event_delivery import MAX_EVENTS_PER_RECORD, EventsStillDue
from automl_archive.models.messages import BACKFILL_ORIGIN, EVENT_DUE_ORIGIN, JobReference
from devtools.answers import CREATED, v1_answer
from tests.unit.test_archive import World, ref

RUNNING = v1_answer(name="churn", status="InProgress", secondary="AnalyzingData", minutes=10)
TUNING = v1_answer(name="churn", status="InProgress", secondary="ModelTuning", minutes=20)
FAILED = v1_answer(name="churn", status="Failed", secondary="Failed", minutes=30)


@pytest.fixture
def world() -> World:
    world = World()
    world.now = CREATED + timedelta(hours=1)  # the states happened minutes ago: news, not history
    return world


def play(world: World, *answers: dict, message: str = "m") -> None:
    for index, answer in enumerate(answers):
        world.sagemaker.put_job(answer)
        world.run(ref("churn"), f"{message}-{index}")


def test_each_newly_archived_state_publishes_one_event_naming_the_status_it_came_from(world):
    play(world, RUNNING, TUNING, FAILED)
    details = [event.detail for event in world.bus.accepted]
    assert [d["secondary_status"] for d in details] == ["AnalyzingData", "ModelTuning", "Failed"]
    assert [d["previous_status"] for d in details] == [None, "InProgress", "InProgress"]
    assert [event.job_arn for event in world.bus.accepted] == [FAILED["AutoMLJobArn"]] * 3
    assert details[-1]["raw_answer_uri"].startswith("s3://archive/raw/automl-jobs/churn/")
    assert not any(d["historical"] for d in details)
    assert world.metrics.counts[STATE_CHANGE_EVENTS_PUBLISHED] == 3
    assert world.store.states["churn"]["pending_events"] == {} and "event_due" not in world.store.states["churn"]


def test_a_duplicate_a_stale_or_a_replayed_state_publishes_nothing(world):
    play(world, RUNNING, TUNING)
    # When SageMaker answers the same state again, an older one, and a message is replayed
    play(world, TUNING, RUNNING, message="again")
    world.sagemaker.put_job(TUNING)
    world.run(ref("churn"), "again-0")
    # Then only the two archived states published
    assert [event.detail["secondary_status"] for event in world.bus.accepted] == ["AnalyzingData", "ModelTuning"]


def test_a_refusing_bus_holds_up_neither_the_archive_nor_the_alert_and_the_retry_publishes_in_order(world):
    # Given a bus that refuses the next puts (failed entries past the DAL's own attempts)
    play(world, RUNNING)
    world.bus.refuse_next = 2
    world.sagemaker.put_job(TUNING)
    # When the next state is archived: it is, but the record fails so the queue retries it
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-1")
    assert world.store.states["churn"]["secondary_status"] == "ModelTuning"
    # And when the job fails meanwhile and a later record archives it while the bus still refuses
    world.sagemaker.put_job(FAILED)
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-2")
    # Then the failure is archived and alerted all the same, and both events are still due, in order
    assert world.store.states["churn"]["status"] == "Failed"
    assert [a["subject"] for a in world.notifier.published] == ["AutoML job churn failed in 123456789012 us-east-1"]
    pending = sorted(world.store.states["churn"]["pending_events"].values(), key=lambda e: e.ordering)
    assert [e.detail["secondary_status"] for e in pending] == ["ModelTuning", "Failed"]
    assert world.metrics.counts[STATE_CHANGE_EVENTS_FAILED] == 2
    # When the queue retries the record (the bus is back): the oldest goes first, nothing is described
    describes = world.describes
    assert world.run(ref("churn"), "m-2") is Outcome.ALREADY_FINAL
    assert [e.detail["secondary_status"] for e in world.bus.accepted] == ["AnalyzingData", "ModelTuning", "Failed"]
    assert world.describes == describes
    assert "event_due" not in world.store.states["churn"]
    # And the alert was not repeated
    assert len(world.notifier.published) == 1


def test_an_event_put_whose_removal_failed_is_not_put_again_by_the_same_container(world):
    world.store.fail_next_event_removal.append(TimeoutError("dynamodb"))
    world.sagemaker.put_job(RUNNING)
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-1")
    world.run(ref("churn"), "m-1")  # the queue's retry, in the same warm container
    assert len(world.bus.accepted) == 1
    assert world.store.states["churn"]["pending_events"] == {}
    # (a new container would put it again: at least once, deduplicated by state_id; docs/events.md)
    fresh = world.new_archiver()
    world.store.states["churn"]["pending_events"] = {1: world.bus.accepted[0]}
    world.store.states["churn"]["event_due"] = "DUE"
    world.archiver = fresh
    world.run(ref("churn"), "m-2")
    assert world.bus.state_ids() == [world.bus.accepted[0].state_id] * 2


def test_history_is_published_as_historical(world):
    # A backfill's state, and a state SageMaker recorded over a day before the archive learned of it
    world.sagemaker.put_job(RUNNING)
    world.run(JobReference(job_name="churn", origin=BACKFILL_ORIGIN), "m-1")
    world.now += timedelta(days=2)
    world.sagemaker.put_job(TUNING)
    world.run(ref("churn"), "m-2")
    assert [event.detail["historical"] for event in world.bus.accepted] == [True, True]


def test_past_the_limit_of_events_due_a_states_event_is_dropped_loudly_and_the_state_archived(world):
    world.sagemaker.put_job(RUNNING)
    world.run(ref("churn"), "m-1")
    stuck = {n: StateChangeEvent(n, "arn", {"state_id": f"s-{n}"}) for n in range(PENDING_EVENTS_LIMIT)}
    world.store.states["churn"]["pending_events"] = dict(stuck)
    world.bus.fail_next.append(TimeoutError("events"))
    world.sagemaker.put_job(TUNING)
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-2")
    assert world.store.states["churn"]["secondary_status"] == "ModelTuning"
    assert len(world.store.states["churn"]["pending_events"]) == PENDING_EVENTS_LIMIT
    assert world.metrics.counts[STATE_CHANGE_EVENTS_DROPPED] == 1


def test_without_a_bus_no_event_is_kept_and_those_left_from_before_are_discarded(world):
    # Given events turned off (the settings name no bus) while one was still due
    world.sagemaker.put_job(RUNNING)
    world.bus.fail_next.append(TimeoutError("events"))
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-1")
    world.archiver = assemble_archiver(
        ArchiverSettings("jobs", "archive", "topic"),
        sagemaker=world.sagemaker,
        store=world.store,
        archive=world.archive,
        notifier=world.notifier,
        metrics=world.metrics,
        clock=lambda: world.now,
    )
    # When the job moves on
    play(world, TUNING)
    # Then nothing was put, nothing is kept, and the job is off the index of events due
    assert world.bus.accepted == []
    assert world.store.states["churn"]["pending_events"] == {}
    assert "event_due" not in world.store.states["churn"]


def test_a_bus_refusal_is_reported_with_its_code(world):
    world.bus.fail_next.append(EventNotAccepted("MalformedDetail", "Detail is malformed."))
    world.sagemaker.put_job(RUNNING)
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-1")
    assert world.metrics.counts[STATE_CHANGE_EVENTS_FAILED] == 1


def test_a_sweep_hand_over_is_not_failed_when_the_bus_still_refuses(world):
    # Given an event left due by a bus outage
    world.sagemaker.put_job(RUNNING)
    world.bus.fail_next.append(TimeoutError("events"))
    with pytest.raises(EventsStillDue):
        world.run(ref("churn"), "m-1")
    # When the minute pass hands the job over while the bus still refuses
    world.bus.fail_next.append(TimeoutError("events"))
    hand_over = JobReference(job_name="churn", origin=EVENT_DUE_ORIGIN)
    # Then the hand-over is acknowledged (the next pass hands over again: no retries pile up in the queue)
    assert world.run(hand_over, "m-2") is Outcome.UNCHANGED
    assert world.store.states["churn"]["event_due"] == "DUE"
    # And once the bus is back, the next hand-over publishes it
    world.run(hand_over, "m-3")
    assert len(world.bus.accepted) == 1 and "event_due" not in world.store.states["churn"]


def test_one_record_puts_a_bounded_share_of_a_long_backlog_oldest_first(world):
    # Given a job with many events due (an outage spanning many of its states)
    world.sagemaker.put_job(RUNNING)
    world.run(ref("churn"), "m-1")
    backlog = {n: StateChangeEvent(n, "arn", {"state_id": f"s-{n:03d}"}) for n in range(1, 26)}
    world.store.states["churn"]["pending_events"] = dict(backlog)
    world.store.states["churn"]["event_due"] = "DUE"
    # When a record of the job runs, then two hand-overs
    for records in (1, 2, 3):
        world.run(JobReference(job_name="churn", origin=EVENT_DUE_ORIGIN), f"m-{records + 1}")
        assert len(world.bus.accepted) == 1 + min(25, MAX_EVENTS_PER_RECORD * records)
    # Then each put at most its share, in order, and nothing is left due
    assert world.bus.state_ids()[1:] == [f"s-{n:03d}" for n in range(1, 26)]
    assert "event_due" not in world.store.states["churn"]


def test_the_state_change_event_goes_out_after_the_alert_even_on_a_retry(world):
    # Given a failure whose alert failed (SNS down), its event still due
    calls: list[str] = []
    world.notifier.fail_next.append(TimeoutError("sns"))
    world.sagemaker.put_job(FAILED)
    with pytest.raises(TimeoutError):
        world.run(ref("churn"), "m-1")
    publish, put = world.notifier.publish, world.bus.put
    world.notifier.publish = lambda *a: calls.append("alert") or publish(*a)  # type: ignore[method-assign]
    world.bus.put = lambda e: calls.append("event") or put(e)  # type: ignore[method-assign]
    # When the queue retries the record
    world.now += timedelta(minutes=5)  # past the claim's lease
    world.run(ref("churn"), "m-1")
    # Then the alert went out first, then the event
    assert calls == ["alert", "event"]
