"""Property-based: any interleaving, duplication and order of job events and state changes ends with the
archive at each job's latest state, never regressing, with one alert per failed job and one state-change
event per archived state, in order, whatever the event bus does."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_archive.logic.event_delivery import EventsStillDue
from automl_archive.models.messages import JobReference
from devtools.answers import v1_answer, v2_answer
from tests.unit.test_archive import World

RUNNING = ["Starting", "AnalyzingData", "FeatureEngineering", "ModelTuning", "GeneratingExplainabilityReport"]
ENDINGS = [("Completed", "Completed"), ("Failed", "Failed"), ("Stopped", "Stopped")]


def _history(name: str, api: str, steps: int, ending: tuple[str, str]) -> list[dict]:
    build = v1_answer if api == "v1" else v2_answer
    states = [
        build(name=name, status="InProgress", secondary=RUNNING[i % len(RUNNING)], minutes=5 * (i + 1))
        for i in range(steps)
    ]
    states.append(build(name=name, status=ending[0], secondary=ending[1], minutes=5 * (steps + 1)))
    return states


jobs = st.lists(
    st.tuples(st.sampled_from(["v1", "v2"]), st.integers(1, 4), st.sampled_from(ENDINGS)), min_size=1, max_size=3
)
# An operation: (job index, kind) with kind "advance" (the job moves on), "event" (a message for the
# job arrives), "stale" (a describe that raced returns an older state), "sweep" (the reconcile pass
# hands the job over), "mark-fails" (the next "alert sent" mark is throttled past the SDK's retries),
# "bus-refuses" / "bus-fails" (the next PutEvents has a failed entry / fails past its retries) or
# "event-removal-fails" (the next removal of a published event from the store fails)
KINDS = ["advance", "event", "event", "stale", "sweep", "mark-fails", "bus-refuses", "bus-fails", "event-removal-fails"]
operations = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(KINDS)), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=jobs, ops=operations, seed=st.randoms())
def test_archive_converges_without_regression(jobs, ops, seed):
    # Given several jobs, each with a history of states, and a random stream of operations on them
    world = World()
    histories = {f"job-{i}": _history(f"job-{i}", api, steps, end) for i, (api, steps, end) in enumerate(jobs)}
    position = dict.fromkeys(histories, 0)
    apis = {f"job-{i}": api for i, (api, _, _) in enumerate(jobs)}
    for name in histories:
        world.sagemaker.put_job(histories[name][0], api=apis[name])
    orderings: dict[str, list[int]] = {name: [] for name in histories}
    original_save = world.store.save_state

    def recording_save(job_key, ordering, summary, event=None):
        saved = original_save(job_key, ordering, summary, event)
        if saved.written:
            orderings[job_key].append(ordering)
        return saved

    world.store.save_state = recording_save  # type: ignore[method-assign]
    message = 0

    def deliver(name: str, origin: str = "test") -> None:
        nonlocal message
        message += 1
        with contextlib.suppress(EventsStillDue):  # the queue retries it: a later delivery of the job
            world.archiver.process(JobReference(job_name=name, origin=origin), f"m-{message}", set())

    # When the operations happen in the drawn order (duplicates included)
    for index, kind in ops:
        name = f"job-{index % len(histories)}"
        history = histories[name]
        if kind == "advance" and position[name] < len(history) - 1:
            position[name] += 1
            world.sagemaker.put_job(history[position[name]], api=apis[name])
        elif kind == "stale" and position[name] > 0:
            world.sagemaker.put_job(history[seed.randrange(position[name])], api=apis[name])
            deliver(name)
            world.sagemaker.put_job(history[position[name]], api=apis[name])
        elif kind in ("event", "sweep"):
            deliver(name, origin=kind)
        elif kind == "mark-fails":
            world.store.fail_next_mark.append(TimeoutError("dynamodb throttled"))
        elif kind == "bus-refuses":
            world.bus.refuse_next += 1
        elif kind == "bus-fails":
            world.bus.fail_next.append(TimeoutError("events throttled"))
        elif kind == "event-removal-fails":
            world.store.fail_next_event_removal.append(TimeoutError("dynamodb throttled"))
        world.now += timedelta(seconds=seed.randrange(1, 90))
    # And every job then finishes and is observed once more (the reconcile pass), then again (a late event)
    world.bus.refuse_next, world.bus.fail_next, world.store.fail_next_event_removal = 0, [], []
    for name, history in histories.items():
        world.sagemaker.put_job(history[-1], api=apis[name])
        deliver(name, origin="sweep")
        deliver(name)

    # Then each job's archived state is its final state, and its stored states only ever moved forward
    for name, history in histories.items():
        assert world.store.states[name]["status"] == history[-1]["AutoMLJobStatus"]
        assert orderings[name] == sorted(set(orderings[name]))
    # And every failed job alerted exactly once; nothing else alerted (default policy: Failed only)
    alerted = sorted(alert["attributes"]["job_name"] for alert in world.notifier.published)
    failed = sorted(name for name, history in histories.items() if history[-1]["AutoMLJobStatus"] == "Failed")
    assert alerted == failed
    # And the bus got every archived state's event once (one container: an event put whose removal
    # failed is not put again), in state order, and nothing is left due
    for name in histories:
        first_copies = list(dict.fromkeys(e.ordering for e in world.bus.accepted if e.detail["job_name"] == name))
        assert first_copies == orderings[name]
        assert world.store.states[name].get("pending_events") == {}
        assert "event_due" not in world.store.states[name]
    assert len(world.bus.accepted) == sum(map(len, orderings.values()))
    # And the S3 objects of a state are never written twice
    assert world.archive.puts == len(world.archive.objects)
