"""Alerts: an SNS topic encrypted with a customer-managed key, with e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class Alerts(Construct):
    """The ``alerts`` topic the exporter publishes failed/stopped AutoML jobs to."""

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.key = self._build_key()
        self.topic = self._build_topic(self.key)
        self._build_subscriptions(self.topic, emails)

    def _build_key(self) -> kms.Key:
        return kms.Key(
            self,
            "AlertsKey",
            description="Encrypts the AutoML job archive alerts topic",
            enable_key_rotation=True,
        )

    def _build_topic(self, key: kms.IKey) -> sns.Topic:
        return sns.Topic(
            self,
            "Topic",
            display_name="AutoML job alerts",
            master_key=key,
            enforce_ssl=True,
        )

    def _build_subscriptions(self, topic: sns.ITopic, emails: Sequence[str]) -> None:
        for email in emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
