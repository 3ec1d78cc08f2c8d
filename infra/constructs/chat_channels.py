"""Optional AWS Chatbot ("Amazon Q Developer in chat applications") channels for the product's topics.

Given the ids in CDK context (infra/settings.py), one Slack channel configuration per topic (alerts,
operations) and one Microsoft Teams channel configuration per topic; absent context, nothing.

- The channel role: Chatbot assumes a role of ours (chatbot.amazonaws.com); notifications need no
  permission, so the role has none. Guardrail: the AWS managed ReadOnlyAccess policy, the ceiling of
  what any channel member could do through the channel (CloudFormation's default is AdministratorAccess).
  https://docs.aws.amazon.com/chatbot/latest/adminguide/understanding-permissions.html
- Slack: the L2 `SlackChannelConfiguration`; Teams: the L1 `CfnMicrosoftTeamsChannelConfiguration`
  (aws-cdk-lib 2.275 has no L2), https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-chatbot-microsoftteamschannelconfiguration.html
- The alerts reach chat in the custom-notification format (logic/alerts.py, dal/aws/notifier.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.settings import SlackChannel, TeamsChannel

GUARDRAIL_POLICY = "ReadOnlyAccess"
CONFIGURATION_NAME_LIMIT = 128  # ConfigurationName: ^[A-Za-z0-9-_]+$, 1..128 characters


def configuration_name(stack_name: str, topic: str, platform: str) -> str:
    suffix = f"-{topic}-{platform}"
    return stack_name[: CONFIGURATION_NAME_LIMIT - len(suffix)] + suffix


class ChatChannels(Construct):
    """Slack and/or Teams channel configurations subscribing to each given topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_name: str,
        topics: Mapping[str, sns.ITopic],
        slack: SlackChannel | None,
        teams: TeamsChannel | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.guardrail = iam.ManagedPolicy.from_aws_managed_policy_name(GUARDRAIL_POLICY)
        self.role = self._build_role()
        self.slack: dict[str, chatbot.SlackChannelConfiguration] = {}
        self.teams: dict[str, chatbot.CfnMicrosoftTeamsChannelConfiguration] = {}
        for name, topic in topics.items():
            if slack:
                self.slack[name] = self._build_slack(stack_name, name, topic, slack)
            if teams:
                self.teams[name] = self._build_teams(stack_name, name, topic, teams)

    def _build_role(self) -> iam.Role:
        return iam.Role(
            self,
            "ChannelRole",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
            description="Assumed by AWS Chatbot for the archive's chat channels: notifications only, no permission",
        )

    def _build_slack(
        self, stack_name: str, name: str, topic: sns.ITopic, slack: SlackChannel
    ) -> chatbot.SlackChannelConfiguration:
        return chatbot.SlackChannelConfiguration(
            self,
            f"Slack{name.capitalize()}",
            slack_channel_configuration_name=configuration_name(stack_name, name, "slack"),
            slack_workspace_id=slack.workspace_id,
            slack_channel_id=slack.channel_id,
            notification_topics=[topic],
            role=self.role,
            guardrail_policies=[self.guardrail],
            logging_level=chatbot.LoggingLevel.ERROR,
        )

    def _build_teams(
        self, stack_name: str, name: str, topic: sns.ITopic, teams: TeamsChannel
    ) -> chatbot.CfnMicrosoftTeamsChannelConfiguration:
        return chatbot.CfnMicrosoftTeamsChannelConfiguration(
            self,
            f"Teams{name.capitalize()}",
            configuration_name=configuration_name(stack_name, name, "teams"),
            iam_role_arn=self.role.role_arn,
            team_id=teams.team_id,
            teams_tenant_id=teams.tenant_id,
            teams_channel_id=teams.channel_id,
            sns_topic_arns=[topic.topic_arn],
            guardrail_policies=[self.guardrail.managed_policy_arn],
            logging_level="ERROR",
        )
