"""Where the command writes: rich consoles for stdout and stderr, and the progress bar.

Colour follows rich's own rules: none when the stream is not a terminal (piped, redirected) or when
NO_COLOR is set. Markup and highlighting are off, so job names and AWS messages print as they are.
When stdout is not a terminal its tables are not squeezed to 80 columns: a pipe gets whole rows.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

PIPED_WIDTH = 10_000  # no wrapping when the output goes to a file or another program


def stdout_console() -> Console:
    console = Console(markup=False, highlight=False, emoji=False)
    if console.is_terminal:
        return console
    return Console(markup=False, highlight=False, emoji=False, width=PIPED_WIDTH)


def stderr_console() -> Console:
    return Console(stderr=True, markup=False, highlight=False, emoji=False)


class JobsRateColumn(ProgressColumn):
    """Jobs per second over rich's recent samples."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("--.- jobs/s" if speed is None else f"{speed:5.1f} jobs/s")


class Progress:
    """Done/total, rate, ETA and elapsed time on stderr, drawn by rich; nothing when disabled.

    `note` shows a line without a total (while listing); `close` ends the bar (before a message on
    stderr, and at the end); a later `advance` draws a new bar from where the old one stopped.
    """

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.enabled = enabled
        self._console = console
        self._label = ""
        self._total: int | None = None
        self._done = 0
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    @classmethod
    def for_stderr(cls, disabled: bool) -> Progress:
        console = stderr_console()
        return cls(enabled=not disabled and console.is_terminal, console=console)

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._done = label, total, 0
        self._draw()

    def note(self, text: str) -> None:
        """A status line without a bar total (e.g. while listing)."""
        self._label, self._total = text, None
        self._draw()

    def advance(self, count: int = 1) -> None:
        self._done += count
        self._draw()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar, self._task = None, None

    def _draw(self) -> None:
        if not self.enabled:
            return
        if self._bar is None or self._task is None:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                JobsRateColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                console=self._console or stderr_console(),
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._bar.add_task(self._label, total=self._total, completed=self._done)
            self._bar.start()
        else:
            self._bar.update(self._task, description=self._label, total=self._total, completed=self._done)
