"""The spoke stack (docs/multi-account.md): asset-free for StackSets, forwarding exactly the hub's ingest
events to the hub's bus, and a reader role only the hub's roles may assume, only to read AutoML jobs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import lint

import app as cdk_app
from automl_archive.contracts.spoke import LONGEST_HUB_STACK_NAME
from infra.settings import SettingsError
from infra.spoke_settings import SpokeSettings
from tests.infrastructure.conftest import Synthesized, render
from tests.infrastructure.test_checks import ACCEPTED_CFN_LINT_RULES
from tests.infrastructure.test_policy_lint import template_policies, unjustified

SPOKE = {
    "spoke_hub_account": "111122223333",
    "spoke_hub_region": "eu-west-1",
    "spoke_hub_bus_name": "AutoMLJobArchive-spokes",
    "spoke_external_id": "org-archive-7",
}
HUB_BUS = "arn:aws:events:eu-west-1:111122223333:event-bus/AutoMLJobArchive-spokes"
READS = {
    "sagemaker:DescribeAutoMLJob",
    "sagemaker:DescribeAutoMLJobV2",
    "sagemaker:ListCandidatesForAutoMLJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:DescribeTransformJob",
    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
    "sagemaker:ListAutoMLJobs",
}


@pytest.fixture(scope="module")
def spoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """(spoke template, hub template) of an app given a hub, synthesized with cdk-nag."""
    outdir = tmp_path_factory.mktemp("cdk.out.spoke")
    application = cdk_app.build_app(SPOKE, outdir=str(outdir))
    application.synth()  # an unacknowledged cdk-nag finding fails here
    return (
        json.loads((outdir / "AutoMLJobArchive-spoke.template.json").read_text()),
        json.loads((outdir / "AutoMLJobArchive.template.json").read_text()),
    )


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def test_the_default_app_has_no_spoke(synthesized: Synthesized) -> None:
    assert [child.node.id for child in synthesized.app.node.children if hasattr(child, "template_options")] == [
        synthesized.stack.node.id
    ]


def test_the_spoke_deploys_as_a_stackset_without_the_cdk_bootstrap(spoke) -> None:
    template, _ = spoke
    # No function, no asset, no bootstrap version parameter or rule: nothing a StackSet cannot deploy
    assert {r["Type"] for r in template["Resources"].values()} <= {
        "AWS::Events::Rule",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
    }
    assert "Parameters" not in template and "Rules" not in template
    assert "aws:asset" not in json.dumps(template)
    matches = lint(json.dumps(template), regions=["us-east-1", "eu-west-1"])
    problems = [f"{m.rule.id}: {m.message}" for m in matches if m.rule.id not in ACCEPTED_CFN_LINT_RULES]
    assert problems == []


def test_it_forwards_exactly_what_the_hub_ingests_to_the_hub_bus(spoke) -> None:
    template, hub = spoke
    forwarded = sorted(
        json.dumps(r["Properties"]["EventPattern"], sort_keys=True)
        for r in resources(template, "AWS::Events::Rule").values()
    )
    ingested = sorted(
        json.dumps(r["Properties"]["EventPattern"], sort_keys=True)
        for r in resources(hub, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"] and "aws.sagemaker" in json.dumps(r["Properties"]["EventPattern"])
    )
    assert forwarded == ingested and len(forwarded) == 2
    for rule in resources(template, "AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == HUB_BUS
        assert "DeadLetterConfig" in target and "RoleArn" in target


def test_the_forward_role_may_only_put_events_on_the_hub_bus(spoke) -> None:
    template, _ = spoke
    (role_id,) = [
        k for k, r in resources(template, "AWS::IAM::Role").items() if "events.amazonaws.com" in json.dumps(r)
    ]
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert [(s["Action"], s["Resource"]) for s in statements] == [("events:PutEvents", HUB_BUS)]


def test_only_the_hub_stacks_roles_with_the_external_id_may_read_and_only_automl_jobs(spoke) -> None:
    template, _ = spoke
    (role,) = [r for k, r in resources(template, "AWS::IAM::Role").items() if k.startswith("ReaderRole")]
    properties = role["Properties"]
    assert render(properties["RoleName"]) == "AutoMLJobArchive-reader-${AWS::Region}"
    (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert render(trust["Principal"]["AWS"]) == "arn:${AWS::Partition}:iam::111122223333:root"
    assert trust["Condition"]["StringEquals"] == {"sts:ExternalId": "org-archive-7"}
    assert render(trust["Condition"]["ArnLike"]["aws:PrincipalArn"]) == (
        "arn:${AWS::Partition}:iam::111122223333:role/AutoMLJobArchive-*"
    )
    granted = {
        action
        for policy in properties["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert granted == READS  # describe and list AutoML jobs and their children; nothing else
    assert "ManagedPolicyArns" not in properties


def test_every_spoke_policy_passes_parliament(spoke) -> None:
    template, _ = spoke
    for kind in ("identity", "resource"):
        for name, document in template_policies(template["Resources"], kind).items():
            assert unjustified(name, document) == [], name


@pytest.mark.parametrize(
    "key, value",
    [
        ("spoke_hub_account", "1111"),
        ("spoke_hub_region", "Ireland"),
        ("spoke_hub_bus_name", "team/bus"),
        ("spoke_external_id", "x"),
        ("spoke_external_id", None),
        ("stack_name", "S" * (LONGEST_HUB_STACK_NAME + 1)),
    ],
)
def test_a_bad_spoke_setting_fails_synth_naming_the_key(key, value) -> None:
    with pytest.raises(SettingsError, match=f"CDK context '{key}'"):
        SpokeSettings.from_context({**SPOKE, key: value})


def test_no_hub_account_means_no_spoke() -> None:
    assert SpokeSettings.from_context({}) is None
    assert SpokeSettings.from_context(SPOKE).hub_bus_arn == HUB_BUS
