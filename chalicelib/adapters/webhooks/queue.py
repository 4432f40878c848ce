"""The webhook queue on SQS, and an in-memory twin for tests."""

from __future__ import annotations

import threading

from chalicelib.adapters.sqs import MAX_DELAY_SECONDS, sqs_client
from chalicelib.domain.webhooks import WebhookMessage


class SqsWebhookQueue:
    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def send(self, message: WebhookMessage, delay_seconds: int = 0) -> None:
        sqs_client().send_message(
            QueueUrl=self._queue_url,
            MessageBody=message.model_dump_json(),
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )


class InMemoryWebhookQueue:
    """Keeps what was sent; tests drive the worker with `take()` instead of waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[tuple[WebhookMessage, int]] = []

    def send(self, message: WebhookMessage, delay_seconds: int = 0) -> None:
        with self._lock:
            self.sent.append((message, max(0, min(delay_seconds, MAX_DELAY_SECONDS))))

    def take(self) -> list[tuple[WebhookMessage, int]]:
        """Everything queued so far, emptying the queue."""
        with self._lock:
            taken, self.sent = self.sent, []
        return taken

    @property
    def messages(self) -> list[WebhookMessage]:
        return [message for message, _ in self.sent]
