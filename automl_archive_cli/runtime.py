"""Running the product's own archiver from the operator's machine.

`quiet_powertools` keeps the Lambda package's observability off the command's stdout: Powertools
3.37 honours POWERTOOLS_METRICS_DISABLED only when metrics are flushed, but `add_metric` itself
prints an EMF blob to stdout whenever a metric reaches 100 values (and raises without a namespace),
so the shared `metrics` object's `add_metric` is replaced by a no-op for the command's duration.
Logs go to stderr at WARNING (INFO with --verbose).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from automl_archive.composition import build_job_archiver
from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.dal.aws import SageMakerApi
from automl_archive.logic.archive import JobArchiver
from automl_archive.observability import logger, metrics
from automl_archive_cli.aws import Deployment


@contextmanager
def quiet_powertools(verbose: bool = False) -> Iterator[None]:
    saved_env = {name: os.environ.get(name) for name in ("POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_LOG_LEVEL")}
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO" if verbose else "WARNING"
    previous_level = logger.log_level
    handler = getattr(logger, "logger_handler", None)
    previous_stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)
    metrics.add_metric = _discard_metric  # type: ignore[method-assign]
    try:
        yield
    finally:
        del metrics.add_metric
        logger.setLevel(previous_level)
        if isinstance(handler, logging.StreamHandler) and previous_stream is not None:
            handler.setStream(previous_stream)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _discard_metric(*_: Any, **__: Any) -> None:
    return None


def archiver_settings(deployment: Deployment, function_environment: dict[str, str]) -> ArchiverSettings:
    """The deployed archiver's settings, validated by the product's own model (stack outputs win)."""
    environ = {
        **function_environment,
        "JOBS_TABLE_NAME": deployment.jobs_table_name,
        "ARCHIVE_BUCKET_NAME": deployment.archive_bucket_name,
        "ALERTS_TOPIC_ARN": deployment.alerts_topic_arn,
    }
    return ArchiverSettings.from_environ(environ)


def build_archiver(settings: ArchiverSettings, sagemaker: SageMakerApi) -> JobArchiver:
    """A JobArchiver wired to the real DAL classes, as the Lambda handler builds it, with every
    client created in this thread (the backfill's workers share them)."""
    return build_job_archiver(settings, sagemaker=sagemaker, connect_now=True)
