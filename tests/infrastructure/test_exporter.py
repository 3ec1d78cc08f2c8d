"""The exporter function: configuration, trigger, log group, layer and its exact IAM permissions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match

from infra import layer_bundling

from .conftest import Synthesized, render

EXPORTER_HANDLER = "automl_archive.handlers.exporter.lambda_handler"
SAGEMAKER_ARN = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"


def _id(synthesized: Synthesized, resource_type: str, props: dict | None = None) -> str:
    return synthesized.only(resource_type, props)[0]


def test_function_runtime_architecture_handler_and_tracing(synthesized: Synthesized) -> None:
    # Given the one function
    _, function = synthesized.function(EXPORTER_HANDLER)
    properties = function["Properties"]
    # Then it runs the exporter handler on Python 3.13 / arm64 with active tracing
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == "automl_archive.handlers.exporter.lambda_handler"
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["MemorySize"] == 512
    assert properties["Timeout"] == 60
    # And it uses the stack's own dependency layer, not a public one
    assert [render(layer) for layer in properties["Layers"]] == [
        f"${{{_id(synthesized, 'AWS::Lambda::LayerVersion')}}}"
    ]


def test_function_environment_is_exactly_what_the_code_reads(synthesized: Synthesized) -> None:
    # Given the function's environment variables
    _, function = synthesized.function(EXPORTER_HANDLER)
    variables = {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}
    # Then the names are exactly the contract with lambdas/, with values from resources and context
    work_queue = _id(synthesized, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    archive_bucket = _id(synthesized, "AWS::S3::Bucket", {"VersioningConfiguration": Match.any_value()})
    assert variables == {
        "JOBS_TABLE_NAME": f"${{{_id(synthesized, 'AWS::DynamoDB::Table')}}}",
        "ARCHIVE_BUCKET_NAME": f"${{{archive_bucket}}}",
        "ALERTS_TOPIC_ARN": f"${{{_id(synthesized, 'AWS::SNS::Topic', {'DisplayName': 'AutoML job alerts'})}}}",
        "WORK_QUEUE_URL": f"${{{work_queue}}}",
        "ALERT_ON_STATUSES": "Failed,Stopped",
        "RECHECK_BASE_DELAY_SECONDS": "30",
        "RECHECK_MAX_DELAY_SECONDS": "600",
        "CHILD_LINK_TTL_DAYS": "14",
        "ALERT_CLAIM_LEASE_SECONDS": "120",
        "SAGEMAKER_RETRY_MODE": "adaptive",
        "SAGEMAKER_MAX_ATTEMPTS": "3",
        "POWERTOOLS_SERVICE_NAME": "automl-archive",
        "POWERTOOLS_METRICS_NAMESPACE": "AutoMLArchive",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_event_source_mapping_batches_reports_failures_and_caps_concurrency(synthesized: Synthesized) -> None:
    # Given the one event source mapping
    _, mapping = synthesized.only("AWS::Lambda::EventSourceMapping")
    properties = mapping["Properties"]
    # Then it reads the work queue with the context's batch size and concurrency cap
    work_queue = _id(synthesized, "AWS::SQS::Queue", {"RedrivePolicy": Match.any_value()})
    assert render(properties["EventSourceArn"]) == f"${{{work_queue}.Arn}}"
    assert properties["BatchSize"] == 8
    assert properties["MaximumBatchingWindowInSeconds"] == 5
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["ScalingConfig"] == {"MaximumConcurrency": 7}


def test_function_logs_to_its_own_log_group_with_context_retention(synthesized: Synthesized) -> None:
    # Given the log group and the function
    _, function = synthesized.function(EXPORTER_HANDLER)
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
    log_group, _ = synthesized.log_group_of(synthesized.function(EXPORTER_HANDLER)[1])
    expected = {
        ("sagemaker:DescribeAutoMLJob", f"{SAGEMAKER_ARN}:automl-job/*"),
        ("sagemaker:DescribeAutoMLJobV2", f"{SAGEMAKER_ARN}:automl-job/*"),
        # No resource type in the Service Authorization Reference: only "*" grants it.
        ("sagemaker:ListCandidatesForAutoMLJob", "*"),
        ("sagemaker:DescribeTrainingJob", f"{SAGEMAKER_ARN}:training-job/*"),
        ("sagemaker:DescribeProcessingJob", f"{SAGEMAKER_ARN}:processing-job/*"),
        ("sagemaker:DescribeTransformJob", f"{SAGEMAKER_ARN}:transform-job/*"),
        ("sagemaker:ListTrainingJobsForHyperParameterTuningJob", f"{SAGEMAKER_ARN}:hyper-parameter-tuning-job/*"),
        ("s3:PutObject", f"${{{bucket}.Arn}}/raw/*"),
        ("s3:PutObject", f"${{{bucket}.Arn}}/records/*"),
        ("sns:Publish", f"${{{topic}}}"),
        ("kms:GenerateDataKey", f"${{{key}.Arn}}"),
        ("kms:Decrypt", f"${{{key}.Arn}}"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    expected |= {
        (action, f"${{{table}.Arn}}") for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
    }
    expected |= {
        (action, f"${{{work_queue}.Arn}}")
        for action in (
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        )
    }
    expected |= {(action, f"${{{log_group}.Arn}}") for action in ("logs:CreateLogStream", "logs:PutLogEvents")}
    return expected


def test_exporter_role_allows_exactly_the_calls_the_code_makes(synthesized: Synthesized) -> None:
    # Given the function's role
    _, function = synthesized.function(EXPORTER_HANDLER)
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


def test_exporter_role_has_no_managed_or_separate_policies(synthesized: Synthesized) -> None:
    # Given the role and the template
    _, role = synthesized.role_of(synthesized.function(EXPORTER_HANDLER)[1])
    # Then no AWS managed policy is attached and no helper added a separate policy resource
    assert "ManagedPolicyArns" not in role["Properties"]
    synthesized.template.resource_count_is("AWS::IAM::Policy", 0)
    synthesized.template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_function_asset_keeps_requirements_and_drops_bytecode(synthesized: Synthesized) -> None:
    # Given the function's code asset directory
    function_id, _ = synthesized.function(EXPORTER_HANDLER)
    asset = synthesized.asset_dir(function_id)
    # Then it is lambdas/ with requirements.txt kept and no compiled files
    assert (asset / "requirements.txt").is_file()
    assert not list(asset.rglob("__pycache__")) and not list(asset.rglob("*.pyc"))


def test_layer_holds_the_dependencies_but_not_the_aws_sdk(synthesized: Synthesized) -> None:
    # Given the layer's bundled asset directory
    layer_id, layer = synthesized.only("AWS::Lambda::LayerVersion")
    site = synthesized.asset_dir(layer_id) / "python"
    # Then Powertools and the X-Ray SDK are there, for Python 3.13 on arm64
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "aws_xray_sdk").is_dir()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # And the packages the Lambda runtime provides were removed
    for provided in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        assert not (site / provided).exists(), provided


def test_layer_hash_follows_requirements(tmp_path: Path) -> None:
    # Given two requirement files that differ by one pin
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("aws-lambda-powertools[tracer]==3.37.0\n")
    second.write_text("aws-lambda-powertools[tracer]==3.38.0\n")
    # Then their layer hashes differ, and the hash is stable for the same file
    assert layer_bundling.layer_hash(first) != layer_bundling.layer_hash(second)
    assert layer_bundling.layer_hash(first) == layer_bundling.layer_hash(first)


def test_local_bundler_copies_from_the_cache_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cache already holding the layer for these requirements
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("example==1.0\n")
    cached = tmp_path / "cache" / f"layer-{layer_bundling.layer_hash(requirements)}" / "python" / "example"
    cached.mkdir(parents=True)
    (cached / "__init__.py").write_text("")

    def no_pip(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pip must not run on a cache hit")

    monkeypatch.setattr(subprocess, "run", no_pip)
    # When CDK asks the local bundler for the layer
    output = tmp_path / "out"
    bundled = layer_bundling.LocalLayerBundler(requirements, tmp_path / "cache").try_bundle(str(output))
    # Then it succeeds by copying the cached directory
    assert bundled is True
    assert (output / "python" / "example" / "__init__.py").is_file()


def test_local_bundler_declines_when_pip_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no cache and a pip that fails (e.g. offline without a package index)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("example==1.0\n")

    def failing_pip(args: list[str], **_kwargs: object) -> None:
        raise subprocess.CalledProcessError(1, args, stderr="no index\n")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    # When CDK asks the local bundler
    bundled = layer_bundling.LocalLayerBundler(requirements, tmp_path / "cache").try_bundle(str(tmp_path / "o"))
    # Then it returns False (CDK falls back to Docker) and leaves no half-built cache entry
    assert bundled is False
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []


@pytest.mark.parametrize(("runtime_version", "compiled"), [("3.13", True), ("3.99", False)])
def test_layer_ships_bytecode_only_when_built_by_the_runtime_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_version: str, compiled: bool
) -> None:
    # Given a built layer and a runtime version that does or does not match this interpreter
    site = tmp_path / "python" / "example"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("VALUE = 1\n")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    monkeypatch.setattr(layer_bundling.config, "LAYER_PYTHON_VERSION", here if compiled else runtime_version)
    # When the bundler finishes the layer
    layer_bundling._compile_if_runtime_python(tmp_path / "python")
    # Then bytecode is shipped only for a matching interpreter (bytecode is version-specific)
    assert any(site.glob("__pycache__/*.pyc")) is compiled


def test_docker_build_compiles_with_the_runtime_image_python() -> None:
    script = layer_bundling.docker_command()[-1]
    assert "compileall" in script and "unchecked-hash" in script
