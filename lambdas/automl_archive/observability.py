"""The one place that builds the Powertools logger and metrics (the tracer: `handlers.tracing`).

Service name, namespace and log level come from the standard POWERTOOLS_* environment variables
that the stack sets, so every module shares one configuration.
"""

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
metrics = Metrics()


def count_with_dimension(name: str, dimension: str, value: str) -> None:
    """One count with an extra dimension (e.g. jobs finished by status), in its own EMF record.

    Powertools' single_metric does not honour POWERTOOLS_METRICS_DISABLED; this does, so local
    tools and tests that disable metrics print nothing.
    """
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name=dimension, value=value)


class PowertoolsMetrics:
    """The MetricsSink the functions use: Powertools' EMF metrics, flushed by the handler decorator."""

    def count(self, name: str, value: int = 1) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def seconds(self, name: str, value: float) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=value)

    def count_by(self, name: str, dimension: str, value: str) -> None:
        count_with_dimension(name, dimension, value)
