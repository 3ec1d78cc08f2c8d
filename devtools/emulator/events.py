"""Put SageMaker-shaped events on the default EventBridge bus (as SageMaker, which may use its "aws." source),
and read SNS alerts back through SQS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.emulator.aws import LocalAws
from devtools.emulator.event_builders import Event
from devtools.emulator.limits import as_aws_service

PUT_EVENTS_BATCH = 10  # PutEvents takes at most 10 entries


def put_event_entry(event: Event, bus_name: str = "default") -> dict[str, Any]:
    """The PutEvents entry that makes EventBridge deliver `event` to the rules' targets."""
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Time": datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
        "Resources": list(event.get("resources", [])),
        "EventBusName": bus_name,
    }


def put_events(aws: LocalAws, events: list[Event], bus_name: str = "default") -> int:
    """Publish events in batches of 10, as SageMaker (faults injected into PutEvents are the product's,
    not SageMaker's); raise if EventBridge rejects any entry."""
    client = aws.service_client("events")
    for start in range(0, len(events), PUT_EVENTS_BATCH):
        batch = [put_event_entry(event, bus_name) for event in events[start : start + PUT_EVENTS_BATCH]]
        with as_aws_service():  # SageMaker's own "aws.sagemaker" events
            answer = client.put_events(Entries=batch)
        if answer.get("FailedEntryCount"):
            failures = [entry for entry in answer["Entries"] if "ErrorCode" in entry]
            raise RuntimeError(f"PutEvents rejected {len(failures)} entries: {failures}")
    return len(events)


@dataclass
class Alert:
    subject: str | None
    message: str
    attributes: dict[str, str]
    raw: dict[str, Any]


class AlertsInbox:
    """A fresh SQS queue subscribed to an SNS topic (non-raw delivery, so Subject and attributes survive)."""

    def __init__(self, aws: LocalAws, topic_arn: str, queue_name: str = "local-alerts-inbox") -> None:
        self._sqs = aws.client("sqs")
        self.queue_url = self._sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.subscription_arn = aws.client("sns").subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        self.received: list[Alert] = []

    def read(self) -> list[Alert]:
        """Every alert delivered since the last read (also kept in `received`)."""
        fresh: list[Alert] = []
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {
                    name: str(value.get("Value")) for name, value in envelope.get("MessageAttributes", {}).items()
                }
                fresh.append(Alert(envelope.get("Subject"), envelope.get("Message", ""), attributes, envelope))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.received += fresh
        return fresh


class EventsInbox:
    """A user's rule on the product's AutoML Job State Change events, feeding a fresh SQS queue: what an
    automation subscribed with `pattern` (docs/events.md) would receive."""

    def __init__(
        self, aws: LocalAws, bus: str, pattern: dict[str, Any], name: str = "local-state-change-events"
    ) -> None:
        self._sqs = aws.client("sqs")
        self.queue_url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = aws.client("events")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.received: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        """Every event delivered since the last read (also kept in `received`)."""
        fresh: list[dict[str, Any]] = []
        while messages := self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                fresh.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.received += fresh
        return fresh

    def state_ids(self, job_name: str | None = None) -> list[str]:
        """The `detail.state_id` of every event received (of one job), in arrival order."""
        return [
            event["detail"]["state_id"]
            for event in self.received
            if job_name is None or event["detail"]["job_name"] == job_name
        ]
