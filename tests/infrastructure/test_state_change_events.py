"""The AutoML Job State Change event's bus: the one `events:PutEvents` grant, the function's setting and
the stack output, for each way the context can name the bus, and a clear synth error for a bad one."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from automl_archive.contracts.settings import STATE_CHANGE_EVENT_BUS
from automl_archive.contracts.stack_outputs import STATE_CHANGE_EVENT_BUS_ARN
from infra.config import ARCHIVER_HANDLER
from infra.settings import ArchiveSettings, SettingsError
from tests.infrastructure.conftest import TEST_CONTEXT, Synthesized, render

OTHER_ACCOUNT_BUS = "arn:aws:events:eu-west-1:210987654321:event-bus/central-ml"
DEFAULT_BUS = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"


def synth(tmp_path_factory: pytest.TempPathFactory, **context: Any) -> Template:
    outdir = tmp_path_factory.mktemp("cdk.out.events")
    application = cdk_app.build_app({**TEST_CONTEXT, **context}, outdir=str(outdir))
    application.synth()  # cdk-nag runs here: an unacknowledged finding fails the test
    stack = application.node.find_child(TEST_CONTEXT["stack_name"])
    assert isinstance(stack, cdk.Stack)
    return Template.from_stack(stack)


def put_events_grants(template: Template) -> list[tuple[str, str]]:
    """(role logical id, resource) of every events:PutEvents statement in the template."""
    grants = []
    for role_id, role in template.find_resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if "events:PutEvents" in actions:
                    resources = (
                        statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                    )
                    grants += [(role_id, render(resource)) for resource in resources]
    return grants


def archiver(template: Template) -> tuple[str, dict[str, Any]]:
    (found,) = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": ARCHIVER_HANDLER}}).items()
    return found


def outputs(template: Template) -> dict[str, str]:
    return {name: render(output["Value"]) for name, output in template.to_json()["Outputs"].items()}


def test_a_bus_named_in_context_is_created_and_is_the_only_one_the_archiver_may_put_on(synthesized: Synthesized):
    # Given the test context's bus name
    ((bus_id, bus),) = synthesized.template.find_resources("AWS::Events::EventBus").items()
    assert bus["Properties"]["Name"] == TEST_CONTEXT["state_change_event_bus"]
    _, function = archiver(synthesized.template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    # Then the archiver's role alone may put events, on that bus only, and the function and output name it
    assert put_events_grants(synthesized.template) == [(role_id, f"${{{bus_id}.Arn}}")]
    assert render(function["Properties"]["Environment"]["Variables"][STATE_CHANGE_EVENT_BUS]) == f"${{{bus_id}.Arn}}"
    assert outputs(synthesized.template)[STATE_CHANGE_EVENT_BUS_ARN] == f"${{{bus_id}.Arn}}"


@pytest.mark.parametrize(
    "context, bus_arn",
    [({}, DEFAULT_BUS), ({"state_change_event_bus": OTHER_ACCOUNT_BUS}, OTHER_ACCOUNT_BUS)],
    ids=["the account's default bus", "an existing bus by its ARN"],
)
def test_the_default_bus_or_an_existing_one_is_used_and_not_created(tmp_path_factory, context, bus_arn):
    # (None, as for a key cdk.json leaves out, replaces the test context's bus name)
    template = synth(tmp_path_factory, state_change_event_bus=context.get("state_change_event_bus"))
    assert template.find_resources("AWS::Events::EventBus") == {}
    _, function = archiver(template)
    assert [resource for _, resource in put_events_grants(template)] == [bus_arn]
    assert render(function["Properties"]["Environment"]["Variables"][STATE_CHANGE_EVENT_BUS]) == bus_arn
    assert outputs(template)[STATE_CHANGE_EVENT_BUS_ARN] == bus_arn


def test_turned_off_there_is_no_grant_no_setting_and_no_output(tmp_path_factory):
    template = synth(tmp_path_factory, state_change_events="false")  # as `-c state_change_events=false` passes it
    _, function = archiver(template)
    assert put_events_grants(template) == []
    assert STATE_CHANGE_EVENT_BUS not in function["Properties"]["Environment"]["Variables"]
    assert STATE_CHANGE_EVENT_BUS_ARN not in outputs(template)
    assert template.find_resources("AWS::Events::EventBus") == {}


@pytest.mark.parametrize(
    "key, value",
    [
        ("state_change_event_bus", "team/ml"),  # "/" is for partner buses only
        ("state_change_event_bus", "ml automation"),
        ("state_change_event_bus", "b" * 257),
        ("state_change_event_bus", ""),
        ("state_change_event_bus", "arn:aws:sns:eu-west-1:123456789012:not-a-bus"),
        ("state_change_event_bus", "arn:aws:events:eu-west-1:1234:event-bus/short-account"),
        ("state_change_events", "sometimes"),
    ],
)
def test_a_bus_aws_would_refuse_fails_synth_naming_the_key(key, value):
    with pytest.raises(SettingsError, match=f"CDK context '{key}'"):
        ArchiveSettings.from_context({key: value})


def test_the_settings_read_each_form():
    assert ArchiveSettings.from_context({}).state_change_event_bus.is_default
    assert ArchiveSettings.from_context({"state_change_event_bus": "ml.events_2-x"}).state_change_event_bus.name
    assert ArchiveSettings.from_context({"state_change_event_bus": OTHER_ACCOUNT_BUS}).state_change_event_bus.arn
    assert ArchiveSettings.from_context({"state_change_events": False}).state_change_event_bus is None
