"""Running the product's own archiver from the operator's machine.

The archiver counts into a sink that keeps nothing (CloudWatch metrics are the functions' business;
Powertools' `add_metric` would print EMF to stdout at 100 values). `quiet_powertools` keeps the
Lambda package's structured logs on stderr and off an operator's terminal unless they are errors
(ERROR and above; INFO and WARNING with --verbose): what the command has to say, it says in its own
one-line messages.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from automl_archive.composition import build_job_archiver
from automl_archive.contracts.settings import (
    ALERTS_TOPIC_ARN,
    ARCHIVE_BUCKET_NAME,
    JOBS_TABLE_NAME,
    STATE_CHANGE_EVENT_BUS,
    ArchiverSettings,
)
from automl_archive.dal.aws import SageMakerApi
from automl_archive.logic.archive import JobArchiver
from automl_archive.observability import logger
from automl_archive_cli.aws import Deployment


@contextmanager
def quiet_powertools(verbose: bool = False) -> Iterator[None]:
    level = logging.INFO if verbose else logging.ERROR
    saved_env = {name: os.environ.get(name) for name in ("POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_LOG_LEVEL")}
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = logging.getLevelName(level)
    previous_level = logger.log_level
    handler = getattr(logger, "logger_handler", None)
    previous_stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    logger.setLevel(level)
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)
    # Other libraries' log records (botocore's, say) reach Python's last-resort handler, which prints
    # WARNING and above when nothing else is configured: hold them to the same level.
    root = logging.getLogger()
    fallback = logging.StreamHandler(sys.stderr) if not root.handlers else None
    if fallback is not None:
        fallback.setLevel(logging.WARNING if verbose else logging.ERROR)
        root.addHandler(fallback)
    try:
        yield
    finally:
        if fallback is not None:
            root.removeHandler(fallback)
        logger.setLevel(previous_level)
        if isinstance(handler, logging.StreamHandler) and previous_stream is not None:
            handler.setStream(previous_stream)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class DiscardedMetrics:
    """The MetricsSink of the operator command: what the archiver counts is not published from here."""

    def count(self, name: str, value: int = 1) -> None:
        return None

    def seconds(self, name: str, value: float) -> None:
        return None

    def count_by(self, name: str, dimension: str, value: str) -> None:
        return None


def archiver_settings(deployment: Deployment, function_environment: dict[str, str]) -> ArchiverSettings:
    """The deployed archiver's settings, validated by the product's own model (stack outputs win)."""
    environ = {
        **function_environment,
        JOBS_TABLE_NAME: deployment.jobs_table_name,
        ARCHIVE_BUCKET_NAME: deployment.archive_bucket_name,
        ALERTS_TOPIC_ARN: deployment.alerts_topic_arn,
        # A state the command archives publishes its event as the function would (none: no bus output).
        STATE_CHANGE_EVENT_BUS: deployment.state_change_event_bus_arn or "",
    }
    return ArchiverSettings.from_environ(environ)


def build_archiver(settings: ArchiverSettings, sagemaker: SageMakerApi) -> JobArchiver:
    """A JobArchiver wired to the real DAL classes, as the Lambda handler builds it, with every
    client created in this thread (the backfill's workers share them)."""
    return build_job_archiver(settings, sagemaker=sagemaker, connect_now=True, metrics=DiscardedMetrics())
