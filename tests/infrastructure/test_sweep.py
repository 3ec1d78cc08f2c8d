"""The reconcile sweep: schedule, one-at-a-time function, its exact permissions, its target's DLQ."""

from __future__ import annotations

from aws_cdk.assertions import Match

from .conftest import Synthesized, render

SWEEP_HANDLER = "automl_archive.handlers.sweep.lambda_handler"


def test_schedule_runs_the_sweep_at_the_context_interval_with_its_own_dlq(synthesized: Synthesized) -> None:
    # Given the scheduled rule
    _, rule = synthesized.only("AWS::Events::Rule", {"Description": "Runs the reconcile sweep"})
    function_id, _ = synthesized.function(SWEEP_HANDLER)
    # Then it fires every 20 minutes (test context) and targets the sweep with a DLQ and bounded retries
    assert rule["Properties"]["ScheduleExpression"] == "rate(20 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert render(target["Arn"]) == f"${{{function_id}.Arn}}"
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    dlq = synthesized.resources[dlq_id]["Properties"]
    assert dlq["SqsManagedSseEnabled"] is True


def test_sweep_function_reserves_no_concurrency_by_default_with_its_settings(synthesized: Synthesized) -> None:
    _, function = synthesized.function(SWEEP_HANDLER)
    properties = function["Properties"]
    # A reservation fails the whole deploy in accounts with a low concurrency quota: opt-in only
    assert "ReservedConcurrentExecutions" not in properties
    assert (properties["Runtime"], properties["Architectures"], properties["Timeout"]) == ("python3.13", ["arm64"], 300)
    variables = {k: render(v) for k, v in properties["Environment"]["Variables"].items()}
    table_id = synthesized.only("AWS::DynamoDB::Table")[0]
    work_queue_id = synthesized.only("AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})[0]
    assert variables == {
        "JOBS_TABLE_NAME": f"${{{table_id}}}",
        "WORK_QUEUE_URL": f"${{{work_queue_id}}}",
        "SWEEP_OVERLAP_SECONDS": "600",
        "SWEEP_INITIAL_LOOKBACK_DAYS": "7",
        "SAGEMAKER_RETRY_MODE": "adaptive",
        "SAGEMAKER_MAX_ATTEMPTS": "3",
        # The hub's own account and Region: jobs there need no spoke role (docs/multi-account.md)
        "HUB_ACCOUNT_ID": "${AWS::AccountId}",
        "HUB_REGION": "${AWS::Region}",
        "POWERTOOLS_SERVICE_NAME": "automl-archive",
        "POWERTOOLS_METRICS_NAMESPACE": "AutoMLArchive",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_sweep_role_allows_exactly_the_calls_its_code_makes(synthesized: Synthesized) -> None:
    # Given the sweep's role
    _, function = synthesized.function(SWEEP_HANDLER)
    _, role = synthesized.role_of(function)
    log_group_id, _ = synthesized.log_group_of(function)
    table_id = synthesized.only("AWS::DynamoDB::Table")[0]
    work_queue_id = synthesized.only("AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})[0]
    # When flattened to (action, resource)
    granted = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            granted |= {(a, render(r)) for a in actions for r in resources}
    # Then it is the list, read-only on SageMaker, and '*' only where the API requires it
    assert granted == {
        ("sagemaker:ListAutoMLJobs", "*"),
        ("dynamodb:BatchGetItem", f"${{{table_id}.Arn}}"),
        ("dynamodb:GetItem", f"${{{table_id}.Arn}}"),
        ("dynamodb:UpdateItem", f"${{{table_id}.Arn}}"),
        ("dynamodb:Query", f"${{{table_id}.Arn}}/index/AlertsDue"),  # the alerts still due, only
        ("dynamodb:Query", f"${{{table_id}.Arn}}/index/EventsDue"),  # the state-change events still due, only
        ("sqs:SendMessage", f"${{{work_queue_id}.Arn}}"),
        ("logs:CreateLogStream", f"${{{log_group_id}.Arn}}"),
        ("logs:PutLogEvents", f"${{{log_group_id}.Arn}}"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    assert "ManagedPolicyArns" not in role["Properties"]
