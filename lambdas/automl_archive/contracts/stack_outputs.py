"""The names of the stack's CloudFormation outputs: written by `infra/stack.py`, read by the CLI.

Defined once, in the Lambda package (the home of shared facts; this module imports nothing heavy), so the stack
and the command line cannot drift apart. Each name is also the output's logical id, so it stays
stable across deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The stack's name unless the deployer chooses another (CDK context `stack_name`; the CLI's --stack-name).
DEFAULT_STACK_NAME = "AutoMLJobArchive"

WORK_QUEUE_URL = "WorkQueueUrl"
WORK_QUEUE_ARN = "WorkQueueArn"
JOBS_TABLE_NAME = "JobsTableName"
ARCHIVE_BUCKET_NAME = "ArchiveBucketName"
ALERTS_TOPIC_ARN = "AlertsTopicArn"
ALERTS_KEY_ARN = "AlertsKeyArn"
ARCHIVER_FUNCTION_NAME = "ArchiverFunctionName"
SWEEP_FUNCTION_NAME = "SweepFunctionName"
COMPACTION_FUNCTION_NAME = "CompactionFunctionName"
GLUE_DATABASE_NAME = "GlueDatabaseName"
ATHENA_WORKGROUP_NAME = "AthenaWorkGroupName"
OPERATIONS_TOPIC_ARN = "OperationsTopicArn"
DASHBOARD_NAME = "DashboardName"
# Present when the stack publishes the AutoML Job State Change event (CDK context state_change_events).
STATE_CHANGE_EVENT_BUS_ARN = "StateChangeEventBusArn"
# Present when the hub admits spokes (CDK context spokes or spoke_organization_id): their events' bus.
CENTRAL_BUS_ARN = "CentralBusArn"
# Present when spokes are registered: the registry as the functions read it (contracts/spoke.py), so
# `automl-archive status` can report each spoke's sweep.
SPOKES = "Spokes"


@dataclass(frozen=True)
class QueueOutputs:
    """The pair of outputs that locate one queue: its URL (for SQS calls) and ARN (for IAM and move tasks)."""

    url: str
    arn: str


# The work queue's own dead-letter queue (its redrive policy's target). The URL output predates the
# others and keeps its short name.
WORK_QUEUE_DEAD_LETTER_QUEUE = QueueOutputs(url="DeadLetterQueueUrl", arn="DeadLetterQueueArn")
# The dead-letter queue of the sweep schedule's Lambda target.
SWEEP_SCHEDULE_DEAD_LETTER_QUEUE = QueueOutputs(
    url="SweepScheduleDeadLetterQueueUrl", arn="SweepScheduleDeadLetterQueueArn"
)
# The dead-letter queue of the compaction schedule's Lambda target.
COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE = QueueOutputs(
    url="CompactionScheduleDeadLetterQueueUrl", arn="CompactionScheduleDeadLetterQueueArn"
)

_RULE_DLQ_URL_PREFIX = "RuleDeadLetterQueueUrl"
_RULE_DLQ_ARN_PREFIX = "RuleDeadLetterQueueArn"
RULE_DEAD_LETTER_QUEUE_URLS = f"{_RULE_DLQ_URL_PREFIX}<RuleId>"  # how messages name the family


def rule_dead_letter_queue(rule_id: str) -> QueueOutputs:
    """The outputs of one EventBridge rule target's dead-letter queue (one per rule, named by its id)."""
    if not rule_id.isalnum():
        raise ValueError(f"rule id {rule_id!r} must be alphanumeric to be part of an output logical id")
    return QueueOutputs(url=f"{_RULE_DLQ_URL_PREFIX}{rule_id}", arn=f"{_RULE_DLQ_ARN_PREFIX}{rule_id}")


def rule_ids(outputs: Mapping[str, str]) -> list[str]:
    """The rule ids whose target dead-letter queue the outputs name (the inverse of `rule_dead_letter_queue`)."""
    return sorted(key.removeprefix(_RULE_DLQ_URL_PREFIX) for key in outputs if key.startswith(_RULE_DLQ_URL_PREFIX))


# What every command needs from a stack of this product (resolve_stack refuses a stack without them).
REQUIRED = (
    WORK_QUEUE_URL,
    WORK_QUEUE_ARN,
    WORK_QUEUE_DEAD_LETTER_QUEUE.url,
    WORK_QUEUE_DEAD_LETTER_QUEUE.arn,
    SWEEP_SCHEDULE_DEAD_LETTER_QUEUE.url,
    SWEEP_SCHEDULE_DEAD_LETTER_QUEUE.arn,
    COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE.url,
    COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE.arn,
    JOBS_TABLE_NAME,
    ARCHIVE_BUCKET_NAME,
    ALERTS_TOPIC_ARN,
    ALERTS_KEY_ARN,
    ARCHIVER_FUNCTION_NAME,
    COMPACTION_FUNCTION_NAME,
)
