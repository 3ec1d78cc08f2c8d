"""The backfill's checkpoint journal and how a backfill uses it to skip work on a rerun."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from automl_archive.logic.state import ordering_key
from automl_archive_cli.backfill import Backfill, BackfillFilters
from automl_archive_cli.checkpoint import Checkpoint, checkpoint_path
from automl_archive_cli.console import Progress
from automl_archive_cli.errors import CliError

IDENTITY = {"stack": "S", "region": "eu-west-1", "filters": {"since": None}, "mode": "enqueue"}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def summary(name, status="Completed", minutes=0):
    moment = T0 + timedelta(minutes=minutes)
    return {"AutoMLJobName": name, "AutoMLJobStatus": status, "CreationTime": T0, "LastModifiedTime": moment}


class ListingOnly:
    """SageMaker as a backfill's planning phase sees it: pages of summaries."""

    def __init__(self, summaries, page_size=3):
        self.summaries = summaries
        self.page_size = page_size

    def job_summary_pages(self, **filters):
        for start in range(0, len(self.summaries), self.page_size):
            yield self.summaries[start : start + self.page_size]


class Orderings:
    def __init__(self, stored=None):
        self.stored = dict(stored or {})

    def stored_orderings(self, job_keys):
        return {key: self.stored[key] for key in job_keys if key in self.stored}


class RecordingQueue:
    def __init__(self, interrupt_after=None):
        self.sent = []
        self.interrupt_after = interrupt_after

    def send_batch(self, bodies):
        if self.interrupt_after is not None and len(self.sent) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.sent.extend(bodies)


def backfill(sagemaker, store, checkpoint, queue):
    return Backfill(
        sagemaker=sagemaker,
        store=store,
        checkpoint=checkpoint,
        filters=BackfillFilters(),
        progress=Progress(enabled=False),
        queue=queue,
        errors=io.StringIO(),
    )


def test_recorded_jobs_survive_a_reload(tmp_path):
    # Given a checkpoint with two jobs recorded
    path = tmp_path / "cp.jsonl"
    checkpoint = Checkpoint.load(path, IDENTITY)
    checkpoint.record([("Job-A", 10), ("job-b", 20)])
    checkpoint.close()
    # When it is loaded again
    reloaded = Checkpoint.load(path, IDENTITY)
    # Then it covers those jobs (case-insensitively) at their state or an older one, not a newer one
    assert reloaded.covers("job-a", 10)
    assert reloaded.covers("JOB-B", 19)
    assert not reloaded.covers("job-b", 21)
    assert not reloaded.covers("job-c", 1)


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "cp.jsonl"
    checkpoint = Checkpoint.load(path, IDENTITY)
    checkpoint.record([("a", 1)])
    checkpoint.close()
    with path.open("a") as journal:
        journal.write('{"job": "b", "ord')  # the process died mid-write
    assert Checkpoint.load(path, IDENTITY).handed_off == {"a": 1}


def test_a_checkpoint_of_another_backfill_is_refused(tmp_path):
    path = tmp_path / "cp.jsonl"
    checkpoint = Checkpoint.load(path, IDENTITY)
    checkpoint.record([("a", 1)])
    checkpoint.close()
    with pytest.raises(CliError, match="belongs to another backfill"):
        Checkpoint.load(path, {**IDENTITY, "filters": {"since": "2026-01-01"}})


def test_nothing_is_written_until_something_is_recorded(tmp_path):
    path = tmp_path / "sub" / "cp.jsonl"
    checkpoint = Checkpoint.load(path, IDENTITY)
    checkpoint.record([])
    checkpoint.close()
    assert not path.parent.exists()


def test_the_default_path_depends_on_stack_region_and_filters(tmp_path):
    first = checkpoint_path(IDENTITY, tmp_path)
    assert first.parent == tmp_path
    assert first.name.startswith("backfill-S-eu-west-1-")
    assert checkpoint_path(dict(IDENTITY), tmp_path) == first
    assert checkpoint_path({**IDENTITY, "filters": {"since": "x"}}, tmp_path) != first
    assert checkpoint_path({**IDENTITY, "region": "us-east-1"}, tmp_path) != first


def test_an_interrupted_backfill_resumes_without_sending_anything_twice(tmp_path):
    # Given 25 jobs, none archived, and a queue that is interrupted after 10 messages
    summaries = [summary(f"job-{index:02d}") for index in range(25)]
    path = tmp_path / "cp.jsonl"
    first_queue = RecordingQueue(interrupt_after=10)
    first = backfill(ListingOnly(summaries), Orderings(), Checkpoint.load(path, IDENTITY), first_queue)
    # When the first run is interrupted
    with pytest.raises(KeyboardInterrupt):
        first.run()
    # Then the batch that was sent is recorded
    assert len(first_queue.sent) == 10
    assert len(Checkpoint.load(path, IDENTITY).handed_off) == 10
    # When the same backfill runs again
    second_queue = RecordingQueue()
    second = backfill(ListingOnly(summaries), Orderings(), Checkpoint.load(path, IDENTITY), second_queue)
    report = second.run()
    # Then it sends only the rest: every job exactly once over both runs
    names = [body["AutoMLJobName"] for body in first_queue.sent + second_queue.sent]
    assert sorted(names) == sorted(s["AutoMLJobName"] for s in summaries)
    assert all(body["Origin"] == "backfill" for body in second_queue.sent)
    assert (report.listed, report.from_checkpoint, report.handed_off, report.failed) == (25, 10, 15, 0)


def test_archived_jobs_are_skipped_but_a_job_that_moved_on_is_handed_off_again(tmp_path):
    # Given one job archived at its listed state, one archived at an older state, and one in the checkpoint
    archived = summary("archived")
    moved_on = summary("moved-on", minutes=5)
    in_checkpoint = summary("in-checkpoint")
    checkpoint = Checkpoint.load(tmp_path / "cp.jsonl", IDENTITY)
    checkpoint.record([("in-checkpoint", ordering_key("Completed", T0))])
    store = Orderings(
        {
            "archived": ordering_key("Completed", T0),
            "moved-on": ordering_key("InProgress", T0),
        }
    )
    queue = RecordingQueue()
    # When the backfill runs
    report = backfill(ListingOnly([archived, moved_on, in_checkpoint]), store, checkpoint, queue).run()
    # Then only the job whose state moved on is enqueued
    assert [body["AutoMLJobName"] for body in queue.sent] == ["moved-on"]
    assert (report.already_archived, report.from_checkpoint, report.handed_off) == (1, 1, 1)


def test_a_dry_run_sends_and_records_nothing(tmp_path):
    path = tmp_path / "cp.jsonl"
    queue = RecordingQueue()
    report = backfill(ListingOnly([summary("a"), summary("b")]), Orderings(), Checkpoint.load(path, IDENTITY), queue)
    result = report.run(dry_run=True)
    assert queue.sent == []
    assert not path.exists()
    assert (result.listed, result.to_do) == (2, 2)


def test_a_failed_batch_is_counted_and_not_recorded(tmp_path):
    class FailingQueue:
        def send_batch(self, bodies):
            raise RuntimeError("2 messages not sent to the work queue: ['InternalError']")

    path = tmp_path / "cp.jsonl"
    report = backfill(ListingOnly([summary("a"), summary("b")]), Orderings(), Checkpoint.load(path, IDENTITY), None)
    report._queue = FailingQueue()
    result = report.run()
    assert (result.failed, result.handed_off) == (2, 0)
    assert Checkpoint.load(path, IDENTITY).handed_off == {}
    assert "InternalError" in result.failures[0]


def test_checkpoint_lines_are_json(tmp_path):
    path = tmp_path / "cp.jsonl"
    checkpoint = Checkpoint.load(path, IDENTITY)
    checkpoint.record([("a", 7)])
    checkpoint.close()
    header, entry = (json.loads(line) for line in path.read_text().splitlines())
    assert header == {"checkpoint": 1, "identity": IDENTITY}
    assert entry == {"job": "a", "ordering": 7}
