"""The SQS → Lambda event source mapping's side of a batch: records built from received messages, and
the partial batch response read back."""

from __future__ import annotations

from typing import Any

from devtools.emulator.aws import REGION


def queue_name_from_arn(queue_arn: str) -> str:
    return queue_arn.rsplit(":", 1)[-1]


def lambda_message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS's MessageAttributes in the lowercase form Lambda passes to handlers."""
    converted = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = value["BinaryValue"]
        converted[name] = entry
    return converted


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the SQS → Lambda event."""
    attributes = message.get("Attributes", {})
    record_attributes = {
        key: attributes[key]
        for key in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "MessageGroupId",
            "MessageDeduplicationId",
            "SequenceNumber",
        )
        if key in attributes
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": record_attributes,
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_message_ids(result: Any) -> set[str]:
    """Message ids the handler reported in batchItemFailures (partial batch response)."""
    if not isinstance(result, dict):
        return set()
    return {str(item["itemIdentifier"]) for item in result.get("batchItemFailures", []) or []}
