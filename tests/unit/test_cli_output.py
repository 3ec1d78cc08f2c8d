"""What the command prints besides results: the rich progress bar on stderr and the `status` tables."""

from __future__ import annotations

import io

from rich.console import Console

from automl_archive_cli.commands import ArchivedJob, ArchiveStatus, SourceSweep, status_renderables
from automl_archive_cli.console import Progress
from automl_archive_cli.dead_letter_queues import QueueDepth


def test_the_progress_bar_draws_only_on_a_terminal():
    # Given stderr that is a terminal (rich forced to treat the buffer as one)
    buffer = io.StringIO()
    progress = Progress(enabled=True, console=Console(file=buffer, force_terminal=True, width=150))
    # When a run of 10 jobs advances by 3
    progress.start("enqueueing", 10)
    progress.advance(3)
    progress.close()
    # Then the bar shows the label and done/total
    assert "enqueueing" in buffer.getvalue() and "3/10" in buffer.getvalue()
    # And stderr that is not a terminal (here pytest's capture) gets no bar at all
    assert Progress.for_stderr(disabled=False).enabled is False


def test_status_shows_each_sources_sweep_so_a_spoke_falling_behind_is_seen():
    depth = QueueDepth(visible=0, in_flight=0, delayed=0)
    status = ArchiveStatus(
        jobs_by_status={},
        newest=[],
        jobs_by_location={},
        work_queue=depth,
        dead_letter_queue=depth,
        dead_letter_queues={"work queue DLQ": depth},
        sweeps=(
            SourceSweep("hub", "us-east-1", "", "2026-11-20T10:00:00+00:00", 60),
            SourceSweep("111122223333", "eu-west-1", "team-a", "2026-11-20T08:00:00+00:00", 7260),
            SourceSweep("444455556666", "eu-west-1", "", None, None),
        ),
    )
    out = Console(file=io.StringIO(), width=100, color_system=None)
    for renderable in status_renderables(status):
        out.print(renderable)
    lines = out.file.getvalue().splitlines()
    assert any(
        line.split() == ["111122223333/eu-west-1", "team-a", "2026-11-20T08:00:00+00:00", "121", "min"]
        for line in lines
    )
    assert any(line.split() == ["444455556666/eu-west-1", "-", "never"] for line in lines)
    assert status.as_json()["sweeps"][1] == {
        "account_id": "111122223333",
        "region": "eu-west-1",
        "alias": "team-a",
        "watermark": "2026-11-20T08:00:00+00:00",
        "age_seconds": 7260,
    }


def test_status_prints_rich_tables_of_statuses_jobs_and_queues():
    depth = QueueDepth(visible=2, in_flight=1, delayed=0)
    status = ArchiveStatus(
        jobs_by_status={"Completed": 3, "Failed": 1},
        newest=[ArchivedJob("churn-model-with-a-long-name", "Completed", "2026-11-20T10:00:00.000000+00:00")],
        jobs_by_location={("123456789012", "eu-west-1"): 3, ("210987654321", "us-east-1"): 1},
        work_queue=depth,
        dead_letter_queue=depth,
        dead_letter_queues={"work queue DLQ": depth, "ChildJobStateChangeRule DLQ": depth},
    )
    out = Console(file=io.StringIO(), width=80, color_system=None)
    for renderable in status_renderables(status):
        out.print(renderable)
    lines = out.file.getvalue().splitlines()
    assert lines[0] == "Archived jobs: 4"
    assert any(line.split() == ["Completed", "3"] for line in lines)
    assert any(line.split() == ["210987654321", "us-east-1", "1"] for line in lines)
    assert any(
        line.split() == ["churn-model-with-a-long-name", "Completed", "2026-11-20T10:00:00.000000+00:00"]
        for line in lines
    )
    assert any(line.split() == ["ChildJobStateChangeRule", "DLQ", "2", "1", "0", "3"] for line in lines)
