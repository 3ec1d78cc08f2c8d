"""The demo's tables: aligned by rich, cells printed as text, no colour codes off a terminal."""

from __future__ import annotations

import pytest

from devtools.emulator.demo import table


def test_table_aligns_columns_and_prints_cells_literally(capsys: pytest.CaptureFixture[str]) -> None:
    # Given rows of unequal widths, one cell looking like rich markup
    rows = [["a", 1], ["a much longer name", "[bold]x[/bold]"]]

    # When printed to a captured (non-terminal) stdout
    table(["name", "value"], rows)

    # Then every column starts at the same offset, the markup is text and no escape codes appear
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert lines[0].startswith("name")
    offsets = {line.index(value) for line, value in zip(lines, ["value", "1", "[bold]x[/bold]"], strict=True)}
    assert len(offsets) == 1
    assert "\x1b[" not in "".join(lines)
