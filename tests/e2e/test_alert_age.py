"""Alerts are for failures people can still act on (issue 16), through the deployed stack: a failure the
first sweep finds a day after it happened is archived without an alert; a backfill's failures alert
only when the operator asks (`--alerts`)."""

from __future__ import annotations

import automl_archive_cli.main as cli


def backfill(archive, tmp_path, prefix: str, *extra: str) -> int:
    return cli.main(["backfill", "--name-contains", prefix, "--stack-name", archive.stack.stack_name,
                     "--no-progress", "--checkpoint", str(tmp_path / prefix), *extra])  # fmt: skip


def alerted(archive, prefix: str) -> list[str]:
    archive.inbox.read()
    return sorted(a.attributes["job_name"] for a in archive.inbox.received if prefix in (a.subject or ""))


def test_a_failure_found_a_day_late_is_archived_without_an_alert(archive):
    # Given a job that failed while nothing announced it (no event), found by the sweep 25 hours later
    archive.simulator.create_job("age-late-fail")
    archive.simulator.fail("age-late-fail")
    archive.pipeline.advance(25 * 3600)
    archive.sweep.invoke()
    archive.run_until_idle()
    # Then it is archived as Failed, with no alert, none due, and the item says why
    assert archive.status_of("age-late-fail") == "Failed"
    assert alerted(archive, "age-late-") == []
    item = archive.job_states()["JOB#age-late-fail"]
    reason = item["alert_Failed_notification_id"]["S"]
    assert reason.startswith("not-sent: ended ") and reason.endswith("before it was archived (over 24 h)")
    assert "alert_due" not in item


def test_a_backfill_alerts_only_when_the_operator_asks(archive, tmp_path):
    for name in ("age-quiet-fail", "age-asked-fail"):
        archive.simulator.create_job(name)
        archive.simulator.fail(name)
    # When one failed job is backfilled as history and the other with --alerts
    assert backfill(archive, tmp_path, "age-quiet-") == 0
    assert backfill(archive, tmp_path, "age-asked-", "--alerts") == 0
    archive.run_until_idle()
    # Then both are archived, and only the one asked for alerts
    assert archive.status_of("age-quiet-fail") == archive.status_of("age-asked-fail") == "Failed"
    assert alerted(archive, "age-") == ["age-asked-fail"]
