"""The demo histories play deterministically in simulated time."""

from __future__ import annotations

from devtools.emulator.autopilot.simulator import AutopilotSimulator
from devtools.emulator.scenarios import all_events, demo_histories, replay_shuffled, schedule_all


def play(simulator: AutopilotSimulator) -> None:
    while (due := simulator.next_due()) is not None:
        simulator.clock.advance_to(due)
        simulator.run_due_steps()


def test_demo_histories_reach_their_expected_statuses(autopilot: AutopilotSimulator) -> None:
    # Given the standard demo set scheduled from now
    histories = demo_histories()
    schedule_all(autopilot, histories)

    # When every step is played
    play(autopilot)

    # Then each AutoML job ends as its history says, and the unrelated training job is no AutoML job
    for history in histories:
        if history.api == "none":
            assert history.job_name not in autopilot.jobs
            assert autopilot.children[history.job_name].automl_job_arn is None
        else:
            assert autopilot.job(history.job_name).status == history.expected_status


def test_completion_is_silent_and_twenty_minutes_after_the_last_child_event(autopilot: AutopilotSimulator) -> None:
    # Given the V1 completing history, played
    history = demo_histories()[0]
    schedule_all(autopilot, [history])
    play(autopilot)

    # Then the completing step emitted nothing, ~20 min after the last event-emitting step
    last_step = history.scheduled[-1]
    assert last_step.emitted == []
    last_event_step = max((s for s in history.scheduled if s.emitted), key=lambda s: s.due)
    assert (last_step.due - last_event_step.due).total_seconds() == 1200
    assert autopilot.job(history.job_name).end_time is not None


def test_events_and_shuffled_replay(autopilot: AutopilotSimulator) -> None:
    # Given all demo histories played
    histories = demo_histories()
    schedule_all(autopilot, histories)
    play(autopilot)
    events = all_events(histories)

    # When replayed x3 with a seed, Then every event appears 3 times, reordered, and the order is reproducible
    replay = replay_shuffled(events, copies=3, seed=1)
    assert len(replay) == 3 * len(events)
    assert [e["id"] for e in replay] != [e["id"] for e in events for _ in range(3)]
    assert replay == replay_shuffled(events, copies=3, seed=1)
    detail_types = {e["detail-type"] for e in events}
    assert "AWS API Call via CloudTrail" in detail_types and "SageMaker Training Job State Change" in detail_types
    assert not any("AutoMLJobArn" in e["detail"] for e in events)
