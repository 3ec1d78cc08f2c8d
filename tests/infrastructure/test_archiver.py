"""The archiver function: configuration, trigger, log group, layer and its exact IAM permissions."""

from __future__ import annotations

from aws_cdk.assertions import Match

from .conftest import Synthesized, render

ARCHIVER_HANDLER = "automl_archive.handlers.archiver.lambda_handler"
SAGEMAKER_ARN = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"


def _id(synthesized: Synthesized, resource_type: str, props: dict | None = None) -> str:
    return synthesized.only(resource_type, props)[0]


def test_function_runtime_architecture_handler_and_tracing(synthesized: Synthesized) -> None:
    # Given the one function
    _, function = synthesized.function(ARCHIVER_HANDLER)
    properties = function["Properties"]
    # Then it runs the archiver handler on Python 3.13 / arm64 with active tracing
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == "automl_archive.handlers.archiver.lambda_handler"
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["MemorySize"] == 512
    assert properties["Timeout"] == 60
    # And it uses the stack's own dependency layer, not a public one
    assert [render(layer) for layer in properties["Layers"]] == [
        f"${{{_id(synthesized, 'AWS::Lambda::LayerVersion')}}}"
    ]


def test_function_environment_is_exactly_what_the_code_reads(synthesized: Synthesized) -> None:
    # Given the function's environment variables
    _, function = synthesized.function(ARCHIVER_HANDLER)
    variables = {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}
    # Then the names are exactly the contract with lambdas/, with values from resources and context
    archive_bucket = _id(synthesized, "AWS::S3::Bucket", {"VersioningConfiguration": Match.any_value()})
    assert variables == {
        "JOBS_TABLE_NAME": f"${{{_id(synthesized, 'AWS::DynamoDB::Table')}}}",
        "ARCHIVE_BUCKET_NAME": f"${{{archive_bucket}}}",
        "ALERTS_TOPIC_ARN": f"${{{_id(synthesized, 'AWS::SNS::Topic', {'DisplayName': 'AutoML job alerts'})}}}",
        "ALERT_ON_STATUSES": "Failed,Stopped",
        "CHILD_LINK_TTL_DAYS": "14",
        "ALERT_CLAIM_LEASE_SECONDS": "120",
        "ALERT_MAX_AGE_HOURS": "24",
        "SAGEMAKER_RETRY_MODE": "adaptive",
        "SAGEMAKER_MAX_ATTEMPTS": "3",
        "STATE_CHANGE_EVENT_BUS": f"${{{_id(synthesized, 'AWS::Events::EventBus')}.Arn}}",
        # The hub's own account and Region: jobs there need no spoke role (docs/multi-account.md)
        "HUB_ACCOUNT_ID": "${AWS::AccountId}",
        "HUB_REGION": "${AWS::Region}",
        "POWERTOOLS_SERVICE_NAME": "automl-archive",
        "POWERTOOLS_METRICS_NAMESPACE": "AutoMLArchive",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_event_source_mapping_batches_reports_failures_and_caps_concurrency(synthesized: Synthesized) -> None:
    # Given the one event source mapping
    _, mapping = synthesized.only("AWS::Lambda::EventSourceMapping")
    properties = mapping["Properties"]
    work_queue = _id(synthesized, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    # Then it reads the work queue with the context's batch size and concurrency cap
    assert render(properties["EventSourceArn"]) == f"${{{work_queue}.Arn}}"
    assert properties["BatchSize"] == 8
    assert properties["MaximumBatchingWindowInSeconds"] == 5
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["ScalingConfig"] == {"MaximumConcurrency": 7}


def test_function_logs_to_its_own_log_group_with_context_retention(synthesized: Synthesized) -> None:
    # Given the log group and the function
    _, function = synthesized.function(ARCHIVER_HANDLER)
    log_group_id, log_group = synthesized.log_group_of(function)
    # Then the function writes to that group, which keeps logs for the context's 30 days
    assert render(function["Properties"]["LoggingConfig"]["LogGroup"]) == f"${{{log_group_id}}}"
    assert log_group["Properties"]["RetentionInDays"] == 30


def _expected_permissions(synthesized: Synthesized) -> set[tuple[str, str]]:
    table = _id(synthesized, "AWS::DynamoDB::Table")
    bucket = _id(synthesized, "AWS::S3::Bucket", {"VersioningConfiguration": Match.any_value()})
    topic = _id(synthesized, "AWS::SNS::Topic", {"DisplayName": "AutoML job alerts"})
    key = _id(synthesized, "AWS::KMS::Key", {"Description": "Encrypts the AutoML job archive alerts topic"})
    work_queue = _id(synthesized, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    log_group, _ = synthesized.log_group_of(synthesized.function(ARCHIVER_HANDLER)[1])
    expected = {
        ("sagemaker:DescribeAutoMLJob", f"{SAGEMAKER_ARN}:automl-job/*"),
        ("sagemaker:DescribeAutoMLJobV2", f"{SAGEMAKER_ARN}:automl-job/*"),
        # No resource type in the Service Authorization Reference: only "*" grants it.
        ("sagemaker:ListCandidatesForAutoMLJob", "*"),
        ("sagemaker:DescribeTrainingJob", f"{SAGEMAKER_ARN}:training-job/*"),
        ("sagemaker:DescribeProcessingJob", f"{SAGEMAKER_ARN}:processing-job/*"),
        ("sagemaker:DescribeTransformJob", f"{SAGEMAKER_ARN}:transform-job/*"),
        ("sagemaker:ListTrainingJobsForHyperParameterTuningJob", f"{SAGEMAKER_ARN}:hyper-parameter-tuning-job/*"),
        ("s3:PutObject", f"${{{bucket}.Arn}}/raw/automl-jobs/*"),
        ("s3:PutObject", f"${{{bucket}.Arn}}/records/automl-jobs/*"),
        ("s3:PutObject", f"${{{bucket}.Arn}}/records/automl-candidates/*"),
        # The child-job table: one row per finished training, processing or transform job.
        ("s3:PutObject", f"${{{bucket}.Arn}}/records/automl-child-jobs/*"),
        ("sns:Publish", f"${{{topic}}}"),
        ("kms:GenerateDataKey", f"${{{key}.Arn}}"),
        ("kms:Decrypt", f"${{{key}.Arn}}"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
        # The AutoML Job State Change event, on the one bus the context names (here one the stack creates).
        ("events:PutEvents", f"${{{_id(synthesized, 'AWS::Events::EventBus')}.Arn}}"),
    }
    expected |= {
        (action, f"${{{table}.Arn}}") for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
    }
    expected |= {
        (action, f"${{{work_queue}.Arn}}")
        for action in (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        )
    }
    expected |= {(action, f"${{{log_group}.Arn}}") for action in ("logs:CreateLogStream", "logs:PutLogEvents")}
    return expected


def test_archiver_role_allows_exactly_the_calls_the_code_makes(synthesized: Synthesized) -> None:
    # Given the function's role
    _, function = synthesized.function(ARCHIVER_HANDLER)
    role_id, role = synthesized.role_of(function)
    assert render(function["Properties"]["Role"]) == f"${{{role_id}.Arn}}"
    # When its statements are flattened into (action, resource) pairs
    granted: set[tuple[str, str]] = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not {"NotAction", "NotResource", "Condition"} & statement.keys()
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            granted |= {(action, render(resource)) for action in actions for resource in resources}
    # Then they equal the documented list: nothing missing, nothing extra
    expected = _expected_permissions(synthesized)
    assert granted - expected == set(), "granted but not expected"
    assert expected - granted == set(), "expected but not granted"


def test_archiver_role_has_no_managed_or_separate_policies(synthesized: Synthesized) -> None:
    # Given the role and the template
    _, role = synthesized.role_of(synthesized.function(ARCHIVER_HANDLER)[1])
    # Then no AWS managed policy is attached and no helper added a separate policy resource
    assert "ManagedPolicyArns" not in role["Properties"]
    synthesized.template.resource_count_is("AWS::IAM::Policy", 0)
    synthesized.template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_function_asset_keeps_requirements_and_drops_bytecode(synthesized: Synthesized) -> None:
    # Given the function's code asset directory
    function_id, _ = synthesized.function(ARCHIVER_HANDLER)
    asset = synthesized.asset_dir(function_id)
    # Then it is lambdas/ with requirements.txt kept and no compiled files
    assert (asset / "requirements.txt").is_file()
    assert not list(asset.rglob("__pycache__")) and not list(asset.rglob("*.pyc"))
