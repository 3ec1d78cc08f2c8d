"""The alerts topic."""

from __future__ import annotations

from automl_archive.dal.aws.client import BotoClient


class SnsNotifier(BotoClient):
    _service = "sns"

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Subject=subject,
            Message=message,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
            },
        )
        return str(answer["MessageId"])
