"""The activation queue on SQS, and an in-memory twin for unit tests."""

from __future__ import annotations

import threading
from typing import Any

from ..domain.ports import ActivationMessage
from .aws_clients import aws_client

# SQS refuses DelaySeconds above 15 minutes; longer waits travel in the message
# (`not_before`) and the worker re-queues until it is due.
MAX_DELAY_SECONDS = 900


def sqs_client() -> Any:
    return aws_client("sqs")


class SqsActivationQueue:
    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def send(self, message: ActivationMessage, delay_seconds: int = 0) -> None:
        sqs_client().send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.model_dump_json(),
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )


class InMemoryActivationQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[tuple[ActivationMessage, int]] = []

    def send(self, message: ActivationMessage, delay_seconds: int = 0) -> None:
        with self._lock:
            self.sent.append((message, delay_seconds))

    @property
    def messages(self) -> list[ActivationMessage]:
        return [message for message, _ in self.sent]


def create_queues(names: list[str]) -> dict[str, str]:
    """Create each queue with a DLQ (local stack and tests); returns name -> URL."""
    import json

    client = sqs_client()
    urls: dict[str, str] = {}
    for name in names:
        dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
        urls[name] = client.create_queue(
            QueueName=name,
            Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "60"},
        )["QueueUrl"]
        urls[f"{name}-dlq"] = dlq_url
    return urls
