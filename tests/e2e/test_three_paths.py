"""One truth from three paths: a job reaching the archive by event, by sweep and by backfill at once is
archived once per state and alerted once."""

from __future__ import annotations

from collections import Counter

import automl_archive_cli.main as cli


def test_event_sweep_and_backfill_together_archive_each_state_once_and_alert_once(archive, tmp_path):
    # Given two finished jobs (one failed) whose events are on their way
    simulator = archive.simulator
    events = []
    for name, ending in (("tri-path-failed", "fail"), ("tri-path-done", "complete")):
        simulator.create_job(name, api="v1")
        events += [simulator.creation_event(name), *simulator.analyze_data(name), *simulator.tune_models(name)]
        events += simulator.fail(name) if ending == "fail" else simulator.finish_tuning(name)
        if ending == "complete":
            simulator.complete(name)
    # When the events, a sweep and a backfill all hand them to the queue before any is processed
    archive.put(events + events)  # with EventBridge duplicates
    archive.sweep.invoke()
    assert cli.main(["backfill", "--name-contains", "tri-path-", "--stack-name", archive.stack.stack_name,
                     "--no-progress", "--checkpoint", str(tmp_path / "checkpoint")]) == 0  # fmt: skip
    archive.run_until_idle()
    archive.inbox.read()
    # Then each job is archived at its final state with every S3 object written exactly once
    assert archive.status_of("tri-path-failed") == "Failed"
    assert archive.status_of("tri-path-done") == "Completed"
    versions = Counter(key for key, _ in archive.object_versions() if "/tri-path-" in key)
    assert versions and set(versions.values()) == {1}
    terminal = [key for key in versions if key.startswith("raw/") and ("-Failed-" in key or "-Completed-" in key)]
    assert len(terminal) == 2
    # And the failure alerted exactly once
    subjects = Counter(alert.subject for alert in archive.inbox.received)
    assert subjects["AutoML job tri-path-failed failed in 123456789012 us-east-1"] == 1
    assert not any("tri-path-done" in (subject or "") for subject in subjects)
