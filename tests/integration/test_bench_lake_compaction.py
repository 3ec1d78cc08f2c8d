"""The lake bench (devtools/bench/lake_compaction.py) at a small size: its archive is what the local engine
reads, its counts are exact, and its measured figures add up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from automl_archive.contracts.lake_tables import (
    CANDIDATES,
    CHILD_JOBS,
    CHILD_JOBS_COMPACTED,
    COMPACTED_TABLES,
    JOB_STATES,
    JOBS_LATEST,
)
from automl_archive_cli.local_query import compact_local, compacted_files, connect
from datalake.named_queries import QUERIES_BY_NAME, RECENT_JOBS_DAYS, UNCOMPACTED_DAYS
from devtools.bench.lake_archive import AS_OF, CANDIDATES_PER_JOB, DAY_OBJECT, write_archive
from devtools.bench.lake_compaction import (
    bytes_read,
    compacted_tables_read,
    json_objects,
    lookback_days,
    measure,
    referenced_columns,
    same_answer,
)

STATES = 2_003  # 250 jobs of 8 states and one of 3: the count is exact, not rounded to whole jobs


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    generated = write_archive(root / "archive", STATES, days_root=root / "by-day")
    return root, generated


def _table_rows(connection, name: str) -> list[tuple]:
    return sorted(connection.execute(f"SELECT * FROM {name}").fetchall(), key=repr)


def test_the_generator_writes_exactly_the_states_asked_for_one_object_each(archive):
    root, generated = archive
    files = sorted((root / "archive" / JOB_STATES.prefix).glob("dt=*/*.jsonl"))
    assert generated.states == STATES == len(files)
    assert generated.jobs == 251
    assert all(path.read_bytes().count(b"\n") == 1 for path in files)
    candidate_files = list((root / "archive" / CANDIDATES.prefix).glob("dt=*/*.jsonl"))
    assert len(candidate_files) == generated.candidate_objects > 0
    assert generated.candidate_rows == CANDIDATES_PER_JOB * generated.candidate_objects
    assert len(list((root / "archive" / CHILD_JOBS.prefix).glob("dt=*/*.jsonl"))) == generated.child_job_objects
    # Every state's key is its own dt: the UTC date of its last_modified_time, within the last 120 days
    days = {path.parent.name.removeprefix("dt=") for path in files}
    assert min(days) >= (AS_OF.date() - timedelta(days=121)).isoformat() and max(days) <= AS_OF.date().isoformat()


def test_every_object_is_readable_as_athena_reads_it_and_the_day_copy_holds_the_same_rows(archive):
    root, generated = archive
    objects = connect(root / "archive", AS_OF, compact=False)
    by_day = connect(root / "by-day", AS_OF, compact=False)
    try:
        assert objects.execute(f"SELECT count(*) FROM {JOB_STATES.name}").fetchone() == (STATES,)
        assert objects.execute(
            "SELECT count(DISTINCT account_id || region || job_name), count(DISTINCT account_id) "
            f"FROM {JOB_STATES.name}"
        ).fetchone() == (generated.jobs, 3)
        for table in (JOB_STATES, CANDIDATES, CHILD_JOBS):
            assert _table_rows(objects, table.name) == _table_rows(by_day, table.name)
        # Every column the Glue table has is present in a state (nothing NULL that a record always has)
        nulls = objects.execute(
            f"SELECT count(*) FROM {JOB_STATES.name} WHERE state_id IS NULL OR archived_at IS NULL "
            "OR is_terminal IS NULL OR last_modified_time IS NULL OR problem_type IS NULL"
        ).fetchone()
        assert nulls == (0,)
    finally:
        objects.close()
        by_day.close()
    assert {path.name for path in (root / "by-day" / JOB_STATES.prefix).glob("dt=*/*")} == {DAY_OBJECT}


def test_lookbacks_and_columns_are_read_from_the_athena_text():
    latest = QUERIES_BY_NAME["latest_state_per_job"]
    assert lookback_days(latest.athena_sql, JOBS_LATEST.name) == RECENT_JOBS_DAYS
    assert lookback_days(latest.athena_sql, JOB_STATES.name) == UNCOMPACTED_DAYS
    assert lookback_days(latest.athena_sql, CHILD_JOBS.name) is None
    assert compacted_tables_read(QUERIES_BY_NAME["phase_transitions"]) == []
    assert compacted_tables_read(QUERIES_BY_NAME["cost_per_job"]) == [JOBS_LATEST, CHILD_JOBS_COMPACTED]
    columns = referenced_columns(latest.athena_sql, JOBS_LATEST)
    assert {"job_name", "status", "state_id", "dt", "archived_at", "is_terminal"} <= set(columns)
    assert not {"best_candidate_metrics", "raw_s3_key", "input_s3_uris", "role_arn"} & set(columns)


def test_compacted_reads_are_a_fraction_of_the_json_and_objects_are_counted(archive):
    root, _generated = archive
    compact_local(root / "by-day")
    for table in COMPACTED_TABLES:
        (root / "archive" / table.prefix).mkdir(parents=True, exist_ok=True)
        for path in compacted_files(root / "by-day", table):
            (root / "archive" / table.prefix / path.name).write_bytes(path.read_bytes())
    archive_root = root / "archive"
    latest = bytes_read(archive_root, QUERIES_BY_NAME["latest_state_per_job"], AS_OF)
    # JSON: every state object of the last 91 days, whole
    since = AS_OF.date() - timedelta(days=RECENT_JOBS_DAYS)
    states = [
        path
        for path in (archive_root / JOB_STATES.prefix).glob("dt=*/*.jsonl")
        if path.parent.name.removeprefix("dt=") >= since.isoformat()
    ]
    assert (latest["json_objects"], latest["json_bytes"]) == (len(states), sum(p.stat().st_size for p in states))
    # Compacted: one Parquet file, its metadata, and the JSON objects of today and yesterday
    recent = json_objects(archive_root, JOB_STATES, AS_OF.date() - timedelta(days=UNCOMPACTED_DAYS))
    assert latest["uncompacted_json_objects"] == recent.objects
    assert latest["compacted_objects"] == 1 + 3 + recent.objects
    parquet = compacted_files(archive_root, JOBS_LATEST)[0].stat().st_size
    assert 0 < latest["parquet_bytes"] < parquet  # only the referenced columns' chunks
    assert latest["compacted_bytes"] == latest["parquet_bytes"] + recent.bytes
    assert latest["compacted_bytes"] < latest["json_bytes"] / 10
    for name in ("failures_last_7_days", "duration_and_candidates_per_mode", "cost_per_job"):
        figures = bytes_read(archive_root, QUERIES_BY_NAME[name], AS_OF)
        assert figures["compacted_bytes"] < figures["json_bytes"] and figures["json_objects"] > 0


def test_the_piece_measures_every_compacted_query_and_its_answers_agree(tmp_path):
    result = measure(1_000, workdir=tmp_path)
    assert result["states"] == 1_000 and result["json_only_queries"] == ["phase_transitions"]
    assert set(result["queries"]) == set(QUERIES_BY_NAME) - {"phase_transitions"}
    assert result["answers_match"], {name: q["mismatches"] for name, q in result["queries"].items()}
    assert sum(q["rows"] for q in result["queries"].values()) > 0
    assert all(q["ratio"] < 1 for q in result["queries"].values())
    assert not list(Path(tmp_path).iterdir())  # the temporary archive is gone


def test_a_different_answer_is_a_mismatch_but_a_last_rounded_digit_is_not():
    assert same_answer([("a", 21.787)], [("a", 21.788)]) == (True, 1)
    assert same_answer([("a", 21.787)], [("a", 21.797)]) == (False, 0)
    assert same_answer([("a", 1)], [("b", 1)])[0] is False
    assert same_answer([("a", 1)], [])[0] is False
    assert same_answer([("a", 2.0), ("b", 1.0)], [("b", 1.0), ("a", 2.0)]) == (True, 0)
