"""The alerts topic: one publish per alert, a message per kind of subscriber.

SNS Publish with MessageStructure "json" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html):
the message is a JSON object with a string "default" and one string per protocol that needs its own.
- "default" and "email": the readable text (SQS, Lambda and e-mail subscribers get it);
- "https": the custom-notification JSON, which AWS Chatbot ("Amazon Q Developer in chat applications")
  receives on its HTTPS subscription (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
  Any other HTTPS subscriber of the alerts topic gets that JSON too.
"""

from __future__ import annotations

import json

from automl_archive.dal.aws.client import BotoClient

# The SNS protocol keys of a structured message (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
DEFAULT_KEY = "default"
EMAIL_KEY = "email"
CHAT_KEY = "https"  # AWS Chatbot subscribes to a topic with an HTTPS endpoint


def structured_message(message: str, chat: str) -> str:
    """The Message of a MessageStructure-json publish."""
    return json.dumps({DEFAULT_KEY: message, EMAIL_KEY: message, CHAT_KEY: chat})


class SnsNotifier(BotoClient):
    _service = "sns"

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: str, attributes: dict[str, str], chat: str) -> str:
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Subject=subject,
            Message=structured_message(message, chat),
            MessageStructure="json",
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
            },
        )
        return str(answer["MessageId"])
