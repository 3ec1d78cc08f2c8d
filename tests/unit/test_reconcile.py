"""The reconcile sweep with fakes: hands off what the archive lacks, stays cheap, guards its watermark."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from automl_archive.logic.reconcile import SWEEP_WATERMARK, ReconcileSweep, SweepPolicy
from automl_archive.models.messages import parse_message
from devtools.answers import v1_answer
from tests.unit.test_archive import World, ref

SWEEP_START = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
POLICY = SweepPolicy(overlap=timedelta(minutes=15), initial_lookback=timedelta(days=30))


def _sweep(world: World, start: datetime = SWEEP_START) -> ReconcileSweep:
    return ReconcileSweep(world.sagemaker, world.store, world.queue, POLICY, clock=lambda: start, metrics=world.metrics)


def test_jobs_missing_or_behind_are_enqueued_and_current_ones_are_not():
    # Given three jobs: one archived at its current state, one archived at an older state, one never seen
    world = World()
    world.sagemaker.put_job(v1_answer(name="current", status="Completed"))
    world.run(ref("current"), "m-1")
    world.sagemaker.put_job(v1_answer(name="behind", status="InProgress", secondary="ModelTuning", minutes=20))
    world.run(ref("behind"), "m-2")
    world.sagemaker.put_job(v1_answer(name="behind", status="Completed", minutes=80))
    world.sagemaker.put_job(v1_answer(name="unseen", status="Failed", secondary="Failed"))
    world.queue.sent.clear()
    describes = world.describes
    # When the sweep runs
    report = _sweep(world).run()
    # Then the two that need work are handed to the queue, without a single describe
    assert sorted(body["AutoMLJobName"] for body, _ in world.queue.sent) == ["behind", "unseen"]
    assert all(body["Origin"] == "sweep" for body, _ in world.queue.sent)
    assert world.describes == describes
    assert (report.listed, report.enqueued, report.complete) == (3, 2, True)


def test_first_sweep_looks_back_and_later_sweeps_start_at_the_watermark_with_overlap():
    world = World()
    _sweep(world).run()
    assert world.sagemaker.list_filters[0] == {"LastModifiedTimeAfter": SWEEP_START - timedelta(days=30, minutes=15)}
    assert world.store.watermarks[SWEEP_WATERMARK] == SWEEP_START
    _sweep(world, SWEEP_START + timedelta(hours=1)).run()
    assert world.sagemaker.list_filters[1] == {"LastModifiedTimeAfter": SWEEP_START - timedelta(minutes=15)}


def test_a_sweep_cut_short_keeps_its_watermark():
    # Given more jobs than one page, and a function about to time out after the first page
    world = World()
    world.sagemaker.page_size = 2
    for index in range(5):
        world.sagemaker.put_job(v1_answer(name=f"job-{index}", status="Completed"))
    # When the sweep runs out of time
    report = _sweep(world).run(out_of_time=lambda: True)
    # Then what it listed was handed off, but the watermark did not move past unlisted jobs
    assert (report.listed, report.enqueued, report.complete) == (2, 2, False)
    assert SWEEP_WATERMARK not in world.store.watermarks


def test_quiet_account_sweep_enqueues_nothing():
    world = World()
    world.sagemaker.put_job(v1_answer(name="done", status="Completed"))
    world.run(ref("done"))
    world.queue.sent.clear()
    report = _sweep(world).run()
    assert report.enqueued == 0
    assert world.queue.sent == []


@pytest.mark.parametrize("stored", ["not a time", "2026-11-20T00:00:00"])  # garbage; no UTC offset
def test_an_invalid_watermark_falls_back_to_the_look_back_and_is_replaced_after_a_complete_pass(stored):
    # Given a watermark corrupted, or edited by hand without its offset
    world = World()
    world.store.watermarks[SWEEP_WATERMARK] = stored
    world.sagemaker.put_job(v1_answer(name="unseen", status="Failed", secondary="Failed"))
    # When the sweep runs
    report = _sweep(world).run()
    # Then it lists as a first pass would (the initial look-back), hands off what the archive lacks,
    # and replaces the watermark once the pass is complete
    assert world.sagemaker.list_filters[0] == {"LastModifiedTimeAfter": SWEEP_START - timedelta(days=30, minutes=15)}
    assert [body["AutoMLJobName"] for body, _ in world.queue.sent] == ["unseen"]
    assert report.complete is True
    assert world.store.watermarks[SWEEP_WATERMARK] == SWEEP_START


def test_an_invalid_watermark_is_kept_until_a_pass_completes():
    # Given a corrupted watermark and a pass cut short
    world = World()
    world.store.watermarks[SWEEP_WATERMARK] = "garbage"
    world.sagemaker.page_size = 1
    for index in range(3):
        world.sagemaker.put_job(v1_answer(name=f"job-{index}", status="Completed"))
    _sweep(world).run(out_of_time=lambda: True)
    # Then nothing moved it: the next pass looks back again
    assert world.store.watermarks[SWEEP_WATERMARK] == "garbage"


def test_the_pass_hands_over_every_alert_still_due_and_the_archiver_sends_it_once():
    # Given a failure archived while SNS was down for longer than the queue's retries (its message
    # dead-lettered), and SNS back
    world = World()
    world.sagemaker.put_job(v1_answer(name="lost-alert", status="Failed", secondary="Failed"))
    world.notifier.fail_next.append(TimeoutError("sns"))
    with pytest.raises(TimeoutError):
        world.run(ref("lost-alert"), "m-1")
    world.queue.sent.clear()
    # When the reconcile pass runs (the job's summary matches the archive: nothing listed is behind)
    _sweep(world).run()
    # Then it hands over the alert still due (and the state's event, which the failure left due too),
    # and the archiver sends them from the store without describing the job again
    ordering = world.store.states["lost-alert"]["ordering"]
    assert [body for body, _ in world.queue.sent] == [
        {"AutoMLJobName": "lost-alert", "Origin": "alert-due"},
        {"AutoMLJobName": "lost-alert", "Origin": "event-due", "ListedOrdering": ordering},
    ]
    describes = world.describes
    world.now += timedelta(seconds=121)  # the failed attempt's claim has expired
    for index, (body, _) in enumerate(world.queue.sent):
        world.archiver.process(parse_message(json.dumps(body)), f"m-{index + 2}", set())
    assert [a["subject"] for a in world.notifier.published] == [
        "AutoML job lost-alert failed in 123456789012 us-east-1"
    ]
    assert world.bus.state_ids("lost-alert") == [world.store.states["lost-alert"]["state_id"]]
    assert world.describes == describes
    # And the next pass has nothing due
    world.queue.sent.clear()
    _sweep(world).run()
    assert world.queue.sent == []
