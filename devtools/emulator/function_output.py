"""Where an in-process function's output goes, as Lambda sends a function's stdout and stderr to its log.

Powertools' Logger writes through a `logging.StreamHandler` bound to the stdout of the moment the first
Logger of its service was built, and its Metrics print EMF lines to `sys.stdout`. While a function's code
runs (cold start and handler), `output_to(stream)` sends both, and anything else the code prints or warns,
to `stream`, so a tool such as the demo keeps its own terminal output apart from the functions' logs.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TextIO


def _stream_handlers() -> list[logging.StreamHandler[TextIO]]:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [
        handler
        for logger in loggers
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
    ]


@contextlib.contextmanager
def output_to(stream: TextIO | None) -> Iterator[None]:
    """Send what the block writes to stdout or stderr (prints, warnings, logging handlers on either) to
    `stream`; None leaves the output where it is.

    Process-wide, like `contextlib.redirect_stdout`: not for invocations that overlap in threads.
    """
    if stream is None:
        yield
        return
    terminal = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if s is not None}
    moved = [(handler, handler.stream) for handler in _stream_handlers() if id(handler.stream) in terminal]
    for handler, _ in moved:
        handler.setStream(stream)
    try:
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            yield
    finally:
        for handler, previous in moved:
            handler.setStream(previous)
