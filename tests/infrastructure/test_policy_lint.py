"""Every IAM policy in the synthesized template passes parliament (https://github.com/duo-labs/parliament),
a linter built on AWS's own action and resource-type data (the Service Authorization Reference).

CloudFormation intrinsics are resolved to plausible ARNs first, so parliament can check that each
action accepts the statement's resource types (RESOURCE_MISMATCH), that each action exists
(UNKNOWN_ACTION) and that each condition is well-formed (MALFORMED, UNKNOWN_OPERATOR, ...).
Before this test nothing checked the statements against AWS's data: the archiver's old
`sagemaker:ListCandidatesForAutoMLJob` on `automl-job/*` synthesized, passed cdk-nag and was denied on AWS.
"""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from devtools.emulator.aws import ACCOUNT_ID, REGION

PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID}

# What `Fn::GetAtt [X, Arn]` / `Ref X` give for each resource type the policies name, as plausible
# physical values (the logical id lower-cased stands for the generated name).
ARN_OF = {
    "AWS::DynamoDB::Table": lambda name: f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
    "AWS::S3::Bucket": lambda name: f"arn:aws:s3:::{name.lower()}",
    "AWS::SQS::Queue": lambda name: f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}",
    "AWS::SNS::Topic": lambda name: f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}",
    "AWS::KMS::Key": lambda name: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "AWS::Logs::LogGroup": lambda name: f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*",
    "AWS::Events::Rule": lambda name: f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{name}",
    "AWS::Events::EventBus": lambda name: f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}",
    "AWS::Lambda::Function": lambda name: f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
}
# `Ref` of these types is their ARN; of the others, their name.
REF_IS_ARN = {"AWS::SNS::Topic"}


def resolve(value: Any, resources: dict[str, Any]) -> Any:
    """The template value with Ref, Fn::GetAtt (Arn) and Fn::Join replaced by plausible strings."""
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            if argument in PSEUDO_PARAMETERS:
                return PSEUDO_PARAMETERS[argument]
            kind = resources[argument]["Type"]
            return ARN_OF[kind](argument) if kind in REF_IS_ARN else argument.lower()
        if key == "Fn::GetAtt":
            logical_id, attribute = argument
            assert attribute == "Arn", f"only Arn attributes are resolved, not {argument}"
            return ARN_OF[resources[logical_id]["Type"]](logical_id)
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(resolve(part, resources) for part in parts)
        assert not key.startswith("Fn::"), f"unresolved intrinsic {value}"
    return {key: resolve(item, resources) for key, item in value.items()}


# Resources whose PolicyDocument is an identity or a resource policy (roles and keys are read apart).
POLICY_DOCUMENT_TYPES = {
    "identity": ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"),
    "resource": ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"),
}


def template_policies(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's identity (roles' inline, IAM and managed policies) or resource policies (bucket,
    queue, topic and key policies), by a name saying where each is."""
    documents: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        resource_type = resource["Type"]
        if kind == "identity" and resource_type == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                documents[f"{logical_id}/{policy['PolicyName']}"] = policy["PolicyDocument"]
        elif resource_type in POLICY_DOCUMENT_TYPES[kind]:
            documents[logical_id] = properties["PolicyDocument"]
        elif kind == "resource" and resource_type == "AWS::KMS::Key":
            documents[f"{logical_id}/KeyPolicy"] = properties["KeyPolicy"]
    return {name: resolve(document, resources) for name, document in documents.items()}


def findings(document: dict[str, Any]) -> list[tuple[str, Any]]:
    policy = parliament.analyze_policy_string(json.dumps(document))
    return [(finding.issue, finding.detail) for finding in policy.findings]


# Findings accepted, by (kind of document, issue), each with its reason.
JUSTIFIED: dict[tuple[str, str], str] = {
    ("KeyPolicy", "RESOURCE_STAR"): (
        'In a key policy, Resource "*" means "this KMS key", the key the policy is attached to '
        "(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html); parliament reads it "
        "as all resources, as it would in an identity policy."
    ),
}


def unjustified(name: str, document: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (issue, detail)
        for issue, detail in findings(document)
        if not any(kind in name and issue == justified for kind, justified in JUSTIFIED)
    ]


def test_a_justified_finding_is_still_reported_elsewhere():
    # The key-policy exception does not hide the same finding in a role's policy.
    star = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    assert [issue for issue, _ in unjustified("ArchiverRole/function", star)] == ["RESOURCE_STAR"]
    assert unjustified("AlertsKey/KeyPolicy", star) == []


def test_the_template_has_identity_and_resource_policies(synthesized):
    identity = template_policies(synthesized.resources, "identity")
    resource = template_policies(synthesized.resources, "resource")
    # Both function roles and every resource policy are linted (a new role shows up here).
    assert sorted(name.split("Role")[0] for name in identity) == ["Archiver", "Compaction", "Sweep"]
    assert sum("KeyPolicy" in name for name in resource) == 2
    assert len(resource) == sum(
        r["Type"] in (*POLICY_DOCUMENT_TYPES["resource"], "AWS::KMS::Key") for r in synthesized.resources.values()
    )


@pytest.mark.parametrize("kind", ["identity", "resource"])
def test_every_policy_passes_parliament(synthesized, kind):
    reported = {
        name: unjustified(name, document) for name, document in template_policies(synthesized.resources, kind).items()
    }
    assert reported and not any(reported.values()), {name: found for name, found in reported.items() if found}


def test_the_old_archiver_statement_is_reported(synthesized):
    # The archiver's statement before the fix: ListCandidatesForAutoMLJob next to DescribeAutoMLJob*
    # on automl-job/*. AWS lists no resource type for ListCandidatesForAutoMLJob: only "*" grants it.
    old = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:DescribeAutoMLJob",
                    "sagemaker:DescribeAutoMLJobV2",
                    "sagemaker:ListCandidatesForAutoMLJob",
                ],
                "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:automl-job/*",
            }
        ],
    }
    assert findings(old) == [
        ("RESOURCE_MISMATCH", [{"action": "sagemaker:ListCandidatesForAutoMLJob", "required_format": "*"}])
    ]


def test_an_unknown_action_and_a_malformed_condition_are_reported():
    # The linter is not silent on what this test relies on it to catch.
    typo = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMesage", "Resource": "*"}]}
    bad_condition = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::archive/*",
                "Condition": {"StringEqualz": {"aws:SourceAccount": ACCOUNT_ID}},
            }
        ],
    }
    assert "UNKNOWN_ACTION" in {issue for issue, _ in findings(typo)}
    assert {issue for issue, _ in findings(bad_condition)} & {"UNKNOWN_OPERATOR", "MALFORMED"}
