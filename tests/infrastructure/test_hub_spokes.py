"""The hub's side of spokes (docs/multi-account.md): the registry in context becomes both functions'
environment and an sts:AssumeRole grant on exactly the registered reader roles; without spokes nothing
is granted; a bad registry fails synth naming its key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import app as cdk_app
from automl_archive.contracts.settings import ArchiverSettings, SweepSettings
from infra.config import ARCHIVER_HANDLER, SWEEP_HANDLER
from infra.settings import SPOKES_ENVIRONMENT_BUDGET, ArchiveSettings, SettingsError
from tests.infrastructure.conftest import TEST_CONTEXT, Synthesized, render

SPOKES = [
    {"account": "111122223333", "regions": ["eu-west-1", "us-east-1"], "alias": "team-a"},
    {"account": "444455556666", "regions": ["eu-west-1"]},
]


def synth(tmp_path_factory: pytest.TempPathFactory, **context: Any) -> Template:
    outdir = tmp_path_factory.mktemp("cdk.out.spokes")
    application = cdk_app.build_app({**TEST_CONTEXT, **context}, outdir=str(outdir))
    application.synth()  # cdk-nag runs here: an unacknowledged finding fails the test
    stack = application.node.find_child(TEST_CONTEXT["stack_name"])
    assert isinstance(stack, cdk.Stack)
    return Template.from_stack(stack)


def function(template: Template, handler: str) -> dict[str, Any]:
    (found,) = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": handler}}).values()
    return found


def assume_role_grants(template: Template, role_ref: dict[str, Any]) -> list[str]:
    role = template.to_json()["Resources"][role_ref["Fn::GetAtt"][0]]
    return [
        render(resource)
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if "sts:AssumeRole" in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    ]


@pytest.fixture(scope="module")
def with_spokes(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return synth(tmp_path_factory, spokes=json.dumps(SPOKES), spoke_external_id="org-archive-2026")


def test_both_functions_may_assume_exactly_the_registered_reader_roles(with_spokes: Template):
    stack = TEST_CONTEXT["stack_name"]
    expected = sorted(
        f"arn:${{AWS::Partition}}:iam::{account}:role/{stack}-reader-{region}"
        for account, region in (
            ("111122223333", "eu-west-1"),
            ("111122223333", "us-east-1"),
            ("444455556666", "eu-west-1"),
        )
    )
    for handler in (ARCHIVER_HANDLER, SWEEP_HANDLER):
        grants = assume_role_grants(with_spokes, function(with_spokes, handler)["Properties"]["Role"])
        assert sorted(grants) == expected, handler


def test_both_functions_read_the_registry_and_the_hubs_own_source_from_their_environment(with_spokes: Template):
    for handler, model in ((ARCHIVER_HANDLER, ArchiverSettings), (SWEEP_HANDLER, SweepSettings)):
        variables = function(with_spokes, handler)["Properties"]["Environment"]["Variables"]
        environment = {name: render(value) for name, value in variables.items()}
        assert environment["HUB_ACCOUNT_ID"] == "${AWS::AccountId}" and environment["HUB_REGION"] == "${AWS::Region}"
        # With the deploy's values filled in, the function reads the registry back
        environment.update(HUB_ACCOUNT_ID="123456789012", HUB_REGION="us-east-1")
        environment = {name: "x" if "${" in value else value for name, value in environment.items()}
        environment.pop("STATE_CHANGE_EVENT_BUS", None)
        access = model.from_environ(environment).hub.spoke_access
        assert access is not None and len(access.spokes) == 3
        assert access.account_alias("111122223333") == "team-a" and access.account_alias("444455556666") == ""
        # The whole environment stays inside Lambda's 4 KB
        assert len(json.dumps(variables)) < 4096


def test_without_spokes_nothing_may_be_assumed(synthesized: Synthesized):
    for handler in (ARCHIVER_HANDLER, SWEEP_HANDLER):
        role = function(synthesized.template, handler)["Properties"]["Role"]
        assert assume_role_grants(synthesized.template, role) == []
        variables = function(synthesized.template, handler)["Properties"]["Environment"]["Variables"]
        assert "SPOKES" not in variables and "HUB_ACCOUNT_ID" in variables


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"spokes": "not json"}, "'spokes'"),
        ({"spokes": [{"account": "1234", "regions": ["eu-west-1"]}], "spoke_external_id": "x-y"}, "'spokes'"),
        ({"spokes": [{"account": "111122223333", "regions": []}], "spoke_external_id": "x-y"}, "'spokes'"),
        (
            {
                "spokes": [{"account": "111122223333", "regions": ["eu-west-1", "eu-west-1"]}],
                "spoke_external_id": "x-y",
            },
            "twice",
        ),
        ({"spokes": SPOKES}, "'spoke_external_id'"),
        ({"spokes": SPOKES, "spoke_external_id": "x-y", "stack_name": "A" * 50}, "'stack_name'"),
    ],
)
def test_a_bad_registry_fails_synth_naming_its_key(context: dict[str, Any], message: str):
    with pytest.raises(SettingsError, match=message):
        ArchiveSettings.from_context(context)


def test_a_registry_too_large_for_the_functions_environment_is_refused():
    many = [{"account": f"{n:012d}", "regions": ["ap-southeast-2", "eu-central-1"]} for n in range(1, 200)]
    with pytest.raises(SettingsError, match=f"at most {SPOKES_ENVIRONMENT_BUDGET} bytes"):
        ArchiveSettings.from_context({"spokes": many, "spoke_external_id": "x-y"})


def bus_policy_statements(template: Template) -> list[dict[str, Any]]:
    (bus,) = template.find_resources(
        "AWS::Events::EventBus", {"Properties": {"Name": f"{TEST_CONTEXT['stack_name']}-spokes"}}
    ).values()
    return bus["Properties"]["Policy"]["Statement"]


def test_the_central_bus_admits_the_registered_accounts_only_and_feeds_the_work_queue(with_spokes: Template):
    (statement,) = bus_policy_statements(with_spokes)
    principals = statement["Principal"]["AWS"]
    assert sorted(render(p) for p in principals) == [
        "arn:${AWS::Partition}:iam::111122223333:root",
        "arn:${AWS::Partition}:iam::444455556666:root",
    ]
    assert statement["Action"] == "events:PutEvents" and "Condition" not in statement
    # The ingest patterns on the central bus, each to the work queue with its own dead-letter queue
    rules = with_spokes.find_resources("AWS::Events::Rule", {"Properties": {"EventBusName": Match.any_value()}})
    assert len(rules) == 2
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target and target["Arn"]["Fn::GetAtt"][0].startswith("IngestWorkQueue")
    outputs = with_spokes.to_json()["Outputs"]
    assert "CentralBusArn" in outputs
    # The registry, for `automl-archive status` to report each spoke's sweep
    assert outputs["Spokes"]["Value"] == (
        "111122223333:eu-west-1:team-a,111122223333:us-east-1:team-a,444455556666:eu-west-1"
    )


def test_with_an_organisation_id_the_bus_admits_that_organisation(tmp_path_factory: pytest.TempPathFactory):
    template = synth(tmp_path_factory, spoke_organization_id="o-a1b2c3d4e5")
    (statement,) = bus_policy_statements(template)
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_a_single_account_hub_has_no_central_bus(synthesized: Synthesized):
    names = [bus["Properties"]["Name"] for bus in synthesized.template.find_resources("AWS::Events::EventBus").values()]
    assert f"{TEST_CONTEXT['stack_name']}-spokes" not in names
    assert "CentralBusArn" not in synthesized.template.to_json()["Outputs"]


def test_a_malformed_organisation_id_fails_synth_naming_its_key():
    with pytest.raises(SettingsError, match="'spoke_organization_id'"):
        ArchiveSettings.from_context({"spoke_organization_id": "org-123"})


def test_a_hub_with_spokes_alarms_on_spokes_not_swept_and_unregistered_senders(with_spokes: Template):
    alarms = {
        alarm["Properties"]["AlarmName"].rsplit("-", 1)[-1]: alarm["Properties"]
        for alarm in with_spokes.find_resources("AWS::CloudWatch::Alarm").values()
    }
    operations = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    for name, metric in (
        ("SpokesNotSwept", "SweepSpokeFailures"),
        ("MessagesFromUnregisteredSources", "MessagesFromUnregisteredSources"),
    ):
        alarm = alarms[name]
        assert alarm["MetricName"] == metric
        anchor = alarm["AlarmDescription"].rsplit("#", 1)[-1]
        assert f'<a id="{anchor}"></a>' in operations


def test_a_single_account_hub_has_no_spoke_alarms(synthesized: Synthesized):
    names = [
        a["Properties"]["AlarmName"] for a in synthesized.template.find_resources("AWS::CloudWatch::Alarm").values()
    ]
    assert not [name for name in names if "Spokes" in name or "Unregistered" in name]
