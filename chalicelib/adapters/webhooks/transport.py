"""The webhook transport: Standard Webhooks signatures over the exact bytes, sent by the
SSRF-safe sender (which vets the URL again before every attempt)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.webhooks import AttemptOutcome

from .sender import WebhookSender
from .signing import sign_webhook


class HttpWebhookTransport:
    def __init__(self, sender: WebhookSender) -> None:
        self._sender = sender

    def send(
        self, url: str, body: bytes, *, webhook_id: str, secrets: list[str], at: datetime
    ) -> AttemptOutcome:
        headers = sign_webhook(secrets, webhook_id, at, body)
        result = self._sender.send(url, body, headers)
        return AttemptOutcome(
            ok=result.ok,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error,
            retry_after_s=result.retry_after_s,
            gone=result.gone,
        )
