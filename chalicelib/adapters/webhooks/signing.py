"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signed content is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256 with the
base64 key after the `whsec_` prefix. During a secret rotation every delivery carries one
`v1,<sig>` per secret, space-separated, so a receiver holding either secret verifies.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from secrets import token_bytes

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# Standard Webhooks recommends secrets of 24 to 64 bytes; 32 matches the HMAC-SHA256 block use.
SECRET_BYTES = 32


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def sign_webhook(
    secrets: list[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """Headers `webhook-id`, `webhook-timestamp`, `webhook-signature` for one attempt.

    `body` must be the exact bytes sent; the receiver verifies those bytes, not a re-encoding.
    """
    if not secrets:
        raise ValueError("at least one webhook secret is needed to sign")
    if not msg_id or any(c.isspace() for c in msg_id):
        raise ValueError("webhook id must be non-empty and without whitespace")
    if timestamp.tzinfo is None:
        # A naive time is ambiguous; the library would silently read it as UTC.
        raise ValueError("webhook timestamp must be timezone-aware")
    # Webhook.sign() replaces (not converts) the zone with UTC, so hand it UTC already.
    at = timestamp.astimezone(UTC)
    text = body.decode("utf-8")
    signatures = [Webhook(s).sign(msg_id=msg_id, timestamp=at, data=text) for s in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
