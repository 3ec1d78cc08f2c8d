"""The work queue, as the reconcile pass and the operator's backfill fill it."""

from __future__ import annotations

import json
from typing import Any

from automl_archive.dal.aws.client import BotoClient


class SqsWorkQueue(BotoClient):
    _service = "sqs"

    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def send_batch(self, bodies: list[dict[str, Any]]) -> None:
        for start in range(0, len(bodies), 10):  # SendMessageBatch's limit
            entries = [
                {"Id": str(index), "MessageBody": json.dumps(body)}
                for index, body in enumerate(bodies[start : start + 10])
            ]
            answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            if answer.get("Failed"):
                reasons = sorted({failure.get("Code", "?") for failure in answer["Failed"]})
                raise RuntimeError(f"{len(answer['Failed'])} messages not sent to the work queue: {reasons}")
