"""Errors the command line reports as one clear line (no traceback)."""

from __future__ import annotations

EXIT_FAILED = 1  # the command ran, but some of its work failed
EXIT_USAGE = 2  # configuration problem: credentials, region, stack, endpoint
EXIT_INTERRUPTED = 130  # Ctrl-C


class CliError(Exception):
    """A problem the operator has to fix; `str(error)` is the whole message."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
