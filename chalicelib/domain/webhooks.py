"""Webhooks to providers (docs/architecture.md, "Webhooks"): endpoint configuration, secret
rotation, deliveries and their attempts, the event payload, and the store interface.

Pure: the HTTP sending, signing and SSRF guard are adapters handed in by the caller
(see `webhook_delivery.py` for the use cases that combine them).

Identity: one order event is one logical delivery. The delivery id and the `webhook-id`
header both derive from the event id, so an event relayed twice (streams are at least
once) finds its delivery already there instead of creating a second one, and a receiver
deduplicating on `webhook-id` sees the same id on every retry and redelivery.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .errors import InvalidInput
from .retry import RetrySchedule

ORDER_CREATED = "order.created"
ORDER_ACTIVATION_CHANGED = "order.activation_changed"
ORDER_STATUS_CHANGED = "order.status_changed"
# The customer used the right of withdrawal (ångerrätt); the order is cancelled.
ORDER_WITHDRAWN = "order.withdrawn"
WEBHOOK_TEST = "webhook.test"
# What a provider may subscribe to; `webhook.test` is sent only on request, whatever the filter.
ORDER_EVENT_TYPES: tuple[str, ...] = (
    ORDER_CREATED,
    ORDER_ACTIVATION_CHANGED,
    ORDER_STATUS_CHANGED,
    ORDER_WITHDRAWN,
)

# The old secret keeps signing beside the new one this long, so a provider can roll its
# receivers over without rejecting a single delivery.
ROTATION_GRACE = timedelta(hours=24)
# Each signature is one more HMAC per delivery and header bytes; rotations in quick
# succession keep only the newest few.
MAX_SIGNING_SECRETS = 5
# Standard Webhooks' schedule: after a failed attempt the next waits 5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h, 10 h; eight attempts over about 28 hours, then the budget is spent. A
# provider's Retry-After is honoured when it asks for more patience, up to a day.
WEBHOOK_RETRIES = RetrySchedule(
    waits_s=(5, 300, 1800, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600), max_wait_s=24 * 3600
)
# Deliveries are kept this long for the provider's listing (the table's TTL removes them).
DELIVERY_RETENTION = timedelta(days=30)

DELIVERY_ID_PATTERN = r"^dlv_[0-9A-HJKMNP-TV-Z]{26}$"
_EVENT_ID = re.compile(r"^evt_([0-9A-HJKMNP-TV-Z]{26})$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- endpoint configuration ------------------------------------------------------------


class WebhookSecret(_Frozen):
    # The `whsec_` value is needed to sign, so it is stored; it is never listed or logged.
    value: str = Field(repr=False)
    created_at: datetime
    # None while it is the current secret; set when a rotation starts its grace period.
    expires_at: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class WebhookEndpoint(_Frozen):
    provider_id: str
    endpoint_id: str  # "whep_" + ULID: a new id when the configuration is deleted and made anew
    url: str = Field(repr=False)  # may carry a provider's token in its path or query
    # Empty: every order event type.
    event_types: tuple[str, ...] = ()
    secrets: tuple[WebhookSecret, ...] = Field(repr=False)
    disabled: bool = False
    disabled_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int = Field(default=1, ge=1)

    def wants(self, event_type: str) -> bool:
        if event_type == WEBHOOK_TEST:
            return True
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery at `now`: the current one and those in grace,
        newest first."""
        live = [s for s in self.secrets if s.signs_at(now)]
        live.sort(key=lambda s: s.created_at, reverse=True)
        return [s.value for s in live]

    def next_version(self, **changes: Any) -> WebhookEndpoint:
        return self.model_copy(update={**changes, "version": self.version + 1})


def checked_event_types(event_types: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The subscription as stored: known order event types, deduplicated, in a fixed order."""
    if not event_types:
        return ()
    unknown = sorted({t for t in event_types if t not in ORDER_EVENT_TYPES})
    if unknown:
        raise InvalidInput(
            f"unknown event types {unknown}; choose from {list(ORDER_EVENT_TYPES)}",
            details={"field": "event_types", "allowed": list(ORDER_EVENT_TYPES)},
        )
    return tuple(t for t in ORDER_EVENT_TYPES if t in event_types)


def new_endpoint(
    provider_id: str,
    endpoint_id: str,
    url: str,
    event_types: tuple[str, ...],
    secret: str,
    now: datetime,
) -> WebhookEndpoint:
    return WebhookEndpoint(
        provider_id=provider_id,
        endpoint_id=endpoint_id,
        url=url,
        event_types=event_types,
        secrets=(WebhookSecret(value=secret, created_at=now),),
        created_at=now,
        updated_at=now,
    )


def reconfigure(
    endpoint: WebhookEndpoint, url: str, event_types: tuple[str, ...], now: datetime
) -> WebhookEndpoint:
    """A new URL or filter for an existing endpoint. Secrets stay; a disabled endpoint is
    enabled again (configuring it is the provider saying it works now)."""
    return endpoint.next_version(
        url=url, event_types=event_types, disabled=False, disabled_reason=None, updated_at=now
    )


def rotate_secret(
    endpoint: WebhookEndpoint, new_secret: str, now: datetime, grace: timedelta = ROTATION_GRACE
) -> WebhookEndpoint:
    """`new_secret` becomes current; every secret still signing keeps signing until
    now + grace (or its earlier expiry); expired ones are dropped."""
    kept: list[WebhookSecret] = []
    for secret in endpoint.secrets:
        if not secret.signs_at(now):
            continue
        ends = now + grace
        if secret.expires_at is not None and secret.expires_at < ends:
            ends = secret.expires_at
        kept.append(secret.model_copy(update={"expires_at": ends}))
    kept.sort(key=lambda s: s.created_at, reverse=True)
    fresh = WebhookSecret(value=new_secret, created_at=now)
    secrets = (fresh, *kept[: MAX_SIGNING_SECRETS - 1])
    return endpoint.next_version(secrets=secrets, updated_at=now)


def disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> WebhookEndpoint:
    return endpoint.next_version(disabled=True, disabled_reason=reason, updated_at=now)


# --- deliveries ------------------------------------------------------------------------


class DeliveryState(StrEnum):
    PENDING = "pending"  # queued or waiting for its next attempt
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retry budget spent, endpoint gone (410), removed or disabled


class DeliveryAttempt(_Frozen):
    number: int = Field(ge=1)
    at: datetime
    ok: bool
    status_code: int | None = None
    latency_ms: int = Field(ge=0)
    error: str | None = None  # a stable short code from the sender, never a response body


class Delivery(_Frozen):
    id: str = Field(pattern=DELIVERY_ID_PATTERN)
    provider_id: str
    event_id: str
    event_type: str
    webhook_id: str  # the `webhook-id` header: the same on every attempt
    order_id: str | None = None
    # The exact JSON text every attempt sends (serialized once, at relay time), so retries
    # and redeliveries carry identical bytes and identical signatures over them.
    body: str = Field(repr=False)
    created_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    attempts: tuple[DeliveryAttempt, ...] = ()
    next_attempt_at: datetime | None = None
    final_error: str | None = None
    version: int = Field(default=1, ge=1)

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    def next_version(self, **changes: Any) -> Delivery:
        return self.model_copy(update={**changes, "version": self.version + 1})


class DeliveryPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[Delivery]
    next_cursor: str | None = None


class WebhookMessage(_Frozen):
    """What the webhook queue carries: one attempt of one delivery.

    `attempt` numbers every attempt of the delivery (1, 2, ...): the delivery record says
    how many are recorded, so a duplicate or stale message is recognised and dropped.
    `try_number` is the position in the retry schedule; a redelivery starts it at 1 again.
    """

    delivery_id: str = Field(pattern=DELIVERY_ID_PATTERN)
    provider_id: str
    event_id: str
    attempt: int = Field(ge=1)
    try_number: int = Field(default=1, ge=1)
    # Carried when the wait exceeds the queue's delay cap (domain/queues.py).
    not_before: datetime | None = None


def _event_ulid(event_id: str) -> str:
    match = _EVENT_ID.match(event_id)
    if match is None:
        raise ValueError("an event id is evt_ followed by a ULID")
    return match.group(1)


def delivery_id_for(event_id: str) -> str:
    """Deterministic: a re-relayed event maps to the delivery it already has. The ULID
    keeps deliveries sortable newest first."""
    return "dlv_" + _event_ulid(event_id)


def webhook_id_for(event_id: str) -> str:
    return "msg_" + _event_ulid(event_id)


def event_timestamp(at: datetime) -> str:
    """RFC 3339 in UTC with a Z, as Standard Webhooks' examples write it."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_event_payload(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """`{type, timestamp, data}` as compact JSON: the exact text that is signed and sent."""
    payload = {"type": event_type, "timestamp": event_timestamp(at), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def order_event_data(order_view: dict[str, Any]) -> dict[str, Any]:
    return {"order": order_view}


TEST_EVENT_DATA: dict[str, Any] = {
    "message": "A test event from Stadsnätsfabriken: your endpoint is reachable."
}


# --- interfaces ------------------------------------------------------------------------


class WebhookStore(Protocol):
    def get_endpoint(self, provider_id: str) -> WebhookEndpoint | None: ...

    def put_endpoint(self, endpoint: WebhookEndpoint, expected_version: int | None) -> None:
        """Create (expected_version None: none may exist) or replace the provider's endpoint
        if its stored version is still `expected_version`; else ConcurrentModification."""

    def delete_endpoint(self, provider_id: str) -> bool:
        """True if there was one."""

    def add_delivery(self, delivery: Delivery) -> bool:
        """Store a new delivery; False (and nothing written) if its id already exists."""

    def get_delivery(self, provider_id: str, delivery_id: str) -> Delivery:
        """NotFound if unknown or another provider's: the two are indistinguishable."""

    def save_delivery(self, delivery: Delivery, expected_version: int) -> None:
        """Replace the delivery if its stored version is still `expected_version`
        (delivery.version is expected_version + 1); else ConcurrentModification."""

    def list_deliveries(self, provider_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        """Newest first; `next_cursor` continues after the last one returned."""


class AttemptOutcome(_Frozen):
    ok: bool
    status_code: int | None = None
    latency_ms: int = Field(ge=0)
    error: str | None = None
    retry_after_s: int | None = None
    gone: bool = False  # 410: the provider retired this endpoint


class WebhookTransport(Protocol):
    def send(
        self, url: str, body: bytes, *, webhook_id: str, secrets: list[str], at: datetime
    ) -> AttemptOutcome:
        """Sign `body` with every secret for this webhook id and time and POST it once.
        Never raises for network trouble: that is an outcome."""
