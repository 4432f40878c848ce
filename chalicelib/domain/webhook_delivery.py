"""Webhook use cases: configuring the endpoint, relaying order events from the outbox to
the webhook queue, delivering one attempt, and redelivering on request.

Guarantees (docs/architecture.md, "Webhooks"):
- at least once: an event's delivery is created with a conditional put and queued; a relay
  that runs twice finds it and at most queues its first attempt again;
- a duplicate or stale queue message never records a second attempt of the same number:
  the delivery record counts its attempts and every write is conditional on its version;
- the follow-up attempt is queued *before* the failed attempt is recorded, so a crash in
  between makes the failed message come back (and try again), never loses the chain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ulid import ULID

from .errors import ConcurrentModification, Conflict, NotFound
from .ids import new_event_id
from .models import OrderEvent
from .ports import Deps
from .provider_view import order_view
from .queues import delay_for, still_waiting
from .webhooks import (
    TEST_EVENT_DATA,
    WEBHOOK_TEST,
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    DeliveryState,
    WebhookEndpoint,
    WebhookMessage,
    build_event_payload,
    checked_event_types,
    delivery_id_for,
    disable,
    new_endpoint,
    order_event_data,
    reconfigure,
    rotate_secret,
    webhook_id_for,
)

logger = logging.getLogger(__name__)

_SAVE_TRIES = 3


# --- configuration ---------------------------------------------------------------------


def configure_endpoint(
    provider_id: str, url: str, event_types: list[str] | None, deps: Deps
) -> tuple[WebhookEndpoint, str | None]:
    """Create or change the provider's endpoint. Returns the secret only when the endpoint
    is new: it is shown once; a lost secret is replaced with `rotate_endpoint_secret`."""
    types = checked_event_types(event_types)
    deps.check_webhook_url(url)
    now = deps.clock.now()
    current = deps.webhook_store.get_endpoint(provider_id)
    if current is not None:
        updated = reconfigure(current, url, types, now)
        deps.webhook_store.put_endpoint(updated, expected_version=current.version)
        return updated, None
    secret = deps.new_webhook_secret()
    created = new_endpoint(provider_id, "whep_" + str(ULID()), url, types, secret, now)
    deps.webhook_store.put_endpoint(created, expected_version=None)
    return created, secret


def get_endpoint(provider_id: str, deps: Deps) -> WebhookEndpoint:
    endpoint = deps.webhook_store.get_endpoint(provider_id)
    if endpoint is None:
        raise NotFound("no webhook is configured")
    return endpoint


def delete_endpoint(provider_id: str, deps: Deps) -> WebhookEndpoint:
    """Remove the endpoint; returns the one removed (the API answers with it)."""
    endpoint = get_endpoint(provider_id, deps)
    if not deps.webhook_store.delete_endpoint(provider_id):
        raise NotFound("no webhook is configured")
    return endpoint


def rotate_endpoint_secret(provider_id: str, deps: Deps) -> tuple[WebhookEndpoint, str]:
    current = get_endpoint(provider_id, deps)
    secret = deps.new_webhook_secret()
    rotated = rotate_secret(current, secret, deps.clock.now())
    deps.webhook_store.put_endpoint(rotated, expected_version=current.version)
    return rotated, secret


# --- relay (outbox -> queue) -----------------------------------------------------------


def relay_event(event: OrderEvent, deps: Deps) -> Delivery | None:
    """Turn one outbox entry into a queued delivery; None if the provider gets no webhook
    for it. Safe to call again for the same event."""
    event_type = event.webhook_type
    if event_type is None:
        return None
    endpoint = deps.webhook_store.get_endpoint(event.provider_id)
    if endpoint is None or not endpoint.wants(event_type):
        return None
    # The snapshot written with the event is the order as of this change. Events written
    # without one are described by the order as it is now (a later state, never an
    # earlier one).
    order = event.order_snapshot or deps.orders.get(event.order_id)
    body = build_event_payload(event_type, event.at, order_event_data(order_view(order)))
    delivery = Delivery(
        id=delivery_id_for(event.id),
        provider_id=event.provider_id,
        event_id=event.id,
        event_type=event_type,
        webhook_id=webhook_id_for(event.id),
        order_id=event.order_id,
        body=body,
        created_at=deps.clock.now(),
    )
    if endpoint.disabled:
        # Kept (not queued) so the provider sees what it missed and can redeliver it.
        delivery = delivery.model_copy(
            update={"state": DeliveryState.FAILED, "final_error": "endpoint_disabled"}
        )
        deps.webhook_store.add_delivery(delivery)
        return delivery
    if not deps.webhook_store.add_delivery(delivery):
        existing = deps.webhook_store.get_delivery(event.provider_id, delivery.id)
        if existing.attempt_count > 0 or existing.state != DeliveryState.PENDING:
            return existing  # already on its way; relaying again changes nothing
        # Created by an earlier relay that may have died before queueing it: queue again.
        # A duplicate first attempt is dropped by the worker.
        delivery = existing
    deps.webhook_queue.send(_first_attempt(delivery, attempt=1))
    return delivery


def send_test_event(provider_id: str, deps: Deps) -> Delivery:
    """A `webhook.test` delivery through the queue, like any event."""
    endpoint = get_endpoint(provider_id, deps)
    now = deps.clock.now()
    event_id = new_event_id(now)
    delivery = Delivery(
        id=delivery_id_for(event_id),
        provider_id=provider_id,
        event_id=event_id,
        event_type=WEBHOOK_TEST,
        webhook_id=webhook_id_for(event_id),
        body=build_event_payload(WEBHOOK_TEST, now, dict(TEST_EVENT_DATA)),
        created_at=now,
    )
    if endpoint.disabled:
        delivery = delivery.model_copy(
            update={"state": DeliveryState.FAILED, "final_error": "endpoint_disabled"}
        )
        deps.webhook_store.add_delivery(delivery)
        return delivery
    deps.webhook_store.add_delivery(delivery)
    deps.webhook_queue.send(_first_attempt(delivery, attempt=1))
    return delivery


def redeliver(provider_id: str, delivery_id: str, deps: Deps) -> Delivery:
    """Send a delivery again with the same bytes and `webhook-id`, as a new attempt that
    starts the retry schedule afresh."""
    endpoint = get_endpoint(provider_id, deps)
    if endpoint.disabled:
        raise Conflict(
            "the webhook is disabled; configure it again (PUT /webhook) to enable it",
            details={"disabled_reason": endpoint.disabled_reason},
        )
    current = deps.webhook_store.get_delivery(provider_id, delivery_id)
    pending = current.next_version(state=DeliveryState.PENDING, final_error=None)
    deps.webhook_store.save_delivery(pending, expected_version=current.version)
    deps.webhook_queue.send(_first_attempt(pending, attempt=current.attempt_count + 1))
    return pending


def list_deliveries(
    provider_id: str, *, limit: int, cursor: str | None, deps: Deps
) -> DeliveryPage:
    return deps.webhook_store.list_deliveries(provider_id, limit=limit, cursor=cursor)


def _first_attempt(delivery: Delivery, *, attempt: int) -> WebhookMessage:
    return WebhookMessage(
        delivery_id=delivery.id,
        provider_id=delivery.provider_id,
        event_id=delivery.event_id,
        attempt=attempt,
        try_number=1,
    )


# --- delivery (one queue message) ------------------------------------------------------


def deliver(message: WebhookMessage, deps: Deps) -> str:
    """Make the attempt `message` asks for, record it, and queue the next one if due.
    Returns what happened, for the log: "sent", "failed", "retry", "deferred",
    "duplicate", "unknown" or "no_endpoint". Raises only for infrastructure errors (the
    message then comes back and is tried again)."""
    wait = still_waiting(message.not_before, deps.clock.now())
    if wait is not None:
        deps.webhook_queue.send(message, delay_seconds=wait)
        return "deferred"
    try:
        delivery = deps.webhook_store.get_delivery(message.provider_id, message.delivery_id)
    except NotFound:
        logger.warning("webhook message for an unknown delivery dropped")
        return "unknown"
    if delivery.attempt_count != message.attempt - 1:
        # >=: this attempt is recorded already (a duplicate or replayed message).
        # <: its predecessor is not recorded yet; that message comes back and queues us again.
        return "duplicate"
    endpoint = deps.webhook_store.get_endpoint(message.provider_id)
    if endpoint is None or endpoint.disabled:
        reason = "endpoint_removed" if endpoint is None else "endpoint_disabled"
        _save(
            delivery,
            message.attempt,
            deps,
            lambda d: d.next_version(
                state=DeliveryState.FAILED, final_error=reason, next_attempt_at=None
            ),
        )
        return "no_endpoint"

    at = deps.clock.now()
    outcome = deps.webhook_transport.send(
        endpoint.url,
        delivery.body.encode("utf-8"),
        webhook_id=delivery.webhook_id,
        secrets=endpoint.signing_secrets(at),
        at=at,
    )
    attempt = _attempt_record(message.attempt, at, outcome)
    state, final_error, next_at = DeliveryState.PENDING, None, None
    if outcome.ok:
        state = DeliveryState.SUCCEEDED
    elif outcome.gone:
        state, final_error = DeliveryState.FAILED, "endpoint_gone"
        _disable_endpoint(endpoint, deps)
    else:
        wait = deps.webhook_retries.wait_after(message.try_number, at_least_s=outcome.retry_after_s)
        if wait is None:
            state, final_error = DeliveryState.FAILED, "retry_budget_spent"
        else:
            next_at = at + timedelta(seconds=wait)
            delay = delay_for(wait, at)
            follow_up = message.model_copy(
                update={
                    "attempt": message.attempt + 1,
                    "try_number": message.try_number + 1,
                    "not_before": delay.not_before,
                }
            )
            deps.webhook_queue.send(follow_up, delay_seconds=delay.queue_delay_s)

    def record(d: Delivery) -> Delivery:
        return d.next_version(
            attempts=(*d.attempts, attempt),
            state=state,
            final_error=final_error,
            next_attempt_at=next_at,
        )

    if not _save(delivery, message.attempt, deps, record):
        return "duplicate"
    if outcome.ok:
        return "sent"
    return "retry" if state == DeliveryState.PENDING else "failed"


def _attempt_record(number: int, at: datetime, outcome: AttemptOutcome) -> DeliveryAttempt:
    return DeliveryAttempt(
        number=number,
        at=at,
        ok=outcome.ok,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
    )


def _save(
    delivery: Delivery, attempt: int, deps: Deps, change: Callable[[Delivery], Delivery]
) -> bool:
    """Apply `change` with a conditional write; False if attempt `attempt` was recorded
    by someone else meanwhile (a concurrent duplicate), in which case theirs stands."""
    current = delivery
    for _ in range(_SAVE_TRIES):
        try:
            deps.webhook_store.save_delivery(change(current), expected_version=current.version)
            return True
        except ConcurrentModification:
            current = deps.webhook_store.get_delivery(delivery.provider_id, delivery.id)
            if current.attempt_count >= attempt:
                return False
    raise ConcurrentModification(f"delivery {delivery.id} kept changing")


def _disable_endpoint(endpoint: WebhookEndpoint, deps: Deps) -> None:
    """410 Gone: stop sending to it until the provider configures it again."""
    current: WebhookEndpoint | None = endpoint
    for _ in range(_SAVE_TRIES):
        if current is None or current.endpoint_id != endpoint.endpoint_id or current.disabled:
            return  # removed or replaced meanwhile: the 410 was about an endpoint gone already
        if current.url != endpoint.url:
            return  # reconfigured meanwhile: the new URL has not said 410
        try:
            deps.webhook_store.put_endpoint(
                disable(current, "gone", deps.clock.now()), expected_version=current.version
            )
            logger.warning("webhook endpoint disabled after 410 Gone")
            return
        except ConcurrentModification:
            current = deps.webhook_store.get_endpoint(endpoint.provider_id)
