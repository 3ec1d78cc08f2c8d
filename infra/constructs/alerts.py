"""Alerts: an SNS topic encrypted with a customer-managed key, with e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class Alerts(Construct):
    """The ``alerts`` topic the archiver publishes failed/stopped AutoML jobs to."""

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
        subscribe_emails(
            topic,
            emails,
            why_no_dead_letter_queue="The endpoint is a person's mailbox, and every alert is also kept in the "
            "archive (the alert record on the job's state item and its record in S3); a dead-letter queue "
            "for undelivered e-mails would be a second copy nobody reads.",
        )


def subscribe_emails(topic: sns.ITopic, emails: Sequence[str], why_no_dead_letter_queue: str) -> None:
    """One e-mail subscription per address; cdk-nag's redrive-policy rule acknowledged with the reason."""
    for email in emails:
        subscription = topic.add_subscription(subscriptions.EmailSubscription(email))
        Validations.of(subscription).acknowledge(
            Acknowledgment(id="Serverless-SNSRedrivePolicy", reason=why_no_dead_letter_queue)
        )
