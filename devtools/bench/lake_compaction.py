"""The data lake's compaction: what Athena reads per named query, from the JSON tables vs the compacted ones.

Generates an archive (`devtools/bench/lake_archive.py`: 100,000 job states by default over 120 days, with
their candidates and child jobs), compacts it with `compact_local` (the compaction function's own MERGE
text in DuckDB, written as zstd Parquet) and, for each named query that reads a compacted table, models
what Athena scans:

- JSON (before compaction; the baseline): Athena reads every object of each partition the query's ``dt``
  bound selects, whole (a text format has no column pruning). The bound is parsed from the query's
  Athena text, ``<table> WHERE dt >= CAST(current_date - INTERVAL 'N' DAY AS varchar)``: for the JSON
  table behind each compacted table, the largest N the query uses on either.
- Compacted: the Parquet column chunks of the columns the query names (identifiers of the query text
  that are the compacted table's columns, after removing the full column lists of its UNION arms, which
  the engine prunes), plus each file's footer; plus every object of the JSON days the query still reads
  (``dt`` of today and yesterday: ``UNCOMPACTED_DAYS``). Objects: the Parquet files, the Iceberg
  metadata each table read costs (metadata.json, a manifest list, a manifest: 3) and those JSON objects.
  Row groups are not skipped by ``dt`` statistics (a conservative figure).

Correctness guard, on the same data: each query's answer over the compacted Parquet plus the JSON days
the query reads (``connect(compact=False)``: what Athena answers after a compaction), over the Parquet
with every JSON day merged again (``connect``'s default, what ``run_queries`` answers), and over every
JSON day merged into empty tables (no compaction at all) must be identical; a difference is reported
(``answers_match`` false and a ``mismatches`` list), never hidden.

The local engine reads a copy of the same lines bundled into one object per table and day (DuckDB's
read_json costs about 1.5 ms per file: 100,000 files would take minutes); bytes and objects are counted
on the per-state objects, as the archiver writes them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from automl_archive.contracts.lake_tables import COMPACTED_TABLES, PARTITION_KEY, TABLES, CompactedTableSpec, TableSpec
from automl_archive_cli.local_query import compact_local, compacted_files, connect, merge_all_days, run_query
from datalake.named_queries import NAMED_QUERIES, NamedQuery
from devtools.bench.lake_archive import AS_OF, write_archive

ICEBERG_METADATA_OBJECTS = 3  # per Iceberg table read: metadata.json, a manifest list, a manifest
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class ObjectsRead:
    objects: int
    bytes: int

    def __add__(self, other: ObjectsRead) -> ObjectsRead:
        return ObjectsRead(self.objects + other.objects, self.bytes + other.bytes)


NOTHING = ObjectsRead(0, 0)


# ---------------------------------------------------------------- what a query's Athena text reads


def lookback_days(athena_sql: str, table_name: str) -> int | None:
    """The largest N of the query's ``<table> WHERE dt >= CAST(current_date - INTERVAL 'N' DAY AS varchar)``
    bounds on ``table_name``; None when the query does not read the table."""
    pattern = re.compile(
        rf"\bFROM\s+{re.escape(table_name)}\s+WHERE\s+{PARTITION_KEY}\s*>=\s*"
        rf"CAST\(\s*current_date\s*-\s*INTERVAL\s*'(\d+)'\s*DAY\s+AS\s+varchar\s*\)",
        re.IGNORECASE,
    )
    days = [int(match) for match in pattern.findall(athena_sql)]
    if not days and re.search(rf"\b{re.escape(table_name)}\b", athena_sql):
        raise ValueError(f"reads {table_name} without a dt bound this bench can parse")
    return max(days) if days else None


def compacted_tables_read(query: NamedQuery) -> list[CompactedTableSpec]:
    return [table for table in COMPACTED_TABLES if lookback_days(query.athena_sql, table.name) is not None]


def referenced_columns(athena_sql: str, table: CompactedTableSpec) -> list[str]:
    """The table's columns the query names. The UNION arms list every column (``SELECT a, b, ... FROM``)
    and the engine prunes those the query never uses, so those lists are removed first; string
    literals too. A name used for another table's column counts as well (over-counts, never under)."""
    text = _STRING_LITERAL.sub("''", athena_sql)
    for spec in COMPACTED_TABLES:
        text = text.replace(", ".join(column.name for column in spec.columns), " ")
    named = set(_IDENTIFIER.findall(text))
    return [column.name for column in table.columns if column.name in named]


# ---------------------------------------------------------------- what the files hold


def json_objects(root: Path, table: TableSpec, since: date) -> ObjectsRead:
    """Every object of the JSON table's partitions ``dt >= since``, whole."""
    first = since.isoformat()
    read = NOTHING
    for day, objects in _partitions(root, table.prefix).items():
        if day >= first:
            read += objects
    return read


@functools.cache
def _partitions(root: Path, prefix: str) -> dict[str, ObjectsRead]:
    """Objects and bytes per ``dt`` of a JSON table (listed once per run: the archive does not change)."""
    listing: dict[str, ObjectsRead] = {}
    for day in (root / prefix).glob(f"{PARTITION_KEY}=*"):
        sizes = [entry.stat().st_size for entry in os.scandir(day)]
        listing[day.name.removeprefix(f"{PARTITION_KEY}=")] = ObjectsRead(len(sizes), sum(sizes))
    return listing


def footer_bytes(path: Path) -> int:
    """The Parquet footer a reader fetches first: its length field, then the 8-byte tail."""
    with path.open("rb") as handle:
        handle.seek(-8, 2)
        tail = handle.read(8)
    if tail[4:] != b"PAR1":
        raise ValueError(f"{path} is not a Parquet file")
    return int.from_bytes(tail[:4], "little") + 8


def parquet_read(files: Iterable[Path], columns: Iterable[str]) -> ObjectsRead:
    """The column chunks of ``columns`` (a nested column's every leaf) in every row group, plus footers."""
    wanted = set(columns)
    connection = duckdb.connect()
    try:
        objects = size = 0
        for path in files:
            chunks = connection.execute(
                "SELECT path_in_schema, total_compressed_size FROM parquet_metadata(?)", [str(path)]
            ).fetchall()
            size += sum(int(chunk_size) for leaf, chunk_size in chunks if _top_level(str(leaf)) in wanted)
            size += footer_bytes(path)
            objects += 1
        return ObjectsRead(objects, size)
    finally:
        connection.close()


def _top_level(path_in_schema: str) -> str:
    return re.split(r"[,.]", path_in_schema, maxsplit=1)[0].strip()


def bytes_read(root: Path, query: NamedQuery, as_of: datetime) -> dict[str, Any]:
    """What Athena reads for one query before compaction (JSON only) and after (Parquet + recent JSON)."""
    today = as_of.date()
    compacted = compacted_tables_read(query)
    baseline = after = NOTHING
    parquet = NOTHING
    metadata_objects = 0
    columns: dict[str, list[str]] = {}
    for source in TABLES:
        direct = lookback_days(query.athena_sql, source.name)
        via = [lookback_days(query.athena_sql, table.name) for table in compacted if table.source is source]
        baseline_days = max([days for days in (direct, *via) if days is not None], default=None)
        if baseline_days is not None:
            baseline += json_objects(root, source, date.fromordinal(today.toordinal() - baseline_days))
        if direct is not None:
            after += json_objects(root, source, date.fromordinal(today.toordinal() - direct))
    for table in compacted:
        columns[table.name] = referenced_columns(query.athena_sql, table)
        parquet += parquet_read(compacted_files(root, table), columns[table.name])
        metadata_objects += ICEBERG_METADATA_OBJECTS
    uncompacted = after
    after += parquet
    return {
        "json_bytes": baseline.bytes,
        "json_objects": baseline.objects,
        "compacted_bytes": after.bytes,
        "compacted_objects": after.objects + metadata_objects,
        "ratio": after.bytes / baseline.bytes if baseline.bytes else None,
        "objects_ratio": (after.objects + metadata_objects) / baseline.objects if baseline.objects else None,
        "parquet_bytes": parquet.bytes,
        "parquet_files": parquet.objects,
        "iceberg_metadata_objects": metadata_objects,
        "uncompacted_json_bytes": uncompacted.bytes,
        "uncompacted_json_objects": uncompacted.objects,
        "columns": columns,
    }


# ---------------------------------------------------------------- answers


def answers(connection: duckdb.DuckDBPyConnection, queries: Iterable[NamedQuery]) -> dict[str, list[tuple[Any, ...]]]:
    return {query.name: run_query(connection, query).rows for query in queries}


def compare_answers(engine_root: Path, queries: list[NamedQuery], as_of: datetime) -> dict[str, Any]:
    """Each query's answer three ways (see the module's docstring) over a compacted local archive."""
    connection = connect(engine_root, as_of, compact=False)
    try:
        as_athena = answers(connection, queries)  # compacted Parquet + the JSON days each query reads
        merge_all_days(connection)
        merged_again = answers(connection, queries)  # run_queries: Parquet present, every day merged
        for table in COMPACTED_TABLES:
            connection.execute(f"DELETE FROM {table.name}")
        merge_all_days(connection)
        json_only = answers(connection, queries)  # no compaction: every JSON day merged into empty tables
    finally:
        connection.close()
    result: dict[str, Any] = {}
    for query in queries:
        name = query.name
        mismatches, rounding, examples = [], 0, []
        for label, rows in (("compacted+merged", merged_again[name]), ("json only", json_only[name])):
            same, differences = same_answer(as_athena[name], rows)
            rounding += differences
            if not same:
                mismatches.append(label)
                examples += [
                    f"{label}: {mine!r} vs {theirs!r}"
                    for mine, theirs in zip(as_athena[name], rows, strict=False)
                    if mine != theirs
                ][:3]
        result[name] = {
            "rows": len(as_athena[name]),
            "answers_match": not mismatches,
            "mismatches": mismatches,
            "mismatch_examples": examples,
            "float_rounding_differences": rounding,
        }
    return result


def same_answer(expected: list[tuple[Any, ...]], actual: list[tuple[Any, ...]]) -> tuple[bool, int]:
    """(equal, how many values differ by the last rounded digit only). A double rounded by the query
    (``round(sum(x), 3)``) can land either side of a rounding boundary when the engine adds the same
    values in another order (DuckDB's parallel aggregation does): that is not a different answer. Rows
    reordered by such a value are compared in a canonical order."""
    if len(expected) != len(actual):
        return False, 0
    differences = 0
    for pair in (
        zip(expected, actual, strict=True),
        zip(sorted(expected, key=repr), sorted(actual, key=repr), strict=True),
    ):
        differences = 0
        for left, right in pair:
            if len(left) != len(right):
                return False, 0
            for a, b in zip(left, right, strict=True):
                if a == b:
                    continue
                if isinstance(a, float) and isinstance(b, float) and _last_digit_apart(a, b):
                    differences += 1
                    continue
                break
            else:
                continue
            break
        else:
            return True, differences
    return False, differences


def _last_digit_apart(a: float, b: float) -> bool:
    decimals = max(_decimals(a), _decimals(b))
    return decimals <= 6 and abs(a - b) <= 1.000001 * 10.0**-decimals


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.partition(".")[2]) if "e" not in text else 99


# ---------------------------------------------------------------- the piece


def measure(states: int, seed: int = 15, as_of: datetime = AS_OF, workdir: Path | None = None) -> dict[str, Any]:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="automl-archive-lake-bench-", dir=workdir) as directory:
        root, days = Path(directory) / "archive", Path(directory) / "by-day"
        generated = write_archive(root, states, seed=seed, as_of=as_of, days_root=days)
        started = time.perf_counter()
        compacted_rows = compact_local(days)
        compaction_seconds = time.perf_counter() - started
        for table in COMPACTED_TABLES:  # the compacted tables beside the per-state objects, as in S3
            shutil.copytree(days / table.prefix, root / table.prefix)
        queries = [query for query in NAMED_QUERIES if compacted_tables_read(query)]
        per_query = {query.name: bytes_read(root, query, as_of) for query in queries}
        started = time.perf_counter()
        checked = compare_answers(days, queries, as_of)
        check_seconds = time.perf_counter() - started
        for name, figures in per_query.items():
            figures.update(checked[name])
        _partitions.cache_clear()
        parquet_sizes = {
            table.name: sum(path.stat().st_size for path in compacted_files(root, table)) for table in COMPACTED_TABLES
        }
    return {
        "as_of": as_of.isoformat(),
        "states": generated.states,
        "generated": generated.as_json(),
        "generation_seconds": generated.seconds,
        "compaction_seconds": compaction_seconds,
        "answer_check_seconds": check_seconds,
        "compacted_rows": compacted_rows,
        "parquet_bytes": parquet_sizes,
        "queries": per_query,
        "json_only_queries": [query.name for query in NAMED_QUERIES if not compacted_tables_read(query)],
        "answers_match": all(figures["answers_match"] for figures in per_query.values()),
        "seconds": time.perf_counter() - began,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['states']:,} states ({result['generated']['bytes'] / 1e6:.0f} MB of JSON) generated in "
        f"{result['generation_seconds']:.1f} s; compacted in {result['compaction_seconds']:.1f} s"
    )
    header = f"{'query':40s} {'JSON MB':>9s} {'objects':>8s} {'compacted MB':>13s} {'objects':>8s} {'ratio':>7s}"
    print(f"{header} rows  answers")
    for name, figures in result["queries"].items():
        verdict = "same" if figures["answers_match"] else "DIFFER: " + ", ".join(figures["mismatches"])
        print(
            f"{name:40s} {figures['json_bytes'] / 1e6:9.2f} {figures['json_objects']:8d} "
            f"{figures['compacted_bytes'] / 1e6:13.3f} {figures['compacted_objects']:8d} {figures['ratio']:6.3f}x "
            f"{figures['rows']:5d} {verdict}"
        )
        for example in figures["mismatch_examples"]:
            print(f"    {example}")
    print(f"(took {result['seconds']:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", type=int, default=100_000, help="job states to generate (8 per job)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    result = measure(args.states, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
