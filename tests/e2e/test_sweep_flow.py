"""The reconcile sweep on the deployed stack: jobs no event announced are archived after one sweep."""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest


def _describes(archive) -> int:
    return archive.simulator.calls["DescribeAutoMLJob"] + archive.simulator.calls["DescribeAutoMLJobV2"]


def test_a_job_that_never_produced_an_event_is_archived_after_one_sweep(archive):
    # Given a V1 job that ran to completion and a V2 job that failed, with none of their events delivered
    simulator = archive.simulator
    simulator.create_job("silent-v1", api="v1")
    simulator.run_to_completion("silent-v1")
    simulator.create_job("silent-v2", api="v2")
    simulator.analyze_data("silent-v2")
    simulator.fail("silent-v2")
    assert archive.status_of("silent-v1") is None
    # When one sweep runs and the queue is drained
    result = archive.sweep.invoke()
    archive.run_until_idle()
    archive.inbox.read()
    # Then both are archived at their final state, and the failure alerted once
    assert result["complete"] is True
    assert result["enqueued"] >= 2
    assert archive.status_of("silent-v1") == "Completed"
    assert archive.status_of("silent-v2") == "Failed"
    assert [a.subject for a in archive.inbox.received if "silent-v2" in a.subject] == [
        "AutoML job silent-v2 failed in 123456789012 us-east-1"
    ]


def test_a_sweep_of_a_quiet_account_costs_no_describe(archive):
    # Given an archive that is current
    archive.sweep.invoke()
    archive.run_until_idle()
    describes = _describes(archive)
    depth = archive.queue_depth("WorkQueueUrl")
    # When the sweep runs again with nothing changed
    result = archive.sweep.invoke()
    # Then it enqueues nothing and SageMaker is only listed, never described
    assert result["enqueued"] == 0
    assert archive.queue_depth("WorkQueueUrl") == depth == 0
    assert _describes(archive) == describes


def test_scheduled_sweeps_run_on_simulated_time_and_catch_a_job_that_finishes_silently(archive):
    # Given a running job archived InProgress, whose later progress emits no event
    simulator = archive.simulator
    simulator.create_job("late-finisher", api="v1")
    archive.put([simulator.creation_event("late-finisher")])
    archive.pipeline.drain()
    assert archive.status_of("late-finisher") == "InProgress"
    # When it completes with no event and one sweep interval of simulated time passes
    simulator.run_to_completion("late-finisher")
    runs_before = archive.sweep.invocations
    archive.pipeline.advance(archive.sweep.interval_seconds)
    archive.pipeline.drain()
    # Then the one scheduled sweep brought the archive to Completed (nothing else follows a running job)
    assert archive.sweep.invocations == runs_before + 1
    assert archive.status_of("late-finisher") == "Completed"


def test_two_overlapping_sweeps_archive_each_job_once_and_alert_once(archive, monkeypatch):
    # Given jobs no event announced, and a sweep that has run once (its clients exist)
    simulator = archive.simulator
    archive.sweep.invoke()
    archive.run_until_idle()
    simulator.create_job("overlap-ok", api="v2")
    simulator.run_to_completion("overlap-ok")
    simulator.create_job("overlap-fails", api="v1")
    simulator.analyze_data("overlap-fails")
    simulator.fail("overlap-fails")
    archive.inbox.read()
    versions_before = set(archive.object_versions())
    # And two runs held so that both have listed and enqueued before either moves the watermark
    # (without reserved concurrency, EventBridge may start a sweep while the last one still runs)
    sweep = sys.modules["automl_archive.handlers.sweep"].sweep()
    both_listed = threading.Barrier(2, timeout=30)
    advance = sweep._store.advance_watermark

    def advance_after_the_other_run(name, value, **options):
        both_listed.wait()
        return advance(name, value, **options)

    monkeypatch.setattr(sweep._store, "advance_watermark", advance_after_the_other_run)
    # When both run at once and the queue is drained
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: archive.sweep.invoke(), range(2)))
    # (the watermark holds the later of the two starts: it never moves back)
    stored = sweep._store.get_watermark("sweep")
    monkeypatch.undo()  # the scheduled sweeps that follow run unheld
    archive.run_until_idle()
    archive.inbox.read()
    # Then both passes completed, each enqueued the jobs, and each job was archived once and alerted once
    assert [r["complete"] for r in results] == [True, True]
    assert all(r["enqueued"] >= 2 for r in results)
    assert archive.status_of("overlap-ok") == "Completed"
    assert archive.status_of("overlap-fails") == "Failed"
    new_keys = [key for key, _ in set(archive.object_versions()) - versions_before]
    assert len(new_keys) == len(set(new_keys)), "an S3 object was written twice"
    assert [a.subject for a in archive.inbox.received if "overlap-fails" in a.subject] == [
        "AutoML job overlap-fails failed in 123456789012 us-east-1"
    ]
    # And the watermark held the later of the two starts (it never moves back)
    assert stored == max(datetime.fromisoformat(r["watermark"]) for r in results)


@pytest.mark.parametrize("value", [1e-200, 1e200])
def test_a_metric_dynamodb_cannot_hold_is_archived_exactly_and_summarised_as_text(archive, value):
    # Given a finished job whose objective metric DynamoDB rejects (the emulator rejects it as DynamoDB
    # does; the old archiver failed the record until the DLQ)
    simulator = archive.simulator
    name = f"tiny-metric-{'small' if value < 1 else 'large'}"
    simulator.create_job(name, api="v1")
    simulator.run_to_completion(name)
    for candidate in simulator.jobs[name].candidates:
        candidate.objective_value = value
    # When the sweep finds it and the queue drains
    archive.sweep.invoke()
    archive.run_until_idle()
    # Then the state is archived: DynamoDB keeps null plus the text, the S3 record the exact value
    item = archive.job_states()[f"JOB#{name}"]
    assert item["status"]["S"] == "Completed"
    assert "best_objective_metric_value" not in item
    assert item["best_objective_metric_value_text"]["S"] == repr(value)
    s3 = archive.aws.client("s3")
    body = s3.get_object(Bucket=archive.stack.output("ArchiveBucketName"), Key=item["record_s3_key"]["S"])["Body"]
    assert json.loads(body.read())["best_objective_metric_value"] == value
    assert archive.queue_depth("DeadLetterQueueUrl") == 0


def test_a_job_that_fails_long_after_its_last_event_alerts_within_two_minutes(archive):
    # Given a job that has run for 40 simulated minutes since its only event, with the sweep on its
    # deployed schedule
    simulator = archive.simulator
    archive.inbox.read()
    name = "quiet-then-fails"
    simulator.create_job(name, api="v2")
    archive.put([simulator.creation_event(name)])
    archive.pipeline.drain()
    for _ in range(40 * 6):
        archive.pipeline.advance(10)
        archive.pipeline.drain()
    # When it fails in AnalyzingData, before any child job: no event at all
    simulator.analyze_data(name)
    simulator.fail(name)
    failed_at = simulator.jobs[name].last_modified_time
    alerted_at = None
    for _ in range(30 * 6):
        archive.pipeline.advance(10)
        archive.pipeline.drain()
        if any(name in alert.subject for alert in archive.inbox.read()):
            alerted_at = simulator.clock.now()
            break
    # Then the failure is archived and alerted within two minutes of SageMaker recording it
    assert alerted_at is not None, "no alert within 30 simulated minutes"
    print(f"alert {(alerted_at - failed_at).total_seconds():.0f} s after the failure")
    assert alerted_at - failed_at <= timedelta(seconds=120), alerted_at - failed_at
    assert archive.status_of(name) == "Failed"


def test_a_burst_of_twenty_jobs_finishing_in_one_minute_is_archived_within_two_minutes(archive):
    # Given 20 running jobs archived InProgress, with the sweep on its deployed schedule
    simulator = archive.simulator
    names = [f"burst-{index:02d}" for index in range(20)]
    for index, name in enumerate(names):
        simulator.create_job(name, api="v1" if index % 2 else "v2")
        for phase in (simulator.analyze_data, simulator.engineer_features, simulator.tune_models):
            phase(name)  # their child-job events are not delivered
    archive.put([simulator.creation_event(name) for name in names])
    archive.pipeline.drain()
    for _ in range(30 * 6):  # half an hour of running
        archive.pipeline.advance(10)
        archive.pipeline.drain()
    # When all 20 finish within one minute, with no event (each a few seconds after the last)
    finished_at = {}
    for name in names:
        simulator.finish_tuning(name, explainability=False)
        simulator.complete(name)
        finished_at[name] = simulator.jobs[name].last_modified_time
        archive.pipeline.advance(3)
    archive_time = {}
    for _ in range(5 * 6):
        archive.pipeline.advance(10)
        archive.pipeline.drain()
        for name in names:
            if name not in archive_time and archive.status_of(name) == "Completed":
                archive_time[name] = simulator.clock.now()
    # Then every one is archived Completed within two minutes of finishing
    assert sorted(archive_time) == names
    lags = sorted((archive_time[name] - finished_at[name]).total_seconds() for name in names)
    print(f"burst lags: max {lags[-1]:.0f} s, median {lags[len(lags) // 2]:.0f} s")
    assert lags[-1] <= 120, lags
