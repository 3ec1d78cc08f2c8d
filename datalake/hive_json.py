"""What Athena's Hive JSON SerDe makes of one line of a record file: the local check's rules.

The Glue tables read ``records/`` with ``org.apache.hive.hcatalog.data.JsonSerDe`` (``datalake.tables``).
That reader is stricter than DuckDB's ``read_json`` in one way and looser in another, and the local
engine (``automl_archive_cli/local_query.py``) must answer as Athena would, so it passes every line
through :func:`read_row` first:

- **Stricter: types.** A JSON string (``"NaN"``, ``"0.9"``) or ``true`` in a ``double`` or ``bigint``
  column, a number in a ``boolean`` column, text that is not a timestamp in a ``timestamp`` column, a
  scalar where an array or struct belongs, and the non-standard ``NaN``/``Infinity`` tokens fail the
  whole query in Athena (``HIVE_BAD_DATA: Error parsing field value ...``); DuckDB converts or
  accepts them. Here they raise :class:`HiveBadData` naming the file, line and column. (AWS Knowledge
  Center, "Why does my Amazon Athena query fail with the error HIVE_BAD_DATA: Error parsing field
  value for field X", https://repost.aws/knowledge-center/athena-hive-bad-data-parsing-field-value:
  the type a table defines must match the source data.)
  A ``bigint`` accepts only a JSON integer here: Jackson would truncate ``1.5``, but no writer of this
  product emits one, so the check refuses rather than silently agrees.
- **Looser: key case.** Hive column names are lower case and the SerDe matches JSON keys to them
  without regard to case (struct fields too); DuckDB matches exactly and reads an upper-case key as
  NULL. Here keys are lower-cased first, and two keys equal but for case are refused, as Athena
  refuses them ("Duplicate key"). (Athena user guide, JSON SerDe libraries,
  https://docs.aws.amazon.com/athena/latest/ug/json-serde.html: keys are matched in lower case.)

Keys that name no column are ignored, as the SerDe ignores them. A JSON ``null`` is NULL in any column.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from automl_archive.models.record import BIGINT, BOOLEAN, DOUBLE, STRING, TIMESTAMP, Column

# The two shapes `datalake.tables.TIMESTAMP_FORMATS` parses: seconds with six fractional digits, or none,
# and an offset (ZZ: "+00:00").
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?[+-]\d{2}:\d{2}$")
NUMERIC_TYPES = (BIGINT, DOUBLE)


class HiveBadData(ValueError):
    """A value Athena's Hive JSON SerDe refuses: the whole query fails with HIVE_BAD_DATA."""

    def __init__(self, where: str, column: str, value: Any, expected: str) -> None:
        shown = json.dumps(value)[:80] if _json_representable(value) else repr(value)[:80]
        super().__init__(f"HIVE_BAD_DATA at {where}: column {column}: {shown} is not {expected}")
        self.column = column


def _json_representable(value: Any) -> bool:
    return not (isinstance(value, float) and not math.isfinite(value))


def split_top_level(text: str) -> list[str]:
    """``a:int,b:struct<c:int,d:int>`` → the top-level comma-separated parts."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def array_element(hive_type: str) -> str | None:
    hive_type = hive_type.strip()
    return hive_type[len("array<") : -1] if hive_type.startswith("array<") and hive_type.endswith(">") else None


def struct_fields(hive_type: str) -> list[tuple[str, str]] | None:
    hive_type = hive_type.strip()
    if not (hive_type.startswith("struct<") and hive_type.endswith(">")):
        return None
    fields = []
    for field in split_top_level(hive_type[len("struct<") : -1]):
        name, _, field_type = field.partition(":")
        fields.append((name.strip(), field_type.strip()))
    return fields


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON token {token}")


def parse_line(line: str) -> Any:
    """A JSON line as Jackson (Athena's parser) reads it: ``NaN``, ``Infinity`` and ``-Infinity`` refused."""
    return json.loads(line, parse_constant=_refuse_constant)


def _read_value(value: Any, hive_type: str, where: str, column: str) -> Any:
    if value is None:
        return None
    hive_type = hive_type.strip()
    if hive_type == STRING:
        if isinstance(value, dict | list):
            raise HiveBadData(where, column, value, "a string")
        return value if isinstance(value, str) else json.dumps(value)  # the SerDe takes a scalar's text
    if hive_type == BIGINT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise HiveBadData(where, column, value, "a JSON integer (bigint)")
        return value
    if hive_type == DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HiveBadData(where, column, value, "a JSON number (double)")
        return value
    if hive_type == BOOLEAN:
        if not isinstance(value, bool):
            raise HiveBadData(where, column, value, "true or false (boolean)")
        return value
    if hive_type == TIMESTAMP:
        if not isinstance(value, str) or not _TIMESTAMP.match(value):
            raise HiveBadData(where, column, value, "a timestamp in the table's timestamp.formats")
        return value
    element = array_element(hive_type)
    if element is not None:
        if not isinstance(value, list):
            raise HiveBadData(where, column, value, f"an array ({hive_type})")
        return [_read_value(item, element, where, f"{column}[{index}]") for index, item in enumerate(value)]
    fields = struct_fields(hive_type)
    if fields is not None:
        if not isinstance(value, dict):
            raise HiveBadData(where, column, value, f"an object ({hive_type})")
        by_lower = _lower_keys(value, where, column)
        return {
            name: _read_value(by_lower.get(name), field_type, where, f"{column}.{name}") for name, field_type in fields
        }
    raise ValueError(f"no rule for Hive type {hive_type!r}")


def _lower_keys(value: dict[str, Any], where: str, column: str) -> dict[str, Any]:
    lowered: dict[str, Any] = {}
    for key, item in value.items():
        lower = str(key).lower()
        if lower in lowered:
            raise HiveBadData(where, column, key, "a key of its own (another differs from it only in case)")
        lowered[lower] = item
    return lowered


def read_row(row: Any, columns: tuple[Column, ...], where: str) -> dict[str, Any]:
    """One record as Athena reads it: every column by its lower-cased key, typed, or HiveBadData."""
    if not isinstance(row, dict):
        raise HiveBadData(where, "(row)", row, "a JSON object")
    by_lower = _lower_keys(row, where, "(row)")
    return {column.name: _read_value(by_lower.get(column.name), column.type, where, column.name) for column in columns}


@dataclass(frozen=True)
class RecordLine:
    where: str  # "<file>:<line>"
    row: dict[str, Any]


def read_lines(text: str, columns: tuple[Column, ...], source: str) -> Iterator[RecordLine]:
    """Every non-blank line of a JSON Lines file, read as Athena reads it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            parsed = parse_line(line)
        except ValueError as error:
            raise HiveBadData(where, "(row)", line[:80], f"valid JSON ({error})") from None
        yield RecordLine(where, read_row(parsed, columns, where))
