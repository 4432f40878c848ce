"""Standard Webhooks signing: what a provider's standard library must accept."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from chalicelib.adapters.webhooks.signing import new_webhook_secret, sign_webhook

BODY = json.dumps(
    {"type": "webhook.test", "timestamp": "2025-01-01T00:00:00Z", "data": {"å": "ö"}},
    ensure_ascii=False,
).encode("utf-8")


def now() -> datetime:
    return datetime.now(UTC)


def test_new_secret_is_whsec_with_32_random_bytes() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_webhook_secret() != secret


def test_signature_verifies_with_the_standard_library() -> None:
    secret = new_webhook_secret()
    headers = sign_webhook([secret], "msg_01", now(), BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_every_secret_of_a_rotation_verifies() -> None:
    # Given an old and a new secret during the rotation grace period
    old, new = new_webhook_secret(), new_webhook_secret()
    # When a delivery is signed with both
    headers = sign_webhook([new, old], "msg_02", now(), BODY)
    # Then a receiver holding either one verifies, and one holding neither does not
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(BODY, headers)


def test_tampered_body_fails_verification() -> None:
    secret = new_webhook_secret()
    headers = sign_webhook([secret], "msg_03", now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"webhook.test", b"order.created"), headers)


def test_another_message_id_fails_verification() -> None:
    secret = new_webhook_secret()
    headers = sign_webhook([secret], "msg_04", now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "msg_05"})


def test_header_shapes() -> None:
    at = datetime(2025, 3, 1, 12, 0, 30, 900000, tzinfo=UTC)
    headers = sign_webhook([new_webhook_secret()], "msg_06", at, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "msg_06"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))  # whole seconds
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])


def test_timestamp_in_another_zone_is_the_same_instant() -> None:
    # The library replaces the zone instead of converting; we must hand it UTC.
    secret = new_webhook_secret()
    local = now().astimezone(timezone(timedelta(hours=2)))
    headers = sign_webhook([secret], "msg_07", local, BODY)
    assert headers["webhook-timestamp"] == str(int(local.timestamp()))
    Webhook(secret).verify(BODY, headers)


def test_naive_timestamp_and_no_secret_are_refused() -> None:
    with pytest.raises(ValueError):
        sign_webhook([new_webhook_secret()], "msg_08", datetime(2025, 1, 1), BODY)
    with pytest.raises(ValueError):
        sign_webhook([], "msg_08", now(), BODY)
