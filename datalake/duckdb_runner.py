"""Run the named queries' DuckDB text over a local copy of the archive's ``records/`` tree.

The proof, on a laptop, that the queries answer what they claim: the tables are DuckDB views over
the same hive-partitioned JSON Lines the Glue tables read, typed from the same schema.

    python -m datalake.duckdb_runner --dir ./archive-copy            # a directory holding records/
    python -m datalake.duckdb_runner --bucket B [--query NAME ...]   # downloads records/ first (boto3)

``archive_now()`` is the queries' clock: the current UTC time, or ``--as-of`` for a reproducible answer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import duckdb

from datalake.queries import NAMED_QUERIES, QUERIES_BY_NAME, TABLES, NamedQuery, duckdb_empty_source, duckdb_source

RECORDS_ROOT = "records/"


@dataclass(frozen=True)
class QueryResult:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def download_records(s3_client: Any, bucket: str, destination: Path, prefix: str = RECORDS_ROOT) -> int:
    """Copy every object under ``records/`` into ``destination`` (same relative keys); returns the count."""
    count = 0
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


def connect(archive_root: Path | str, as_of: datetime | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table and the ``archive_now()`` clock macro."""
    root = Path(archive_root)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    if as_of is None:
        connection.execute("CREATE MACRO archive_now() AS CAST(now() AS TIMESTAMP)")
    else:
        stamp = as_of.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        connection.execute(f"CREATE MACRO archive_now() AS TIMESTAMP '{stamp}'")
    for table in TABLES:
        has_files = any((root / table.prefix).glob("*/*.jsonl"))
        source = duckdb_source(table, str(root)) if has_files else duckdb_empty_source(table)
        connection.execute(f"CREATE VIEW {table.name} AS {source}")
    return connection


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


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table (None shown as empty, floats without trailing noise)."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, datetime):
            return value.isoformat(sep=" ", timespec="seconds")
        return str(value)

    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    lines = ["  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(c.ljust(width) for c, width in zip(row, widths, strict=True)) for row in cells]
    if not cells:
        lines.append("(no rows)")
    return "\n".join(lines)


def print_results(results: dict[str, QueryResult], out: Any = None) -> None:
    out = out or sys.stdout
    for name, result in results.items():
        query = QUERIES_BY_NAME[name]
        print(f"\n-- {query.title} ({name})", file=out)
        print(format_table(result.columns, result.rows), file=out)


def print_archive_queries(
    s3_client: Any,
    bucket: str,
    names: Sequence[str] = ("duration_and_candidates_per_mode", "best_metric_per_problem_type_by_week"),
    out: Any = None,
) -> dict[str, QueryResult]:
    """Download the archive's records and print some named queries' answers (the demo's data-lake section)."""
    with tempfile.TemporaryDirectory(prefix="automl-archive-records-") as directory:
        download_records(s3_client, bucket, Path(directory))
        results = run_queries(directory, names)
    print_results(results, out)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datalake.duckdb_runner", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dir", type=Path, help="a local directory holding the archive's records/ tree")
    source.add_argument("--bucket", help="the archive bucket (ArchiveBucketName output); records/ is downloaded")
    parser.add_argument("--region", help="AWS region of the bucket")
    parser.add_argument("--query", action="append", choices=sorted(QUERIES_BY_NAME), help="run only these")
    parser.add_argument("--as-of", type=datetime.fromisoformat, help="the queries' clock (ISO-8601, UTC default)")
    args = parser.parse_args(argv)
    as_of = args.as_of.replace(tzinfo=args.as_of.tzinfo or UTC) if args.as_of else None
    if args.dir:
        print_results(run_queries(args.dir, args.query, as_of))
        return 0
    s3 = boto3.client("s3", region_name=args.region)
    with tempfile.TemporaryDirectory(prefix="automl-archive-records-") as directory:
        count = download_records(s3, args.bucket, Path(directory))
        print(f"downloaded {count} record files from s3://{args.bucket}/{RECORDS_ROOT}")
        print_results(run_queries(directory, args.query, as_of))
    return 0


if __name__ == "__main__":
    sys.exit(main())
