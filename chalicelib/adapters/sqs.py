"""The queues on SQS (activation and webhook queues alike), and an in-memory twin."""

from __future__ import annotations

import json
import threading

from pydantic import BaseModel

from ..domain.queues import clamped_delay
from .aws_clients import AwsConnection


class SqsQueue[M: BaseModel]:
    """Messages are pydantic models, sent as their JSON."""

    def __init__(self, queue_url: str, connection: AwsConnection) -> None:
        self._queue_url = queue_url
        self._connection = connection

    def send(self, message: M, delay_seconds: int = 0) -> None:
        self._connection.client("sqs").send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.model_dump_json(),
            DelaySeconds=clamped_delay(delay_seconds),
        )


class InMemoryQueue[M]:
    """Keeps what was sent (delays clamped as SQS would); tests drive the consumers with
    `take()` instead of waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[tuple[M, int]] = []

    def send(self, message: M, delay_seconds: int = 0) -> None:
        with self._lock:
            self.sent.append((message, clamped_delay(delay_seconds)))

    def take(self) -> list[tuple[M, int]]:
        """Everything queued so far, emptying the queue."""
        with self._lock:
            taken, self.sent = self.sent, []
        return taken

    @property
    def messages(self) -> list[M]:
        return [message for message, _ in self.sent]


def create_queues(names: list[str], connection: AwsConnection) -> dict[str, str]:
    """Create each queue with a DLQ (local stack and tests); returns name -> URL."""
    client = connection.client("sqs")
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
