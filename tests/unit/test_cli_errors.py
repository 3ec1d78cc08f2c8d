"""One-line errors (exit 2, no traceback) for the problems an operator has to fix."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from automl_archive.contracts import stack_outputs
from automl_archive.contracts.settings import ArchiverSettings
from automl_archive.dal.aws import SageMakerApi
from automl_archive.observability import metrics
from automl_archive_cli import aws
from automl_archive_cli.errors import CliError
from automl_archive_cli.main import main
from automl_archive_cli.runtime import build_archiver

RULE_DLQ = stack_outputs.rule_dead_letter_queue("SomeRule")
OUTPUTS = {key: f"value-of-{key}" for key in (*aws.REQUIRED_OUTPUTS, RULE_DLQ.url, RULE_DLQ.arn)}


def cloudformation_client():
    return boto3.client("cloudformation", region_name="us-west-2", aws_access_key_id="a", aws_secret_access_key="b")


@pytest.fixture
def no_aws_configuration(monkeypatch, tmp_path):
    """No credentials or region from anywhere: environment, files, instance metadata."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_a_stack_that_does_not_exist_is_reported_with_how_to_fix_it():
    # Given CloudFormation answers that the stack does not exist
    client = cloudformation_client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message="Stack with id AutoMLJobArchive does not exist",
        )
        # When the stack is resolved
        with pytest.raises(CliError) as error:
            aws.resolve_stack(client, "AutoMLJobArchive", "us-west-2")
    # Then the message names the stack, the region and the way out
    assert error.value.exit_code == 2
    assert str(error.value).startswith("Stack 'AutoMLJobArchive' is not deployed in us-west-2")
    assert "make deploy" in str(error.value)
    assert "--stack-name/--region" in str(error.value)


def test_a_stack_without_the_outputs_is_not_taken_for_the_archive():
    client = cloudformation_client()
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "Other",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": "WorkQueueUrl", "OutputValue": "u"}],
                    }
                ]
            },
        )
        with pytest.raises(CliError, match="lacks the outputs WorkQueueArn"):
            aws.resolve_stack(client, "Other", "us-west-2")


def test_a_deployed_stack_gives_its_outputs():
    client = cloudformation_client()
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "S",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "UPDATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()],
                    }
                ]
            },
            {"StackName": "S"},
        )
        deployment = aws.resolve_stack(client, "S", "us-west-2")
    assert deployment.work_queue_arn == "value-of-WorkQueueArn"
    assert deployment.archiver_function_name == "value-of-ArchiverFunctionName"
    assert deployment.rule_dead_letter_queues == {
        "SomeRule": aws.QueueRef(url=f"value-of-{RULE_DLQ.url}", arn=f"value-of-{RULE_DLQ.arn}")
    }


def _stack_with_outputs(keys):
    return {
        "Stacks": [
            {
                "StackName": "S",
                "CreationTime": "2026-01-01T00:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": OUTPUTS[k]} for k in keys],
            }
        ]
    }


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        # A stack deployed before every dead-letter queue had outputs: redrive would miss queues.
        ((RULE_DLQ.url, RULE_DLQ.arn), stack_outputs.RULE_DEAD_LETTER_QUEUE_URLS),
        ((RULE_DLQ.arn,), RULE_DLQ.arn),
        ((stack_outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE.url,), stack_outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE.url),
    ],
)
def test_a_stack_without_every_dead_letter_queue_output_must_be_redeployed(left_out, named):
    client = cloudformation_client()
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", _stack_with_outputs([k for k in OUTPUTS if k not in left_out]))
        with pytest.raises(CliError, match="Redeploy") as error:
            aws.resolve_stack(client, "S", "us-west-2")
    assert named in str(error.value)


def test_rule_output_names_round_trip():
    outputs = {stack_outputs.rule_dead_letter_queue(rule).url: "u" for rule in ("BRule", "ARule")}
    assert stack_outputs.rule_ids({**outputs, "DeadLetterQueueUrl": "u", "WorkQueueUrl": "u"}) == ["ARule", "BRule"]
    with pytest.raises(ValueError, match="alphanumeric"):
        stack_outputs.rule_dead_letter_queue("Not-A-Logical-Id")


def test_missing_credentials_exit_2_with_one_line(no_aws_configuration, capsys):
    # Given a region but no credentials anywhere
    # When any command runs
    code = main(["status", "--region", "eu-west-1"])
    # Then it exits 2 with one line on stderr that says how to provide credentials, and no traceback
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "No usable AWS credentials" in err and "aws configure" in err
    assert "Traceback" not in err


def test_no_region_exits_2_with_one_line(no_aws_configuration, capsys):
    code = main(["status"])
    err = capsys.readouterr().err
    assert code == 2
    assert "No AWS region configured: pass --region" in err
    assert err.count("\n") == 1


def test_the_region_falls_back_to_aws_region(no_aws_configuration, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    with aws.aws_session(None) as region:
        assert region == "ap-southeast-2"
    with aws.aws_session("eu-north-1") as region:
        assert region == "eu-north-1"


def test_the_default_session_is_restored_after_a_command(no_aws_configuration):
    before = boto3.DEFAULT_SESSION
    with aws.aws_session("eu-north-1"):
        assert boto3.DEFAULT_SESSION is not before
    assert boto3.DEFAULT_SESSION is before


def test_an_unreachable_endpoint_names_the_endpoint():
    error = aws.describe_aws_error(
        EndpointConnectionError(endpoint_url="https://cloudformation.xx-nowhere-1.amazonaws.com/")
    )
    assert error is not None and error.exit_code == 2
    assert str(error).startswith("Cannot reach https://cloudformation.xx-nowhere-1.amazonaws.com/")


def test_an_unreachable_endpoint_from_main_exits_2(no_aws_configuration, monkeypatch, capsys):
    # Given credentials and an endpoint where nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code = main(["status", "--region", "eu-west-1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot reach http://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_the_cli_archiver_counts_into_a_sink_that_prints_nothing(capsys, monkeypatch):
    # Given no metrics namespace (Powertools' add_metric would print EMF at 100 values, or raise)
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings = ArchiverSettings("jobs", "archive", "arn:aws:sns:us-east-1:123456789012:alerts")
    # When the archiver the CLI builds counts 250 times
    archiver = build_archiver(settings, SageMakerApi("standard", 1))
    metrics.clear_metrics()  # what other tests in this process left
    for _ in range(250):
        archiver._metrics.count("Describes")
    # Then nothing reached stdout, and the functions' shared Powertools metrics saw none of it
    assert capsys.readouterr().out == ""
    assert "Describes" not in metrics.metric_set


def test_deploy_preflight_says_what_to_fix_in_one_line_without_credentials(no_aws_configuration, monkeypatch, capsys):
    # Given a region but no credentials (what `make deploy` used to meet as CDK's raw
    # "Unable to resolve AWS account")
    from automl_archive_cli import preflight  # noqa: PLC0415

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # When the deploy's preflight runs / Then it exits 2 with one line saying how to provide them
    assert preflight.main() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No usable AWS credentials" in err
