"""A query's answer and how the command prints it: a rich table for people, CSV for programs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

OUTPUT_FORMATS = ("table", "csv")
NO_ROWS = "(no rows)"


@dataclass(frozen=True)
class QueryResult:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def cell_text(value: object) -> str:
    """One value as text: None empty, floats without trailing noise, timestamps to the second."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def format_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """RFC 4180 CSV (header first, CRLF line ends as the csv module writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([cell_text(value) for value in row] for row in rows)
    return buffer.getvalue()


def result_table(columns: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> Table:
    table = Table(
        *columns, title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left", caption_justify="left"
    )
    for row in rows:
        table.add_row(*(cell_text(value) for value in row))
    if not rows:
        table.caption = NO_ROWS
    return table


def print_result(console: Console, result: QueryResult, output_format: str = "table", title: str | None = None) -> None:
    if output_format == "csv":
        console.file.write(format_csv(result.columns, result.rows))
        console.file.flush()
    else:
        if title:
            console.print(title)  # its own line: a table title wraps to the table's width
        console.print(result_table(result.columns, result.rows))
