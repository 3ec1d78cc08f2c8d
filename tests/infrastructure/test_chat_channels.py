"""Optional AWS Chatbot channels: only with context, subscribed to the right topics, read-only guardrail."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cfnlint
import pytest
from aws_cdk.assertions import Template
from cfnlint.api import lint

import app as cdk_app
from infra.settings import CHAT_ID_PATTERNS, SettingsError
from tests.infrastructure.conftest import TEST_CONTEXT, Synthesized
from tests.infrastructure.test_checks import ACCEPTED_CFN_LINT_RULES

SLACK = {"slack_workspace_id": "T012ABCDEFG", "slack_channel_id": "C07EZ1ABC23"}
TEAMS = {
    "teams_tenant_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "teams_team_id": "74361522-da01-538d-aa2e-ac7918c6bb92",
    "teams_channel_id": "19%3Aabc123%40thread.tacv2",
}
READ_ONLY = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]}


@pytest.fixture(scope="module")
def with_channels(tmp_path_factory: pytest.TempPathFactory) -> Template:
    # Given the test context plus a Slack and a Teams channel / When synthesised with cdk-nag
    outdir = tmp_path_factory.mktemp("cdk.out.chat")
    application = cdk_app.build_app({**TEST_CONTEXT, **SLACK, **TEAMS}, outdir=str(outdir))
    application.synth()  # an unacknowledged cdk-nag finding fails here
    stack = application.node.find_child(TEST_CONTEXT["stack_name"])
    assert isinstance(stack, cdk.Stack)
    return Template.from_stack(stack)


def _topic_ids(template: Template) -> dict[str, str]:
    """Logical id of the alerts and the operations topic."""
    topics = template.find_resources("AWS::SNS::Topic")
    by_name = {props["Properties"]["DisplayName"]: logical_id for logical_id, props in topics.items()}
    operations = next(logical_id for name, logical_id in by_name.items() if name != "AutoML job alerts")
    return {"alerts": by_name["AutoML job alerts"], "operations": operations}


def test_without_context_no_channel_is_created(synthesized: Synthesized) -> None:
    assert synthesized.template.find_resources("AWS::Chatbot::SlackChannelConfiguration") == {}
    assert synthesized.template.find_resources("AWS::Chatbot::MicrosoftTeamsChannelConfiguration") == {}


def test_slack_gets_one_configuration_per_topic_with_a_read_only_guardrail(with_channels: Template) -> None:
    slack = with_channels.find_resources("AWS::Chatbot::SlackChannelConfiguration")
    topics = _topic_ids(with_channels)
    subscribed = sorted(str(r["Properties"]["SnsTopicArns"]) for r in slack.values())
    assert subscribed == sorted(str([{"Ref": topics[name]}]) for name in ("alerts", "operations"))
    for resource in slack.values():
        properties = resource["Properties"]
        assert (properties["SlackWorkspaceId"], properties["SlackChannelId"]) == ("T012ABCDEFG", "C07EZ1ABC23")
        assert properties["GuardrailPolicies"] == [READ_ONLY]
        assert properties["ConfigurationName"].startswith("AutoMLJobArchiveTest-")


def test_teams_gets_one_configuration_per_topic_with_a_read_only_guardrail(with_channels: Template) -> None:
    teams = with_channels.find_resources("AWS::Chatbot::MicrosoftTeamsChannelConfiguration")
    topics = _topic_ids(with_channels)
    assert sorted(str(r["Properties"]["SnsTopicArns"]) for r in teams.values()) == sorted(
        str([{"Ref": topics[name]}]) for name in ("alerts", "operations")
    )
    for resource in teams.values():
        properties = resource["Properties"]
        assert properties["TeamId"] == TEAMS["teams_team_id"]
        assert properties["TeamsTenantId"] == TEAMS["teams_tenant_id"]
        assert properties["TeamsChannelId"] == TEAMS["teams_channel_id"]
        assert properties["GuardrailPolicies"] == [READ_ONLY]


def test_the_channel_role_is_assumed_by_chatbot_and_grants_nothing(with_channels: Template) -> None:
    configurations: dict[str, Any] = {
        **with_channels.find_resources("AWS::Chatbot::SlackChannelConfiguration"),
        **with_channels.find_resources("AWS::Chatbot::MicrosoftTeamsChannelConfiguration"),
    }
    role_ids = {r["Properties"]["IamRoleArn"]["Fn::GetAtt"][0] for r in configurations.values()}
    assert len(role_ids) == 1
    role_id = role_ids.pop()
    role = with_channels.to_json()["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    policies = with_channels.find_resources("AWS::IAM::Policy")
    assert not any(any(ref == {"Ref": role_id} for ref in p["Properties"].get("Roles", [])) for p in policies.values())


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({**SLACK, "slack_channel_id": "C07-bad!"}, "slack_channel_id"),
        ({**SLACK, "slack_workspace_id": "t012abc"}, "slack_workspace_id"),
        ({"slack_channel_id": "C07EZ1ABC23"}, "slack_workspace_id"),
        ({**TEAMS, "teams_team_id": "not-a-guid"}, "teams_team_id"),
        ({**TEAMS, "teams_tenant_id": "1234"}, "teams_tenant_id"),
        ({**TEAMS, "teams_channel_id": "19:abc@thread.tacv2"}, "teams_channel_id"),
    ],
)
def test_a_malformed_or_missing_channel_id_fails_synth_naming_the_key(
    context: dict[str, str], key: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=f"'{key}'"):
        cdk_app.build_app({**TEST_CONTEXT, **context}, outdir=str(tmp_path))


def test_cfn_lint_finds_no_error_in_the_channel_configurations(with_channels: Template) -> None:
    # Given the template with channels / When cfn-lint checks it against the resource schemas
    # (which carry the ids' documented patterns) / Then the channel configurations have no error
    matches = lint(json.dumps(with_channels.to_json()), regions=["us-east-1", "eu-west-1"])
    errors = [f"{m.rule.id} {m.path_string}: {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    assert [m for m in matches if "Chat" in m.path_string and m.rule.id not in ACCEPTED_CFN_LINT_RULES] == []


SCHEMA_PROPERTIES = {
    "slack_workspace_id": ("AWS::Chatbot::SlackChannelConfiguration", "SlackWorkspaceId"),
    "slack_channel_id": ("AWS::Chatbot::SlackChannelConfiguration", "SlackChannelId"),
    "teams_tenant_id": ("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", "TeamsTenantId"),
    "teams_team_id": ("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", "TeamId"),
    "teams_channel_id": ("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", "TeamsChannelId"),
}
SAMPLES = [
    *SLACK.values(), *TEAMS.values(), "", "t012abc", "C07-bad!", "A" * 256, "A" * 257, "not-a-guid",
    "19:abc@thread.tacv2", "19%3A" + "a" * 250 + "%40t", "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
]  # fmt: skip


def _schema_property(resource_type: str, name: str) -> dict[str, Any]:
    """The property as CloudFormation's registry schema (bundled with cfn-lint) defines it."""
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    resource_file = json.loads((schemas / "providers" / "us-east-1.json").read_text())[resource_type]
    properties: dict[str, Any] = json.loads((schemas / "resources" / f"{resource_file}.json").read_text())["properties"]
    return properties[name]


@pytest.mark.parametrize("key", sorted(SCHEMA_PROPERTIES))
def test_each_id_is_accepted_exactly_when_cloudformation_accepts_it(key: str) -> None:
    schema = _schema_property(*SCHEMA_PROPERTIES[key])
    ours, _ = CHAT_ID_PATTERNS[key]
    for sample in SAMPLES:
        theirs = bool(re.match(schema["pattern"], sample)) and schema["minLength"] <= len(sample) <= schema["maxLength"]
        assert bool(ours.match(sample)) == theirs, (key, sample)
