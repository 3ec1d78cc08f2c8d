"""Whole-template checks: cdk-nag, cfn-lint, outputs, tags."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import lint

import app as cdk_app

from .conftest import TEST_CONTEXT, Synthesized

# Every acknowledged cdk-nag finding, by construct path. A new acknowledgement must be added here.
EXPECTED_ACKNOWLEDGEMENTS = {
    "Archiver/Role": {
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:automl-job/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:processing-job/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:transform-job/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:"
        "hyper-parameter-tuning-job/*]",
        "AwsSolutions-IAM5[Resource::<StorageArchiveBucketC50834F0.Arn>/raw/automl-jobs/*]",
        "AwsSolutions-IAM5[Resource::<StorageArchiveBucketC50834F0.Arn>/records/automl-jobs/*]",
        "AwsSolutions-IAM5[Resource::<StorageArchiveBucketC50834F0.Arn>/records/automl-candidates/*]",
        "AwsSolutions-IAM5[Resource::<StorageArchiveBucketC50834F0.Arn>/records/automl-child-jobs/*]",
        "AwsSolutions-IAM5[Resource::*]",
        "Serverless-LambdaStarPermissions",
    },
    "Archiver/Function": {"AwsSolutions-L1", "Serverless-LambdaLatestVersion", "Serverless-LambdaDLQ"},
    # The SQS event source mapping (its id names the work queue).
    f"Archiver/Function/SqsEventSource:{TEST_CONTEXT['stack_name']}IngestWorkQueue3525F5DA": {
        "Serverless-LambdaEventSourceMappingDestination"
    },
    "Ingest/DeadLetterQueue": {"Serverless-SQSRedrivePolicy"},
    "Ingest/ChildJobStateChangeRuleDeadLetterQueue": {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"},
    "Ingest/AutoMLApiCallRuleDeadLetterQueue": {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"},
    "Sweep/Role": {"AwsSolutions-IAM5[Resource::*]", "Serverless-LambdaStarPermissions"},
    "Sweep/Function": {"AwsSolutions-L1", "Serverless-LambdaLatestVersion", "Serverless-LambdaDLQ"},
    "Sweep/ScheduleDeadLetterQueue": {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"},
    "Compaction/Role": {
        "AwsSolutions-IAM5[Resource::*]",
        "Serverless-LambdaStarPermissions",
        *(
            f"AwsSolutions-IAM5[Resource::<StorageArchiveBucketC50834F0.Arn>/{prefix}*]"
            for prefix in (
                "records/automl-jobs/",
                "records/automl-candidates/",
                "records/automl-child-jobs/",
                "compacted/automl_jobs_latest/",
                "compacted/automl_candidates_compacted/",
                "compacted/automl_child_jobs_compacted/",
                "athena-results/",
            )
        ),
    },
    "Compaction/Function": {
        "AwsSolutions-L1",
        "Serverless-LambdaLatestVersion",
        "Serverless-LambdaDLQ",
        "Serverless-LambdaAsyncFailureDestination",
    },
    "Compaction/ScheduleDeadLetterQueue": {"AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"},
    # One per e-mail subscription (the test context has two alert and one ops address).
    **{
        f"{topic}/{email}": {"Serverless-SNSRedrivePolicy"}
        for topic, emails in (
            ("Alerts/Topic", TEST_CONTEXT["alert_emails"]),
            ("Monitoring/Topic", TEST_CONTEXT["ops_emails"]),
        )
        for email in emails
    },
}

OUTPUTS = [
    "WorkQueueUrl",
    "WorkQueueArn",
    "DeadLetterQueueUrl",
    "JobsTableName",
    "ArchiveBucketName",
    "AlertsTopicArn",
    "ArchiverFunctionName",
    "SweepFunctionName",
    "GlueDatabaseName",
    "AthenaWorkGroupName",
    "OperationsTopicArn",
    "DashboardName",
]


def _acknowledgements(synthesized: Synthesized) -> dict[str, dict[str, str]]:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found: dict[str, dict[str, str]] = {}
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                path = construct.node.path.removeprefix(f"{synthesized.stack.stack_name}/")
                found.setdefault(path, {}).update(
                    {rule.split("::", 1)[-1]: reason for rule, reason in entry.data.items()}
                )
    return found


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    # Given the app synthesised as app.py does (cdk-nag AwsSolutions and Serverless as validation plugins)
    # When the validation report is read
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    # Then synthesis succeeded (the fixture) and no plugin reported a violation
    assert report["pluginReports"] == []


def test_every_acknowledgement_is_specific_and_on_the_narrowest_construct(synthesized: Synthesized) -> None:
    # Given every acknowledgement recorded in the construct tree
    acknowledgements = _acknowledgements(synthesized)
    # Then each is on a single resource's construct (never the app or stack) and is the expected set
    assert {path: set(rules) for path, rules in acknowledgements.items()} == EXPECTED_ACKNOWLEDGEMENTS
    # And each has a real reason
    for rules in acknowledgements.values():
        for rule, reason in rules.items():
            assert len(reason.strip()) >= 40, f"{rule}: reason too short: {reason!r}"


def test_an_unacknowledged_finding_fails_synthesis(tmp_path) -> None:
    # Given the app with an extra queue that has no dead-letter queue (AwsSolutions-SQS3)
    application = cdk_app.build_app(TEST_CONTEXT, outdir=str(tmp_path))
    stack = application.node.find_child(TEST_CONTEXT["stack_name"])
    sqs.Queue(stack, "UncheckedQueue", enforce_ssl=True)
    # When the app is synthesised
    # Then cdk-nag stops the synthesis
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        application.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert "AwsSolutions-SQS3" in violations


# W3005 (redundant DependsOn): lambda.Function always adds an explicit DependsOn on its role.
ACCEPTED_CFN_LINT_RULES = {"W3005"}


def test_cfn_lint_finds_no_error_or_unexpected_warning(synthesized: Synthesized) -> None:
    # Given the synthesized template
    template = json.dumps(synthesized.template.to_json())
    # When cfn-lint checks it
    matches = lint(template, regions=["us-east-1", "eu-west-1"])
    # Then it reports no errors, and no warnings besides the accepted ones
    errors = [f"{m.rule.id} {m.path_string}: {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    warnings = [
        f"{m.rule.id} {m.path_string}: {m.message}"
        for m in matches
        if m.rule.id.startswith("W") and m.rule.id not in ACCEPTED_CFN_LINT_RULES
    ]
    assert warnings == []


def test_outputs_have_fixed_logical_ids(synthesized: Synthesized) -> None:
    # Given the template's outputs
    outputs = synthesized.template.to_json()["Outputs"]
    # Then each tool-facing output exists under its fixed id
    for name in OUTPUTS:
        assert name in outputs, name
        assert outputs[name]["Value"]


def test_resources_carry_the_project_tag(synthesized: Synthesized) -> None:
    # Given the taggable resources
    for resource_type in ("AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic"):
        for resource in synthesized.template.find_resources(resource_type).values():
            # Then they carry the project tag
            assert {"Key": "project", "Value": "automl-job-archive"} in resource["Properties"]["Tags"]
