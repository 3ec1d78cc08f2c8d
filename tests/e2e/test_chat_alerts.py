"""The alert as AWS Chatbot receives it: over a real HTTPS subscription of the deployed alerts topic.

AWS Chatbot subscribes to a topic with an HTTPS endpoint, so SNS hands it the `https` member of the
alert's structured message. The endpoint here serves TLS with its own certificate (devtools/emulator/
chat_endpoint.py), and moto's SNS delivers to it as SNS would.
"""

from __future__ import annotations

import pytest

from automl_archive.contracts import stack_outputs
from automl_archive.logic.alerts import CHAT_DESCRIPTION_LIMIT, CHAT_TITLE_LIMIT
from devtools.chat_notification import chat_notification_errors
from devtools.emulator.chat_endpoint import ChatbotEndpoint
from devtools.emulator.scenarios import failing_job, schedule_all


@pytest.fixture(scope="module")
def chat(archive):
    with ChatbotEndpoint(archive.aws, archive.stack.output(stack_outputs.ALERTS_TOPIC_ARN)) as endpoint:
        schedule_all(archive.simulator, [failing_job("chat-v1-fails")])
        archive.run_until_idle()
        archive.inbox.read()
        yield endpoint


def test_a_chat_subscriber_gets_one_custom_notification_in_the_documented_format(chat):
    (notification,) = chat.notifications()
    assert chat_notification_errors(notification, CHAT_TITLE_LIMIT, CHAT_DESCRIPTION_LIMIT) == []
    content = notification["content"]
    assert content["title"] == "AutoML job chat-v1-fails failed"
    assert "ClientError" in content["description"]  # the failure reason, where the channel shows it
    assert any("console.aws.amazon.com/sagemaker" in step for step in content["nextSteps"])


def test_the_same_publish_gives_e_mail_and_queue_subscribers_the_readable_text(archive, chat):
    (alert,) = [
        a for a in archive.inbox.received if a.subject == "AutoML job chat-v1-fails failed in 123456789012 us-east-1"
    ]
    assert alert.message.startswith("AutoML job chat-v1-fails failed")
    assert not alert.message.lstrip().startswith("{")
    assert alert.attributes["status"] == "Failed"
    # One publish served both: the chat delivery and the queue's carry the same SNS message id
    (delivery,) = chat.deliveries
    assert delivery["MessageId"] == alert.raw["MessageId"]
