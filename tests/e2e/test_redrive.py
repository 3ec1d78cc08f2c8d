"""`automl-archive redrive` against the deployed stack: every dead-letter queue is drained, and the
events of the rule DLQs are archived like any event.

Before this change the command moved only the work queue's DLQ, and the runbook sent the operator to
`start-message-move-task` for the rule DLQs, which SQS refuses (the emulator now refuses it too).
"""

from __future__ import annotations

import json

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

import automl_archive_cli.main as cli
from automl_archive_cli import redrive
from automl_archive_cli.aws import resolve_stack
from automl_archive_cli.dead_letter_queues import dead_letter_queues
from automl_archive_cli.operator_policy import operator_policy
from devtools.emulator.aws import REGION
from devtools.emulator.iam.enforcement import ENFORCEMENT
from devtools.emulator.lambda_invoke import invoked_in_process
from devtools.emulator.scheduled import ScheduledFunction
from devtools.emulator.sqs_move_tasks import NOT_A_DEAD_LETTER_QUEUE, SqsMoveTasks
from infra.config import COMPACTOR_HANDLER
from tests.e2e.test_cli_operations import ensure_athena_workgroup


def deployment_of(archive):
    return resolve_stack(archive.aws.client("cloudformation"), archive.stack.stack_name, REGION)


def dead_letter(archive, queue_url, body, rule_arn="arn:aws:events:us-east-1:123456789012:rule/r"):
    """A message as EventBridge leaves it in a target's DLQ: the event as body, the error as attributes."""
    archive.aws.client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(body) if not isinstance(body, str) else body,
        MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": "SQSError"},
            "RULE_ARN": {"DataType": "String", "StringValue": rule_arn},
        },
    )


def record_keys_of(archive, job_name):
    s3 = archive.aws.client("s3")
    answer = s3.list_objects_v2(Bucket=archive.stack.output("ArchiveBucketName"), Prefix="records/automl-jobs/")
    return [item["Key"] for item in answer.get("Contents", []) if f"/{job_name}--" in item["Key"]]


def depth(archive, queue_url):
    attributes = archive.aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def run_redrive(archive, *extra):
    with archive.as_operator():  # the operator policy, enforced as AWS would
        return cli.main(["redrive", "--stack-name", archive.stack.stack_name, *extra])


def test_the_cli_finds_every_dead_letter_queue_the_stack_deployed(archive):
    # Every SQS queue of the stack is the work queue or a DLQ the CLI drains: a DLQ added to the
    # stack without an output would fail this.
    cloudformation = archive.aws.client("cloudformation")
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=archive.stack.stack_name)
    deployed = {
        resource["PhysicalResourceId"].rsplit("/", 1)[-1]
        for page in pages
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::SQS::Queue"
    }
    deployment = deployment_of(archive)
    drained = {dlq.queue.url.rsplit("/", 1)[-1] for dlq in dead_letter_queues(deployment)}
    assert len(drained) == 5  # work queue DLQ, two rule target DLQs, sweep and compaction schedule DLQs
    assert deployed == drained | {deployment.work_queue_url.rsplit("/", 1)[-1]}


def test_sqs_refuses_a_move_task_from_a_rule_dlq(archive):
    # The runbook's old command: StartMessageMoveTask on a rule target's DLQ.
    deployment = deployment_of(archive)
    sqs = archive.aws.client("sqs")
    for rule_id, queue in deployment.rule_dead_letter_queues.items():
        with SqsMoveTasks(), pytest.raises(ClientError) as refused:
            sqs.start_message_move_task(SourceArn=queue.arn, DestinationArn=deployment.work_queue_arn)
        assert refused.value.response["Error"]["Message"] == NOT_A_DEAD_LETTER_QUEUE, rule_id


def test_events_in_the_rule_dlqs_are_redriven_and_archived(archive, capsys):
    deployment = deployment_of(archive)
    simulator = archive.simulator
    # Given a job known only from its CloudTrail event, one known only from a child-job event, one
    # reference the archiver gave up on, and a missed sweep: each in the DLQ where AWS would put it
    simulator.create_job("dlq-cloudtrail-job", api="v2")
    simulator.run_to_completion("dlq-cloudtrail-job")
    simulator.create_job("dlq-child-job")
    child_events = simulator.run_to_completion("dlq-child-job")
    simulator.create_job("dlq-reference-job")
    simulator.run_to_completion("dlq-reference-job")
    rules = deployment.rule_dead_letter_queues
    dead_letter(archive, rules["AutoMLApiCallRule"].url, simulator.creation_event("dlq-cloudtrail-job"))
    dead_letter(archive, rules["ChildJobStateChangeRule"].url, child_events[-1])
    dead_letter(archive, deployment.work_queue_dead_letter_queue.url, {"AutoMLJobName": "dlq-reference-job"})
    dead_letter(
        archive,
        deployment.sweep_schedule_dead_letter_queue.url,
        {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
    )
    with SqsMoveTasks():
        # When the operator checks first, then redrives
        assert run_redrive(archive, "--dry-run") == 0
        dry = capsys.readouterr().out
        assert "AutoMLApiCallRule DLQ: would move ~1 messages (receive, send, delete)" in dry
        assert archive.queue_depth("WorkQueueUrl") == 0
        code = run_redrive(archive)
        out = capsys.readouterr().out
    # Then each queue says what happened to it, and every DLQ is empty
    assert code == 0, out
    assert "work queue DLQ: moved 1 messages to the work queue (move task COMPLETED)" in out
    assert "AutoMLApiCallRule DLQ: moved 1 events to the work queue" in out
    assert "ChildJobStateChangeRule DLQ: moved 1 events to the work queue" in out
    assert "sweep schedule DLQ: acknowledged 1 missed sweep schedule events" in out
    assert all(depth(archive, dlq.queue.url) == 0 for dlq in dead_letter_queues(deployment))
    # And the deployed pipeline archives the jobs from those events like any event
    archive.run_until_idle()
    for name in ("dlq-cloudtrail-job", "dlq-child-job", "dlq-reference-job"):
        assert archive.status_of(name) == "Completed", name
    # And a second run finds nothing to do
    assert run_redrive(archive) == 0
    assert "Every dead-letter queue is empty: nothing to redrive." in capsys.readouterr().out


def test_a_redrive_interrupted_after_its_send_loses_nothing_when_run_again(archive, monkeypatch, capsys):
    deployment = deployment_of(archive)
    archive.simulator.create_job("dlq-interrupted-job")
    archive.simulator.run_to_completion("dlq-interrupted-job")
    api_dlq = deployment.rule_dead_letter_queues["AutoMLApiCallRule"]
    dead_letter(archive, api_dlq.url, archive.simulator.creation_event("dlq-interrupted-job"))
    real_delete = redrive._delete
    calls = []

    def delete_interrupted_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C after SendMessageBatch, before DeleteMessageBatch
        return real_delete(*args)

    monkeypatch.setattr(redrive, "_delete", delete_interrupted_once)
    # When the first run is interrupted between the send and the delete
    assert run_redrive(archive) == 130
    assert "nothing is lost: run redrive again" in capsys.readouterr().err
    # Then the event is in the work queue and still in the DLQ; a rerun sends it again and empties the DLQ
    assert depth(archive, api_dlq.url) == 1
    assert run_redrive(archive) == 0
    assert depth(archive, api_dlq.url) == 0
    assert archive.queue_depth("WorkQueueUrl") == 2  # the duplicate
    # And the job is archived once: one state, one record
    archive.run_until_idle()
    assert archive.status_of("dlq-interrupted-job") == "Completed"
    assert len(record_keys_of(archive, "dlq-interrupted-job")) == 1


def _iam_action(client, operation_name):
    """The IAM action that authorises an API call (SQS batch calls use their single-message action:
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html;
    S3 ListObjectsV2 is authorised by s3:ListBucket:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)."""
    prefix = client.meta.service_model.signing_name
    if prefix == "sqs" and operation_name.endswith("Batch"):
        operation_name = operation_name.removesuffix("Batch")
    if prefix == "s3" and operation_name == "ListObjectsV2":
        operation_name = "ListBucket"
    if prefix == "lambda" and operation_name == "Invoke":  # API_Invoke: lambda:InvokeFunction
        operation_name = "InvokeFunction"
    return f"{prefix}:{operation_name}"


def test_the_operator_policy_grants_every_action_the_commands_call(archive, monkeypatch, tmp_path, capsys):
    # Given a call recorder on every boto3 client (the CLI's and the archiver code it runs)
    called = set()
    real_call = BaseClient._make_api_call

    def recording(self, operation_name, params):
        # The operator's calls run with no emulated principal here; a function the operator invokes runs
        # as its own role (emulator.lambda_invoke), and those calls are the role's, not the operator's.
        if ENFORCEMENT.active() is None:
            called.add(_iam_action(self, operation_name))
        return real_call(self, operation_name, params)

    deployment = deployment_of(archive)
    simulator = archive.simulator
    for name in ("policy-done", "policy-failed", "policy-running"):
        simulator.create_job(name, api="v2" if name == "policy-running" else "v1")
    simulator.complete("policy-done")
    simulator.fail("policy-failed")
    dead_letter(
        archive, deployment.rule_dead_letter_queues["AutoMLApiCallRule"].url, simulator.creation_event("policy-done")
    )
    dead_letter(archive, deployment.work_queue_dead_letter_queue.url, {"AutoMLJobName": "policy-done"})
    dead_letter(
        archive,
        deployment.sweep_schedule_dead_letter_queue.url,
        {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
    )
    stack = ["--stack-name", archive.stack.stack_name]
    ensure_athena_workgroup(archive)
    compactor = ScheduledFunction.of(archive.aws, archive.stack, COMPACTOR_HANDLER)
    compactor.environment.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
    compactor.invoke()  # warm: its cold start reads its role, which is the emulator's call, not the operator's
    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    # When the operator runs every command
    outputs = {}
    with SqsMoveTasks(), invoked_in_process({compactor.function.name: compactor}):
        for argv in (
            ["backfill", "--name-contains", "policy-", "--no-progress", "--checkpoint", str(tmp_path / "a")],
            [
                "backfill",
                "--name-contains",
                "policy-",
                "--direct",
                "--no-progress",
                "--checkpoint",
                str(tmp_path / "b"),
            ],
            ["archive", "policy-failed", "--alerts"],  # --alerts: the operator may publish alerts
            ["archive", "policy-running"],
            ["status"],
            ["redrive"],
            ["rederive", "--dry-run", "--prefix", "raw/automl-jobs/policy-"],
            ["download-records", str(tmp_path / "records")],
            ["query", "latest_state_per_job"],
            ["compact"],  # the emulator runs the function in-process; its own calls are its role's
            ["operator-policy"],
        ):
            code = cli.main([*argv, *stack])
            outputs[argv[0]] = capsys.readouterr()
            assert code == 0, (argv, outputs[argv[0]])
    monkeypatch.undo()
    printed = json.loads(outputs["operator-policy"].out)
    assert printed == operator_policy(deployment)
    granted = {action for statement in printed["Statement"] for action in statement["Action"]}
    # Then the documented policy grants every action they called (resources are the IAM evaluator's part)
    assert called - granted == set()
    # and nothing they never call: SNS calls KMS on the publisher's behalf, ChangeMessageVisibility
    # is only called when a redrive is interrupted, and Athena reads the Glue tables and writes and
    # reads its results in S3 with the caller's permissions (moto's Athena runs no query)
    assert granted - called == {
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "sqs:ChangeMessageVisibility",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetBucketLocation",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
