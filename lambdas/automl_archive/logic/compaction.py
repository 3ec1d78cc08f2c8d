# ruff: noqa: S608 -- the SQL here is built from the table contracts and dates the code checked, never from input
"""Compaction of the data lake: merge the JSON days that changed into the Iceberg tables.

Each run makes the Iceberg tables match the contract (CREATE TABLE IF NOT EXISTS, ALTER TABLE ADD
COLUMNS), lists the record prefixes, finds the ``dt`` days with an object written since the last
complete run's watermark, and MERGEs those days into each compacted table (one row per key, the newest
by the table's order, so re-reading a day never regresses a row and a late or backfilled day simply
merges in). The watermark advances once every merge succeeded: a failed or timed-out run is repeated
whole by the next, and MERGE makes the repetition harmless. Once a day OPTIMIZE then rewrites the small
files Athena's merge-on-read leaves and VACUUM expires old snapshots.

The statements are built here, once, for both engines: Athena runs them in AWS, and DuckDB runs the
same MERGE text locally (``automl_archive_cli/local_query.py``) to prove what it computes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from automl_archive.contracts.archive_layout import iso
from automl_archive.contracts.lake_tables import (
    COMPACTED_TABLES,
    PARTITION_KEY,
    CompactedTableSpec,
    order_by,
    outranks_or_equals,
)
from automl_archive.contracts.metric_names import (
    COMPACTION_BYTES_SCANNED,
    COMPACTION_LAG_SECONDS,
    COMPACTION_PARTITIONS_MERGED,
    COMPACTION_SKIPPED,
    COMPACTION_STATEMENTS,
)
from automl_archive.dal.interfaces import LakeCatalog, LakeObject, LakeStorage, MetricsSink, QueryEngine

_PARTITION = re.compile(rf"(?:^|/){PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})/")
# S3's LastModified is the time the upload began or completed on S3's clock, not this function's: an
# object written just before the run started may carry a time a little after it, or the clocks may
# disagree by seconds. Days modified within this margin before the watermark are merged again (MERGE
# is idempotent), so no write is ever missed between two runs.
CLOCK_MARGIN = timedelta(minutes=5)
# Athena's StartQueryExecution takes a query string of at most 262,144 bytes (API_StartQueryExecution,
# QueryString, Length Constraints); a MERGE names each day, so a first run over years of days is split.
MAX_DAYS_PER_STATEMENT = 200
WATERMARK_FIELD = "compacted_through"
MAINTAINED_FIELD = "maintained_at"
MAINTENANCE_INTERVAL = timedelta(hours=24)
# One run at a time (an operator's `compact` beside the hourly run): the lease outlasts Lambda's 15-minute
# maximum, so a run that died holding it blocks the next one at most this long.
LEASE_DURATION = timedelta(minutes=16)


@dataclass(frozen=True)
class Statement:
    label: str  # what it does, for the log and the report ("merge automl_jobs_latest 2026-11-01..2026-11-03")
    sql: str


@dataclass
class CompactionReport:
    since: datetime | None
    watermark: datetime | None = None  # the new one; None when the run did not complete
    days_by_table: dict[str, list[str]] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    complete: bool = False
    busy_until: datetime | None = None  # set when another run held the lease: this one did nothing


def partition_of(key: str) -> str | None:
    """The ``dt`` day of a record object's key, or None for a key outside the layout."""
    match = _PARTITION.search(key)
    return match.group(1) if match else None


def changed_days(objects: Iterable[LakeObject], since: datetime | None) -> list[str]:
    """The days with an object written at or after ``since`` (every day when None), oldest first."""
    threshold = None if since is None else since - CLOCK_MARGIN
    changed: set[str] = set()
    for entry in objects:
        day = partition_of(entry.key)
        if day is not None and (threshold is None or entry.last_modified >= threshold):
            changed.add(day)
    return sorted(changed)


def chunk_days(days: list[str], size: int = MAX_DAYS_PER_STATEMENT) -> list[list[str]]:
    return [days[start : start + size] for start in range(0, len(days), size)]


def merge_sql(table: CompactedTableSpec, days: list[str]) -> str:
    """MERGE the newest row per key of ``days`` of the JSON table into the compacted table.

    The source keeps one row per key (Athena refuses a MERGE in which a target row matches two source
    rows), and a stored row is replaced only by one that sorts first or ties with it.
    """
    if not days or any(not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day in days):
        raise ValueError(f"days must be YYYY-MM-DD dates, got {days[:3]}")
    names = [column.name for column in table.columns]
    source_columns = ", ".join(names)
    key = ", ".join(table.key_of())
    days_list = ", ".join(f"'{day}'" for day in days)
    on = " AND ".join(
        f"{target} = {source}" for target, source in zip(table.key_of("t"), table.key_of("s"), strict=True)
    )
    update = ", ".join(f"{name} = s.{name}" for name in names)
    newest = f"row_number() OVER (PARTITION BY {key} ORDER BY {order_by(table.newest_first)})"
    values = ", ".join(f"s.{name}" for name in names)
    return f"""MERGE INTO {table.name} t
USING (
    SELECT {source_columns}
    FROM (
        SELECT {source_columns}, {newest} AS newest
        FROM {table.source.name}
        WHERE {PARTITION_KEY} IN ({days_list})
    ) ranked
    WHERE newest = 1
) s
ON {on}
WHEN MATCHED AND {outranks_or_equals(table.newest_first, "s", "t")} THEN UPDATE SET {update}
WHEN NOT MATCHED THEN INSERT ({source_columns}) VALUES ({values})"""


def create_table_sql(table: CompactedTableSpec, bucket_name: str) -> str:
    """Athena's DDL for the Iceberg table (querying-iceberg-creating-tables): the compaction owns the
    tables' schema, so a record column added later reaches them by ``add_columns_sql``, not by a
    CloudFormation update (which would replace the Glue table's parameters, Iceberg's metadata pointer
    among them)."""
    columns = ",\n    ".join(f"{column.name} {column.type}" for column in table.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} (\n    {columns}\n)\n"
        f"LOCATION 's3://{bucket_name}/{table.prefix}'\n"
        "TBLPROPERTIES ('table_type' = 'ICEBERG')"
    )


def add_columns_sql(table: CompactedTableSpec, missing: list[str]) -> str:
    """ALTER TABLE ... ADD COLUMNS for the contract's columns the Iceberg table lacks (schema evolution,
    querying-iceberg-evolving-table-schema); rows merged before read them as NULL."""
    by_name = {column.name: column for column in table.columns}
    return f"ALTER TABLE {table.name} ADD COLUMNS ({', '.join(f'{name} {by_name[name].type}' for name in missing)})"


def schema_statements(table: CompactedTableSpec, columns: list[str] | None, bucket_name: str) -> list[Statement]:
    """What makes the catalog's table match the contract: create it, add the columns it lacks, or nothing."""
    if columns is None:
        return [Statement(f"create {table.name}", create_table_sql(table, bucket_name))]
    present = {name.lower() for name in columns}
    missing = [column.name for column in table.columns if column.name not in present]
    return [Statement(f"add columns {table.name}", add_columns_sql(table, missing))] if missing else []


def merge_statements(days_by_table: dict[str, list[str]]) -> list[Statement]:
    """Every table's merges, at most MAX_DAYS_PER_STATEMENT days each."""
    statements: list[Statement] = []
    for table in COMPACTED_TABLES:
        for chunk in chunk_days(days_by_table.get(table.name, [])):
            statements.append(Statement(f"merge {table.name} {chunk[0]}..{chunk[-1]}", merge_sql(table, chunk)))
    return statements


def maintenance_statements() -> list[Statement]:
    """Athena's merge-on-read leaves delete files and small data files after each MERGE: OPTIMIZE
    rewrites them (querying-iceberg-data-optimization), VACUUM expires old snapshots and removes the
    files no snapshot needs (vacuum-statement). Once a day: each is a commit, and each commit keeps a
    Glue table version (100,000 per table at most, Glue's service quotas)."""
    statements: list[Statement] = []
    for table in COMPACTED_TABLES:
        statements.append(Statement(f"optimize {table.name}", f"OPTIMIZE {table.name} REWRITE DATA USING BIN_PACK"))
        statements.append(Statement(f"vacuum {table.name}", f"VACUUM {table.name}"))
    return statements


@dataclass(frozen=True)
class Watermark:
    compacted_through: datetime | None = None  # every record object written before it is merged
    maintained_at: datetime | None = None  # the last complete OPTIMIZE and VACUUM


def _stamp(document: dict[str, object], field_name: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(document[field_name]))
    except (ValueError, KeyError, TypeError):
        return None
    return value if value.tzinfo is not None else None


def parse_watermark(text: str | None) -> Watermark:
    """The stored watermark; an absent or unreadable one means every day is merged again."""
    try:
        document = json.loads(text) if text else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    return Watermark(_stamp(document, WATERMARK_FIELD), _stamp(document, MAINTAINED_FIELD))


@dataclass(frozen=True)
class LakeCompaction:
    storage: LakeStorage
    catalog: LakeCatalog
    engine: QueryEngine
    metrics: MetricsSink
    clock: Callable[[], datetime]
    bucket_name: str

    def run(self, deadline: float) -> CompactionReport:
        """One compaction pass. ``deadline`` (epoch seconds) bounds each statement's wait.

        Schema first (the merges name every column), then the merges; the watermark moves as soon as
        they all succeeded, so a failing OPTIMIZE or VACUUM (run once a day, after it) never holds up
        the merges of the next runs.
        """
        started = self.clock()
        busy_until = self.storage.acquire_lease(started + LEASE_DURATION, started)
        if busy_until is not None:
            self.metrics.count(COMPACTION_SKIPPED)
            return CompactionReport(since=None, busy_until=busy_until)
        try:
            return self._run(started, deadline)
        finally:
            self.storage.release_lease()

    def _run(self, started: datetime, deadline: float) -> CompactionReport:
        stored = parse_watermark(self.storage.read_watermark())
        since = stored.compacted_through
        report = CompactionReport(since=since)
        # Reported first, so a run that then fails still says how far behind the tables are; the first
        # run reports 0 (nothing was compacted before it to be behind on).
        self.metrics.seconds(COMPACTION_LAG_SECONDS, (started - since).total_seconds() if since else 0.0)
        statements: list[Statement] = []
        for table in COMPACTED_TABLES:
            statements += schema_statements(table, self.catalog.columns(table.name), self.bucket_name)
            days = changed_days(self.storage.list_objects(table.source.prefix), since)
            if days:
                report.days_by_table[table.name] = days
                self.metrics.count(COMPACTION_PARTITIONS_MERGED, len(days))
        self._execute(statements + merge_statements(report.days_by_table), report, deadline)
        # Everything written before this run started is merged: that time is the next run's watermark.
        self._write(report, Watermark(started, stored.maintained_at))
        report.watermark = started
        report.complete = True
        if stored.maintained_at is None or started - stored.maintained_at >= MAINTENANCE_INTERVAL:
            self._execute(maintenance_statements(), report, deadline)
            self._write(report, Watermark(started, started))
        self.metrics.count(COMPACTION_BYTES_SCANNED, report.bytes_scanned)
        return report

    def _execute(self, statements: list[Statement], report: CompactionReport, deadline: float) -> None:
        for statement in statements:
            report.bytes_scanned += self.engine.run(statement.label, statement.sql, deadline)
            report.statements.append(statement.label)
            self.metrics.count(COMPACTION_STATEMENTS)

    def _write(self, report: CompactionReport, watermark: Watermark) -> None:
        body = {
            WATERMARK_FIELD: iso(watermark.compacted_through),
            MAINTAINED_FIELD: iso(watermark.maintained_at),
            "days_by_table": {name: len(days) for name, days in report.days_by_table.items()},
        }
        self.storage.write_watermark(json.dumps(body, sort_keys=True).encode())
