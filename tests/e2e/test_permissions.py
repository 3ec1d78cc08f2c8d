"""Every AWS call each function makes is granted by its own role, and every grant is used.

The emulator runs each function as its deployed role (emulator.iam): a call the role does not grant is
denied there (and the e2e fixture fails on any denial it did not expect). What the evaluator authorized
for each role, mapped to IAM actions as AWS maps them (SendMessageBatch is sqs:SendMessage, an SNS
publish to a CMK-encrypted topic is also kms:GenerateDataKey and kms:Decrypt), is compared here with
the statements of the role the deployed template gives that function.
"""

from __future__ import annotations

from devtools.emulator.iam.enforcement import ENFORCEMENT
from devtools.emulator.scenarios import failing_job, schedule_all

# Granted for the event source mapping: what Lambda's documentation lists for the execution role of an SQS
# event source (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). The poller
# receives and deletes with the role (so does the pipeline); GetQueueAttributes is Lambda's check of the
# queue, not made as the role by the pipeline.
POLLER_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# Granted for the runtime (logs, traces), not called through boto3.
PLATFORM_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _authorized(role_arn: str) -> set[str]:
    return ENFORCEMENT.actions_authorized(role_arn)


def _granted(archive, handler: str) -> set[str]:
    template = archive.stack.template["Resources"]
    (function,) = [
        r for r in template.values() if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == handler
    ]
    role = template[function["Properties"]["Role"]["Fn::GetAtt"][0]]
    actions: set[str] = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions |= set(listed if isinstance(listed, list) else [listed])
    return actions


def test_the_archiver_calls_exactly_what_its_role_grants(archive):
    # Given the archiver as the pipeline runs it, as its role
    archive.pipeline.cold_start()
    role = archive.stack.function().role_arn
    ENFORCEMENT.authorized.clear()
    # When it follows a V2 job that fails (child events of every kind, sweep references, candidates, an alert)
    schedule_all(archive.simulator, [failing_job("perm-v2-fails", api="v2")])
    archive.run_until_idle()
    # And a job whose tuning job's name was cut to 32 characters: the name hint names no job, so the
    # tuning job's first training job proves the link
    cut = "perm-" + "x" * 27
    archive.simulator.create_job(cut, api="v1")
    archive.put([e for e in archive.simulator.tune_models(cut) if "HyperParameterTuningJobName" in e["detail"]])
    archive.pipeline.drain()
    # Then it was authorized exactly what its role grants (besides the runtime's; the poller's may be unused)
    granted = _granted(archive, "automl_archive.handlers.archiver.lambda_handler")
    calls = _authorized(role)
    assert calls - POLLER_ACTIONS == granted - POLLER_ACTIONS - PLATFORM_ACTIONS
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "kms:GenerateDataKey", "kms:Decrypt"} <= calls
    assert archive.status_of("perm-v2-fails") == "Failed"
    assert archive.status_of(cut) == "InProgress"


def test_the_sweep_calls_exactly_what_its_role_grants(archive):
    # Given the sweep function, run as its role
    archive.sweep.invoke()  # cold start: builds the sweep
    role = archive.sweep.function.role_arn
    ENFORCEMENT.authorized.clear()
    # When it runs over jobs the archive lacks (so it enqueues) and advances its watermark
    archive.simulator.create_job("perm-sweep-only", api="v2")
    archive.simulator.run_to_completion("perm-sweep-only")
    result = archive.sweep.invoke()
    # Then its calls are exactly its grants (apart from logs and X-Ray)
    granted = _granted(archive, "automl_archive.handlers.sweep.lambda_handler")
    assert result["enqueued"] >= 1
    assert _authorized(role) == granted - PLATFORM_ACTIONS
