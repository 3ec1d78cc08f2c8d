"""The candidate leaderboard: archived once at the terminal state, ranked, counted into the job record."""

from __future__ import annotations

import json

from automl_archive.logic.leaderboard import best_candidate_rank, rank_candidates
from automl_archive.models.record import CANDIDATE_RECORD_COLUMN_NAMES
from devtools.answers import best_candidate, v1_answer
from tests.unit.test_archive import World, ref


def _candidate(name: str, value: float | None, kind: str = "Maximize") -> dict:
    candidate = best_candidate("churn-v1")
    candidate["CandidateName"] = name
    if value is None:
        del candidate["FinalAutoMLJobObjectiveMetric"]
    else:
        candidate["FinalAutoMLJobObjectiveMetric"] = {"Type": kind, "MetricName": "F1", "Value": value}
    return candidate


def test_ranking_follows_the_metric_direction_and_puts_missing_values_last():
    maximize = rank_candidates([_candidate("a", 0.5), _candidate("b", None), _candidate("c", 0.9)])
    assert [c["CandidateName"] for c in maximize] == ["c", "a", "b"]
    minimize = rank_candidates([_candidate("a", 0.5, "Minimize"), _candidate("c", 0.9, "Minimize")])
    assert [c["CandidateName"] for c in minimize] == ["a", "c"]
    assert best_candidate_rank(maximize, "a") == 2
    assert best_candidate_rank(maximize, None) is None


def test_terminal_state_archives_every_candidate_once():
    world = World()
    world.sagemaker.put_job(v1_answer(status="Completed"))
    candidates = [_candidate(f"churn-v1-trial-{i:03d}", 0.8 + i / 100) for i in range(1, 6)]
    candidates[0]["CandidateName"] = "churn-v1-trial-001"  # the BestCandidate's name, but not the top value
    world.sagemaker.candidates["churn-v1"] = candidates
    # When the finished job is archived, and its events repeat
    world.run(ref("churn-v1"), "m-1")
    world.run(ref("churn-v1"), "m-2")
    # Then the leaderboard was listed once and holds one row per candidate, ranked
    assert world.sagemaker.calls["list_candidates"] == 1
    (key,) = [k for k in world.archive.objects if k.startswith("records/automl-candidates/")]
    assert key.startswith("records/automl-candidates/dt=2026-11-20/churn-v1--")
    rows = [json.loads(line) for line in world.archive.objects[key].decode().splitlines()]
    assert [tuple(row) for row in rows] == [CANDIDATE_RECORD_COLUMN_NAMES] * 5
    assert [row["rank"] for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["candidate_name"] == "churn-v1-trial-005"
    assert [row["is_best"] for row in rows] == [False, False, False, False, True]
    # And the job record knows the count and the best candidate's rank
    (record_key,) = [k for k in world.archive.objects if k.startswith("records/automl-jobs/")]
    record = json.loads(world.archive.objects[record_key])
    assert (record["candidate_count"], record["best_candidate_rank"]) == (5, 5)
    assert world.store.states["churn-v1"]["candidate_count"] == 5


def test_running_state_lists_no_candidates():
    world = World()
    world.sagemaker.put_job(v1_answer(status="InProgress", secondary="ModelTuning"))
    world.run(ref("churn-v1"))
    assert world.sagemaker.calls["list_candidates"] == 0
    (record_key,) = [k for k in world.archive.objects if k.startswith("records/automl-jobs/")]
    assert json.loads(world.archive.objects[record_key])["candidate_count"] is None
