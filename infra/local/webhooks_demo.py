"""The demo provider's webhook for the local stack: DEMO_WEBHOOK_URL is where its events
go, signed with DEMO_WEBHOOK_SECRET (a `whsec_` value, as `standardwebhooks` expects).
With only the URL set, a secret is generated and shown once on the console."""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from chalicelib.adapters.webhooks.guard import check_webhook_url
from chalicelib.adapters.webhooks.signing import SECRET_PREFIX, new_webhook_secret
from chalicelib.domain.clock import Clock
from chalicelib.domain.webhooks import WebhookStore, new_endpoint

DEMO_PROVIDER_ID = "demo-tl"
# Standard Webhooks: 24 to 64 bytes of key after the prefix.
_MIN_KEY_BYTES, _MAX_KEY_BYTES = 24, 64


class DemoWebhookError(ValueError):
    pass


@dataclass(frozen=True)
class DemoWebhook:
    url: str
    secret: str
    generated: bool  # True: nobody knows the secret yet, so the console shows it


def check_demo_secret(secret: str) -> str:
    """Refuse a secret `standardwebhooks.Webhook` would not accept or that is too short;
    the message never repeats the value."""
    if not secret.startswith(SECRET_PREFIX):
        raise DemoWebhookError(f"DEMO_WEBHOOK_SECRET must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise DemoWebhookError(
            f"DEMO_WEBHOOK_SECRET must be {SECRET_PREFIX} followed by base64"
        ) from None
    if not _MIN_KEY_BYTES <= len(key) <= _MAX_KEY_BYTES:
        raise DemoWebhookError(
            f"DEMO_WEBHOOK_SECRET's key must be {_MIN_KEY_BYTES} to {_MAX_KEY_BYTES} bytes"
        )
    return secret


def seed_demo_webhook(
    store: WebhookStore,
    clock: Clock,
    *,
    url: str | None,
    secret: str | None,
    allow_insecure: bool,
    provider_id: str = DEMO_PROVIDER_ID,
) -> DemoWebhook | None:
    """Configure the demo provider's endpoint; None when no URL is given."""
    if not url:
        if secret:
            raise DemoWebhookError("DEMO_WEBHOOK_SECRET is set but DEMO_WEBHOOK_URL is not")
        return None
    check_webhook_url(url, allow_insecure=allow_insecure)
    generated = not secret
    value = new_webhook_secret() if not secret else check_demo_secret(secret)
    now = clock.now()
    endpoint = new_endpoint(provider_id, "whep_demo", url, (), value, now)
    current = store.get_endpoint(provider_id)
    if current is None:
        store.put_endpoint(endpoint, expected_version=None)
    else:
        replacement = endpoint.model_copy(update={"version": current.version + 1})
        store.put_endpoint(replacement, expected_version=current.version)
    return DemoWebhook(url=url, secret=value, generated=generated)


def seed_from_environment(
    store: WebhookStore, clock: Clock, allow_insecure: bool
) -> DemoWebhook | None:
    return seed_demo_webhook(
        store,
        clock,
        url=os.environ.get("DEMO_WEBHOOK_URL") or None,
        secret=os.environ.get("DEMO_WEBHOOK_SECRET") or None,
        allow_insecure=allow_insecure,
    )
