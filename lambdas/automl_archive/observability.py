"""The one place that builds the Powertools logger, tracer and metrics.

Service name, namespace and log level come from the standard POWERTOOLS_* environment variables
that the stack sets, so every module shares one configuration.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
