"""The stack with Slack and Teams channels still deploys into the emulator.

moto's CloudFormation does not create AWS::Chatbot resources (it skips unknown types with a warning):
the test proves the template with them deploys, and that everything else (the channel role, the
topics the channels subscribe to) is created.
"""

from __future__ import annotations

import warnings

from automl_archive.contracts.stack_outputs import ALERTS_TOPIC_ARN
from devtools.emulator.aws import LocalAws
from devtools.emulator.stack import deploy_stack, synthesize

CHANNELS = {
    "stack_name": "AutoMLJobArchiveChat",
    "slack_workspace_id": "T012ABCDEFG",
    "slack_channel_id": "C07EZ1ABC23",
    "teams_tenant_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "teams_team_id": "74361522-da01-538d-aa2e-ac7918c6bb92",
    "teams_channel_id": "19%3Aabc123%40thread.tacv2",
}


def test_the_stack_with_chat_channels_deploys_in_the_emulator(fresh_aws: LocalAws) -> None:
    # Given the app synthesised with a Slack and a Teams channel
    synthesized = synthesize(context=CHANNELS)
    resources = synthesized.template_path.read_text()
    assert "AWS::Chatbot::SlackChannelConfiguration" in resources
    assert "AWS::Chatbot::MicrosoftTeamsChannelConfiguration" in resources

    # When it is deployed into moto's CloudFormation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about the AWS::Chatbot types it skips
        deployed = deploy_stack(fresh_aws, synthesized=synthesized)

    # Then the stack is created with its outputs and the role the channels would assume
    status = fresh_aws.client("cloudformation").describe_stacks(StackName=deployed.stack_name)["Stacks"][0]
    assert status["StackStatus"] == "CREATE_COMPLETE"
    assert deployed.output(ALERTS_TOPIC_ARN).startswith("arn:aws:sns:")
    roles = fresh_aws.client("iam").list_roles()["Roles"]
    assert any(
        statement["Principal"].get("Service") == "chatbot.amazonaws.com"
        for role in roles
        for statement in role["AssumeRolePolicyDocument"]["Statement"]
    )
