"""The data-lake compaction: its hourly schedule, no Lambda retries, its exact permissions, and no
Iceberg table in the template (the function owns those tables' schema through Athena DDL)."""

from __future__ import annotations

from automl_archive.contracts.lake_tables import COMPACTED_TABLES, TABLES
from infra.config import COMPACTOR_HANDLER

from .conftest import TEST_CONTEXT, Synthesized, render

STACK = TEST_CONTEXT["stack_name"]


def _granted(synthesized: Synthesized) -> set[tuple[str, str]]:
    _, function = synthesized.function(COMPACTOR_HANDLER)
    _, role = synthesized.role_of(function)
    granted = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            granted |= {(a, render(r)) for a in actions for r in resources}
    return granted


def test_the_compactor_runs_hourly_with_no_lambda_retry_and_its_own_dlq(synthesized: Synthesized) -> None:
    function_id, function = synthesized.function(COMPACTOR_HANDLER)
    _, rule = synthesized.only("AWS::Events::Rule", {"Description": "Runs the data-lake compaction"})
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    (target,) = rule["Properties"]["Targets"]
    assert render(target["Arn"]) == f"${{{function_id}.Arn}}"
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 1800, "MaximumRetryAttempts": 1}
    assert "DeadLetterConfig" in target
    # A Lambda retry would overlap the failed run's statements still finishing in Athena
    _, invoke_config = synthesized.only("AWS::Lambda::EventInvokeConfig")
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0
    assert render(invoke_config["Properties"]["FunctionName"]) == f"${{{function_id}}}"
    assert function["Properties"]["Timeout"] == 900


def test_the_template_has_the_json_tables_and_no_iceberg_table(synthesized: Synthesized) -> None:
    # A CloudFormation update of an Iceberg table would replace its parameters, metadata pointer included
    tables = synthesized.template.find_resources("AWS::Glue::Table")
    names = {table["Properties"]["TableInput"]["Name"] for table in tables.values()}
    assert names == {table.name for table in TABLES}
    assert not any("OpenTableFormatInput" in table["Properties"] for table in tables.values())


def test_the_compactor_role_allows_its_calls_and_athenas_on_its_behalf_and_no_more(synthesized: Synthesized) -> None:
    granted = _granted(synthesized)
    variables = synthesized.function(COMPACTOR_HANDLER)[1]["Properties"]["Environment"]["Variables"]
    bucket = render(variables["ARCHIVE_BUCKET_NAME"]).strip("${}")
    glue = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
    database = STACK.lower()
    workgroup = f"arn:${{AWS::Partition}}:athena:${{AWS::Region}}:${{AWS::AccountId}}:workgroup/{STACK}"
    compacted = {f"{glue}:table/{database}/{t.name}" for t in COMPACTED_TABLES}
    json_tables = {f"{glue}:table/{database}/{t.name}" for t in TABLES}
    ancestors = {f"{glue}:catalog", f"{glue}:database/{database}"}
    by_action: dict[str, set[str]] = {}
    for action, resource in granted:
        by_action.setdefault(action, set()).add(resource)
    assert by_action["athena:StartQueryExecution"] == {workgroup}
    assert by_action["athena:StopQueryExecution"] == {workgroup}
    # Only the compacted tables may be created or committed to; the JSON tables are read
    assert by_action["glue:CreateTable"] == by_action["glue:UpdateTable"] == ancestors | compacted
    assert by_action["glue:GetTable"] == ancestors | compacted | json_tables
    lease = f"${{{bucket}.Arn}}/compaction-state/lease.json"
    assert by_action["s3:DeleteObject"] == {f"${{{bucket}.Arn}}/{t.prefix}*" for t in COMPACTED_TABLES} | {lease}
    assert lease in by_action["s3:PutObject"]
    assert f"${{{bucket}.Arn}}/compaction-state/watermark.json" in by_action["s3:PutObject"]
    assert not any(resource.endswith("/raw/automl-jobs/*") for resource in by_action["s3:GetObject"])
    assert set(by_action) == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:StopQueryExecution",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:CreateTable",
        "glue:UpdateTable",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
