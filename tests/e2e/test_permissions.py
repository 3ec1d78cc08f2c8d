"""Every AWS call each function makes is granted by its own role, and every grant is used.

The functions' boto3 clients are instrumented after they are built (no production hook): each call's
service and operation is recorded and mapped to its IAM action, then compared with the statements of
the role the deployed template gives that function.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.scenarios import failing_job, schedule_all

# Operations whose IAM action is named differently from the API operation.
IAM_ACTION = {"sqs:SendMessageBatch": "sqs:SendMessage"}
# Granted for the event source mapping (Lambda's poller calls them, not the function's code).
POLLER_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
# Granted for the runtime and KMS-encrypted SNS, not called by the code through boto3.
PLATFORM_ACTIONS = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "kms:GenerateDataKey",
    "kms:Decrypt",
}


def _record_calls(dal_objects: list[Any], calls: set[str]) -> None:
    for dal in dal_objects:
        client = dal._client
        prefix = client.meta.service_model.signing_name

        def record(event_name: str, prefix: str = prefix, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            action = f"{prefix}:{operation}"
            calls.add(IAM_ACTION.get(action, action))

        client.meta.events.register("before-call", record)


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


def test_the_exporter_calls_exactly_what_its_role_grants(archive):
    # Given the exporter as the pipeline built it, its clients instrumented
    archive.pipeline.cold_start()
    exporter = sys.modules["automl_archive.handlers.exporter"].build_exporter()
    dal_objects = [exporter._sagemaker, exporter._store, exporter._archive, exporter._notifier, exporter._queue]
    calls: set[str] = set()
    _record_calls(dal_objects, calls)
    # When it follows a V2 job that fails (child events of every kind, re-checks, candidates, an alert)
    schedule_all(archive.simulator, [failing_job("perm-v2-fails", api="v2")])
    archive.run_until_idle()
    # And a job whose tuning job's name was cut to 32 characters: the name hint names no job, so the
    # tuning job's first training job proves the link
    cut = "perm-" + "x" * 27
    archive.simulator.create_job(cut, api="v1")
    archive.put([e for e in archive.simulator.tune_models(cut) if "HyperParameterTuningJobName" in e["detail"]])
    archive.pipeline.drain()
    # Then it called exactly what its role grants (besides the poller's, the runtime's and KMS's)
    granted = _granted(archive, "automl_archive.handlers.exporter.lambda_handler")
    assert calls == granted - POLLER_ACTIONS - PLATFORM_ACTIONS
    assert archive.status_of("perm-v2-fails") == "Failed"
    assert archive.status_of(cut) == "InProgress"


def test_the_sweep_calls_exactly_what_its_role_grants(archive):
    # Given the sweep function, its clients instrumented
    archive.sweep.invoke()  # cold start: builds the sweep
    sweep = sys.modules["automl_archive.handlers.sweep"].build_sweep()
    calls: set[str] = set()
    _record_calls([sweep._sagemaker, sweep._store, sweep._queue], calls)
    # When it runs over jobs the archive lacks (so it enqueues) and advances its watermark; the job
    # changes after the last sweep's watermark (the sweep reads the real clock)
    real_now = datetime.now(UTC)
    if archive.simulator.clock.now() < real_now:
        archive.simulator.clock.advance_to(real_now + timedelta(minutes=1))
    archive.simulator.create_job("perm-sweep-only", api="v2")
    archive.simulator.run_to_completion("perm-sweep-only")
    result = archive.sweep.invoke()
    # Then its calls are exactly its grants (apart from logs and X-Ray)
    granted = _granted(archive, "automl_archive.handlers.sweep.lambda_handler")
    assert result["enqueued"] >= 1
    assert calls == granted - PLATFORM_ACTIONS
