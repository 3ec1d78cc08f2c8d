"""What monitoring watches, shared by the alarms (monitoring.py) and the dashboard (dashboard.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

RUNBOOK = "docs/operations.md"  # each alarm's description names its section


@dataclass(frozen=True)
class MonitoredResources:
    """What the alarms and the dashboard watch."""

    archiver: lambda_.IFunction
    sweep: lambda_.IFunction
    compactor: lambda_.IFunction
    work_queue: sqs.IQueue
    # Every dead-letter queue of the stack, by a short name used in alarm names and the dashboard.
    dead_letter_queues: Mapping[str, sqs.IQueue]
