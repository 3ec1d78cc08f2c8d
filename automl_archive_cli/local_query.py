# ruff: noqa: S608 -- the SQL here is fixed text built from the schema and constants, never from input
"""The local query engine: the named queries' DuckDB text over a copy of the archive's record prefixes.

`automl-archive query NAME --local DIR` runs here; `automl-archive download-records DIR` makes the
copy. The tables are DuckDB views over the same hive-partitioned JSON Lines the Glue tables read,
typed from the same schema (``datalake.tables``). ``archive_now()`` is the queries' clock: the current
UTC time, or a fixed moment for a reproducible answer.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from automl_archive.contracts.archive_layout import RECORD_PREFIXES
from automl_archive.logic.compaction import chunk_days, merge_sql
from automl_archive.models.record import BIGINT, BOOLEAN, DOUBLE, STRING, TIMESTAMP, Column
from automl_archive_cli.console import stdout_console
from automl_archive_cli.results import QueryResult, print_result
from datalake.hive_json import array_element, read_lines, struct_fields
from datalake.named_queries import NAMED_QUERIES, QUERIES_BY_NAME, NamedQuery
from datalake.tables import COMPACTED_TABLES, PARTITION_KEY, TABLES, CompactedTableSpec, TableSpec

# ---------------------------------------------------------------- DuckDB types and sources
_DUCKDB_SCALARS = {STRING: "VARCHAR", BIGINT: "BIGINT", DOUBLE: "DOUBLE", BOOLEAN: "BOOLEAN", TIMESTAMP: "TIMESTAMPTZ"}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def duckdb_type(hive_type: str) -> str:
    """The DuckDB type that reads a Hive/Athena column type from JSON (timestamps as TIMESTAMPTZ)."""
    hive_type = hive_type.strip()
    if hive_type in _DUCKDB_SCALARS:
        return _DUCKDB_SCALARS[hive_type]
    element = array_element(hive_type)
    if element is not None:
        return duckdb_type(element) + "[]"
    fields = struct_fields(hive_type)
    if fields is not None:
        return f"STRUCT({', '.join(f'{quote(name)} {duckdb_type(field_type)}' for name, field_type in fields)})"
    raise ValueError(f"no DuckDB type for Hive type {hive_type!r}")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def duckdb_source(table: TableSpec, archive_root: str) -> str:
    """The SELECT a DuckDB view runs to read one table from a local copy of the archive's records/ tree.

    ``read_json`` over the hive-partitioned JSON Lines, typed by the same schema as the Glue table;
    ``dt`` stays a string as in Athena, and timestamps are read with their offset and then held as UTC
    ``TIMESTAMP`` values, which is what Athena's Hive JSON SerDe yields.
    """
    columns = ", ".join(f"{_sql_string(c.name)}: {_sql_string(duckdb_type(c.type))}" for c in table.columns)
    select = ", ".join(
        f"CAST({quote(c.name)} AS TIMESTAMP) AS {quote(c.name)}" if c.type == TIMESTAMP else quote(c.name)
        for c in table.columns
    )
    pattern = f"{archive_root.rstrip('/')}/{table.prefix}*/*.jsonl"
    return (
        f"SELECT {select}, {quote(PARTITION_KEY)} FROM read_json({_sql_string(pattern)}, "
        f"format = 'newline_delimited', hive_partitioning = true, hive_types = {{'{PARTITION_KEY}': 'VARCHAR'}}, "
        f"columns = {{{columns}}})"
    )


def _empty_columns(columns: Sequence[Column]) -> str:
    return ", ".join(
        f"CAST(NULL AS {'TIMESTAMP' if c.type == TIMESTAMP else duckdb_type(c.type)}) AS {quote(c.name)}"
        for c in columns
    )


def duckdb_empty_source(table: TableSpec) -> str:
    """The same columns with no rows: what a table over an empty prefix reads in Athena."""
    return f"SELECT {_empty_columns(table.columns)}, CAST(NULL AS VARCHAR) AS {quote(PARTITION_KEY)} WHERE false"


def compacted_files(archive_root: Path | str, table: CompactedTableSpec) -> list[Path]:
    """The Parquet files of a compacted table in a local archive (``compact_local`` writes them)."""
    return sorted((Path(archive_root) / table.prefix).glob("*.parquet"))


# ---------------------------------------------------------------- running the queries


def download_records(s3_client: Any, bucket: str, destination: Path, prefixes: Sequence[str] = RECORD_PREFIXES) -> int:
    """Copy every object under the record prefixes into ``destination`` (same relative keys); returns the count."""
    count = 0
    for prefix in prefixes:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if key.endswith("/"):
                    continue
                target = destination / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
                count += 1
    return count


def connect(
    archive_root: Path | str, as_of: datetime | None = None, *, compact: bool = True
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one table per Glue table and the ``archive_now()`` clock macro.

    The compacted (Iceberg) tables read the local copy's ``compacted/`` Parquet files, if any, and then,
    unless ``compact`` is false, every JSON day is merged into them with the compaction function's own
    MERGE text, so the named queries see what Athena's see after a compaction run.

    Every record line is first read as Athena's Hive JSON SerDe reads it (``datalake.hive_json``):
    keys matched without regard to case, and a value of the wrong type fails the whole query with
    :class:`HiveBadData`, as it fails in Athena. DuckDB then loads the lines as read.
    """
    root = Path(archive_root)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    if as_of is None:
        connection.execute("CREATE MACRO archive_now() AS CAST(now() AS TIMESTAMP)")
    else:
        stamp = as_of.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        connection.execute(f"CREATE MACRO archive_now() AS TIMESTAMP '{stamp}'")
    with tempfile.TemporaryDirectory(prefix="automl-archive-as-athena-reads-") as read_copy:
        for table in TABLES:
            files = sorted((root / table.prefix).glob("*/*.jsonl"))
            if files:
                _write_as_athena_reads(root, files, table, Path(read_copy))
                source = duckdb_source(table, read_copy)
            else:
                source = duckdb_empty_source(table)
            connection.execute(f"CREATE TABLE {table.name} AS {source}")
    for compacted in COMPACTED_TABLES:
        connection.execute(f"CREATE TABLE {compacted.name} AS SELECT {_empty_columns(compacted.columns)} WHERE false")
        files = compacted_files(root, compacted)
        if files:
            listed = ", ".join(_sql_string(str(path)) for path in files)
            connection.execute(f"INSERT INTO {compacted.name} SELECT * FROM read_parquet([{listed}])")
    if compact:
        merge_all_days(connection)
    return connection


def merge_all_days(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Run the compaction function's own MERGE statements over every day of the JSON tables: the
    compacted tables then hold what Athena's would after a compaction run. Returns rows per table."""
    rows: dict[str, int] = {}
    for table in COMPACTED_TABLES:
        days = [
            row[0]
            for row in connection.execute(
                f"SELECT DISTINCT {PARTITION_KEY} FROM {table.source.name} ORDER BY 1"
            ).fetchall()
        ]
        for chunk in chunk_days(days):
            connection.execute(merge_sql(table, chunk))
        rows[table.name] = int(connection.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])  # type: ignore[index]
    return rows


def compact_local(archive_root: Path | str) -> dict[str, int]:
    """Compact a local archive: the compacted tables' rows as Parquet under ``compacted/<table>/``."""
    root = Path(archive_root)
    connection = connect(root, compact=True)
    try:
        for table in COMPACTED_TABLES:
            directory = root / table.prefix
            directory.mkdir(parents=True, exist_ok=True)
            for old in compacted_files(root, table):
                old.unlink()
            target = _sql_string(str(directory / "part-00000.parquet"))
            connection.execute(f"COPY {table.name} TO {target} (FORMAT parquet, COMPRESSION zstd)")
        return {
            table.name: int(connection.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])  # type: ignore[index]
            for table in COMPACTED_TABLES
        }
    finally:
        connection.close()


def _write_as_athena_reads(root: Path, files: Sequence[Path], table: TableSpec, destination: Path) -> None:
    """Each file's lines as the Hive JSON SerDe reads them, under the same relative key in ``destination``."""
    for path in files:
        relative = path.relative_to(root)
        rows = [line.row for line in read_lines(path.read_text(encoding="utf-8"), table.columns, str(relative))]
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def run_query(connection: duckdb.DuckDBPyConnection, query: NamedQuery) -> QueryResult:
    cursor = connection.execute(query.duckdb_sql)
    columns = [column[0] for column in cursor.description or []]
    return QueryResult(name=query.name, columns=columns, rows=[tuple(row) for row in cursor.fetchall()])


def run_queries(
    archive_root: Path | str, names: Iterable[str] | None = None, as_of: datetime | None = None
) -> dict[str, QueryResult]:
    selected = [QUERIES_BY_NAME[name] for name in names] if names else list(NAMED_QUERIES)
    connection = connect(archive_root, as_of)
    try:
        return {query.name: run_query(connection, query) for query in selected}
    finally:
        connection.close()


def print_archive_queries(
    s3_client: Any,
    bucket: str,
    names: Sequence[str] = ("duration_and_candidates_per_mode", "best_metric_per_problem_type_by_week"),
    console: Console | None = None,
) -> dict[str, QueryResult]:
    """Download the archive's records and print some named queries' answers (the demo's data-lake section)."""
    with tempfile.TemporaryDirectory(prefix="automl-archive-records-") as directory:
        download_records(s3_client, bucket, Path(directory))
        results = run_queries(directory, names)
    console = console or stdout_console()
    for name, result in results.items():
        print_result(console, result, title=f"-- {QUERIES_BY_NAME[name].title} ({name})")
    return results
