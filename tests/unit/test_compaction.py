"""The compaction's plan and run with fake storage and a fake engine (logic/compaction.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from automl_archive.contracts.lake_tables import (
    CANDIDATES_COMPACTED,
    CHILD_JOBS_COMPACTED,
    COMPACTED_TABLES,
    JOBS_LATEST,
    LATEST_STATE_ORDER,
    OrderTerm,
    outranks_or_equals,
)
from automl_archive.contracts.metric_names import (
    COMPACTION_LAG_SECONDS,
    COMPACTION_PARTITIONS_MERGED,
    COMPACTION_SKIPPED,
)
from automl_archive.contracts.settings import CompactorSettings, ConfigurationError
from automl_archive.dal.interfaces import CompactionQueryFailed, LakeObject
from automl_archive.logic.compaction import (
    CLOCK_MARGIN,
    MAX_DAYS_PER_STATEMENT,
    LakeCompaction,
    changed_days,
    merge_sql,
    parse_watermark,
    partition_of,
)
from devtools.fakes import FakeLakeCatalog, FakeLakeStorage, FakeQueryEngine, RecordingMetrics

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
LAST_RUN = NOW - timedelta(hours=1)


def _object(prefix: str, day: str, written: datetime, name: str = "job--state") -> LakeObject:
    return LakeObject(key=f"{prefix}dt={day}/{name}.jsonl", last_modified=written, size=100)


def _watermark(value: datetime, maintained: datetime | None = None) -> str:
    return json.dumps({"compacted_through": value.isoformat(), "maintained_at": (maintained or value).isoformat()})


def _existing_tables() -> FakeLakeCatalog:
    return FakeLakeCatalog({table.name: [column.name for column in table.columns] for table in COMPACTED_TABLES})


def _compaction(
    storage: FakeLakeStorage, engine: FakeQueryEngine, catalog: FakeLakeCatalog | None = None
) -> tuple[LakeCompaction, RecordingMetrics]:
    metrics = RecordingMetrics()
    compaction = LakeCompaction(
        storage=storage,
        catalog=catalog or _existing_tables(),
        engine=engine,
        metrics=metrics,
        clock=lambda: NOW,
        bucket_name="archive-bucket",
    )
    return compaction, metrics


def test_only_days_with_an_object_written_since_the_watermark_are_merged():
    # Given three days of job states, one of them (an old day: a backfill) written after the last run
    prefix = JOBS_LATEST.source.prefix
    storage = FakeLakeStorage(
        objects=[
            _object(prefix, "2026-11-01", LAST_RUN - timedelta(days=30)),
            _object(prefix, "2026-11-02", LAST_RUN - timedelta(days=29)),
            _object(prefix, "2026-11-02", LAST_RUN + timedelta(minutes=10), "backfilled--state"),
            _object(prefix, "2026-12-02", LAST_RUN + timedelta(minutes=20)),
        ],
        watermark=_watermark(LAST_RUN),
    )
    engine = FakeQueryEngine()
    compaction, metrics = _compaction(storage, engine)
    # When a run compacts
    report = compaction.run(deadline=0)
    # Then only the two changed days are merged, into the job table only (maintenance ran an hour ago)
    assert report.days_by_table == {JOBS_LATEST.name: ["2026-11-02", "2026-12-02"]}
    assert [label for label, _ in engine.statements] == [f"merge {JOBS_LATEST.name} 2026-11-02..2026-12-02"]
    assert "dt IN ('2026-11-02', '2026-12-02')" in engine.statements[0][1]
    # And the watermark moves to the run's start, the lag since the last one is reported
    assert parse_watermark(storage.watermark).compacted_through == NOW and report.complete
    assert metrics.values[COMPACTION_LAG_SECONDS] == [3600.0]
    assert metrics.counts[COMPACTION_PARTITIONS_MERGED] == 2


def test_an_object_written_just_before_the_watermark_is_merged_again():
    # S3's LastModified is S3's clock, not the function's: the margin re-reads such a day.
    prefix = CHILD_JOBS_COMPACTED.source.prefix
    objects = [_object(prefix, "2026-12-01", LAST_RUN - CLOCK_MARGIN + timedelta(seconds=1))]
    assert changed_days(objects, LAST_RUN) == ["2026-12-01"]
    assert changed_days([_object(prefix, "2026-12-01", LAST_RUN - CLOCK_MARGIN - timedelta(seconds=1))], LAST_RUN) == []


def test_the_first_run_merges_every_day_in_statements_athena_accepts():
    # Given no watermark and more days than one statement may name
    prefix = CANDIDATES_COMPACTED.source.prefix
    start = datetime(2025, 1, 1, tzinfo=UTC)
    days = [(start + timedelta(days=n)).date().isoformat() for n in range(MAX_DAYS_PER_STATEMENT + 5)]
    storage = FakeLakeStorage(objects=[_object(prefix, day, start) for day in days])
    engine = FakeQueryEngine()
    compaction, _ = _compaction(storage, engine)
    # When it runs
    compaction.run(deadline=0)
    # Then every day is merged, in two statements, each well under StartQueryExecution's 262,144 bytes
    merges = [sql for label, sql in engine.statements if label.startswith("merge")]
    assert len(merges) == 2
    assert sum(sql.count("'20") for sql in merges) == len(days)
    assert all(len(sql.encode()) < 262_144 for sql in merges)


def test_a_failed_merge_leaves_the_watermark_so_the_next_run_repeats_the_days():
    # Given a changed day and an engine whose MERGE fails
    prefix = JOBS_LATEST.source.prefix
    storage = FakeLakeStorage(objects=[_object(prefix, "2026-12-02", NOW)], watermark=_watermark(LAST_RUN))
    compaction, _ = _compaction(storage, FakeQueryEngine(fail_on="merge"))
    # When it runs, the failure propagates (the function fails, the alarm fires)
    with pytest.raises(CompactionQueryFailed):
        compaction.run(deadline=0)
    # Then the watermark is the old one, and a later healthy run merges the same day
    assert parse_watermark(storage.watermark).compacted_through == LAST_RUN
    engine = FakeQueryEngine()
    report = _compaction(storage, engine)[0].run(deadline=0)
    assert report.days_by_table == {JOBS_LATEST.name: ["2026-12-02"]}


def test_the_first_run_and_a_failed_run_still_report_how_far_behind_the_tables_are():
    # The first run: no watermark, lag 0 (the CompactionLag alarm must not fire on a new stack)
    storage = FakeLakeStorage()
    compaction, metrics = _compaction(storage, FakeQueryEngine())
    compaction.run(deadline=0)
    assert metrics.values[COMPACTION_LAG_SECONDS] == [0.0]
    # A run whose statement fails reports its lag before failing
    stale = NOW - timedelta(hours=5)
    storage = FakeLakeStorage(
        objects=[_object(JOBS_LATEST.source.prefix, "2026-12-02", NOW)], watermark=_watermark(stale)
    )
    compaction, metrics = _compaction(storage, FakeQueryEngine(fail_on="merge"))
    with pytest.raises(CompactionQueryFailed):
        compaction.run(deadline=0)
    assert metrics.values[COMPACTION_LAG_SECONDS] == [5 * 3600.0]


def test_an_unreadable_watermark_means_every_day_is_merged():
    assert parse_watermark("not json").compacted_through is None
    assert parse_watermark("[1]").compacted_through is None
    assert parse_watermark(json.dumps({"compacted_through": "2026-12-01T00:00:00"})).compacted_through is None
    assert parse_watermark(None).compacted_through is None


def test_maintenance_runs_once_a_day_after_the_merges_and_its_failure_holds_up_no_merge():
    # Given a changed day and maintenance last done 25 hours ago, with an OPTIMIZE that fails
    prefix = JOBS_LATEST.source.prefix
    storage = FakeLakeStorage(
        objects=[_object(prefix, "2026-12-02", NOW)], watermark=_watermark(LAST_RUN, NOW - timedelta(hours=25))
    )
    engine = FakeQueryEngine(fail_on="optimize")
    # When it runs, the merge happens, the watermark moves, then the failure propagates
    with pytest.raises(CompactionQueryFailed):
        _compaction(storage, engine)[0].run(deadline=0)
    assert [label for label, _ in engine.statements] == [f"merge {JOBS_LATEST.name} 2026-12-02..2026-12-02"]
    stored = parse_watermark(storage.watermark)
    assert (stored.compacted_through, stored.maintained_at) == (NOW, NOW - timedelta(hours=25))
    # And a healthy run (merging the day again: written within the clock margin) then maintains every
    # table once, and records when
    engine = FakeQueryEngine()
    _compaction(storage, engine)[0].run(deadline=0)
    assert [label for label, _ in engine.statements][1:] == [
        f"{kind} {table.name}" for table in COMPACTED_TABLES for kind in ("optimize", "vacuum")
    ]
    assert parse_watermark(storage.watermark).maintained_at == NOW


def test_the_first_run_creates_missing_tables_and_adds_columns_a_newer_schema_brings():
    # Given no job table, a candidates table lacking its two newest columns, a complete child-job table
    catalog = _existing_tables()
    del catalog.tables[JOBS_LATEST.name]
    catalog.tables[CANDIDATES_COMPACTED.name] = [c.name.upper() for c in CANDIDATES_COMPACTED.columns][:-2]
    engine = FakeQueryEngine()
    _compaction(FakeLakeStorage(), engine, catalog)[0].run(deadline=0)
    statements = dict(engine.statements)
    # Then the job table is created as Iceberg at its location, and the candidates table gains exactly
    # the missing columns (names compared without regard to case, as Glue keeps them)
    create = statements[f"create {JOBS_LATEST.name}"]
    assert create.startswith(f"CREATE TABLE IF NOT EXISTS {JOBS_LATEST.name} (")
    assert f"LOCATION 's3://archive-bucket/{JOBS_LATEST.prefix}'" in create
    assert "'table_type' = 'ICEBERG'" in create
    assert all(f"{c.name} {c.type}" in create for c in JOBS_LATEST.columns)
    last_two = CANDIDATES_COMPACTED.columns[-2:]
    assert statements[f"add columns {CANDIDATES_COMPACTED.name}"] == (
        f"ALTER TABLE {CANDIDATES_COMPACTED.name} ADD COLUMNS "
        f"({last_two[0].name} {last_two[0].type}, {last_two[1].name} {last_two[1].type})"
    )
    assert not any(
        label.endswith(CHILD_JOBS_COMPACTED.name)
        for label in statements
        if not label.startswith(("optimize", "vacuum"))
    )


def test_keys_outside_the_partition_layout_are_ignored():
    assert partition_of("records/automl-jobs/dt=2026-12-01/a--b.jsonl") == "2026-12-01"
    assert partition_of("records/automl-jobs/README") is None
    assert changed_days([LakeObject("records/automl-jobs/stray.jsonl", NOW, 1)], None) == []


def test_merge_names_only_checked_dates():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        merge_sql(JOBS_LATEST, ["2026-12-01' OR '1'='1"])
    with pytest.raises(ValueError):
        merge_sql(JOBS_LATEST, [])


def test_a_stored_row_is_replaced_only_by_one_that_sorts_first_or_ties():
    # The lexicographic condition, evaluated on Python values for the job order's four terms
    terms = (OrderTerm("{t}a"), OrderTerm("{t}b"), OrderTerm("{t}c", descending=False))
    condition = outranks_or_equals(terms, "s", "t")

    def holds(s: tuple[int, int, int], t: tuple[int, int, int]) -> bool:
        scope = {"s": dict(zip("abc", s, strict=True)), "t": dict(zip("abc", t, strict=True))}
        text = condition.replace(" AND ", " and ").replace(" OR ", " or ").replace(" = ", " == ")
        for alias in ("s", "t"):
            for column in "abc":
                text = text.replace(f"{alias}.{column}", f"{alias}['{column}']")
        return bool(eval(text, {}, scope))

    assert holds((2, 0, 0), (1, 9, 9))  # first term larger
    assert holds((1, 2, 5), (1, 1, 0))  # tie, second larger
    assert holds((1, 1, 0), (1, 1, 5))  # tie, tie, ascending third smaller
    assert holds((1, 1, 1), (1, 1, 1))  # equal: a rederived copy replaces its old self
    assert not holds((1, 0, 9), (2, 0, 0))
    assert not holds((1, 1, 6), (1, 1, 5))
    assert len(LATEST_STATE_ORDER) == 4


def test_the_compactor_settings_name_every_problem():
    with pytest.raises(ConfigurationError, match=r"ARCHIVE_BUCKET_NAME is required.*ATHENA_WORKGROUP is required"):
        CompactorSettings.from_environ({"GLUE_DATABASE_NAME": "archive"})
    with pytest.raises(ConfigurationError, match="GLUE_DATABASE_NAME must be lower-case"):
        CompactorSettings.from_environ(
            {"ARCHIVE_BUCKET_NAME": "b", "GLUE_DATABASE_NAME": "Bad-Name", "ATHENA_WORKGROUP": "w"}
        )
    settings = CompactorSettings("bucket", "archive_db", "Archive")
    assert CompactorSettings.from_environ(settings.to_environment()) == settings


def test_a_run_beside_another_does_nothing_and_says_until_when_the_other_holds_the_lease():
    # Given another run's lease that ends in 10 minutes
    prefix = JOBS_LATEST.source.prefix
    storage = FakeLakeStorage(objects=[_object(prefix, "2026-12-02", NOW)], watermark=_watermark(LAST_RUN))
    storage.lease_until = NOW + timedelta(minutes=10)
    engine = FakeQueryEngine()
    compaction, metrics = _compaction(storage, engine)
    # When a run starts, it runs no statement, keeps the watermark and reports the other's lease
    report = compaction.run(deadline=0)
    assert (report.busy_until, report.complete, engine.statements) == (NOW + timedelta(minutes=10), False, [])
    assert parse_watermark(storage.watermark).compacted_through == LAST_RUN
    assert metrics.counts[COMPACTION_SKIPPED] == 1 and storage.lease_until == NOW + timedelta(minutes=10)


def test_the_lease_is_released_after_a_run_and_after_a_failed_one_and_a_stale_one_is_taken_over():
    prefix = JOBS_LATEST.source.prefix
    storage = FakeLakeStorage(objects=[_object(prefix, "2026-12-02", NOW)], watermark=_watermark(LAST_RUN))
    storage.lease_until = NOW - timedelta(seconds=1)  # a run that died holding it
    with pytest.raises(CompactionQueryFailed):
        _compaction(storage, FakeQueryEngine(fail_on="merge"))[0].run(deadline=0)
    assert storage.lease_until is None and storage.leases_taken == 1
    report = _compaction(storage, FakeQueryEngine())[0].run(deadline=0)
    assert report.complete and storage.lease_until is None and storage.leases_taken == 2
