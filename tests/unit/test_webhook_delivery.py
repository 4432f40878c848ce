"""Webhook use cases over in-memory adapters and a scripted transport: relay, delivery,
retries, 410, redelivery, and duplicate or replayed messages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.memory.store import InMemoryOrderStore
from chalicelib.adapters.memory.webhooks import InMemoryWebhookStore
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.errors import ConcurrentModification, Conflict, NotFound
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.models import Order, OrderEvent, OrderEventKind, OrderStatus
from chalicelib.domain.webhook_delivery import (
    configure_endpoint,
    deliver,
    redeliver,
    relay_event,
    rotate_endpoint_secret,
    send_test_event,
)
from chalicelib.domain.webhooks import (
    AttemptOutcome,
    DeliveryState,
    WebhookMessage,
    delivery_id_for,
)
from tests.fakes import FixedClock

from .provider_factories import make_order

A, B = "prov-a", "prov-b"
URL = "https://hooks.example.com/in"
PUBLIC = "93.184.216.34"


@dataclass
class ScriptedTransport:
    outcomes: list[AttemptOutcome] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def send(
        self, url: str, body: bytes, *, webhook_id: str, secrets: list[str], at: datetime
    ) -> AttemptOutcome:
        self.calls.append(
            {"url": url, "body": body, "webhook_id": webhook_id, "secrets": secrets, "at": at}
        )
        if self.outcomes:
            return self.outcomes.pop(0)
        return AttemptOutcome(ok=True, status_code=204, latency_ms=3)


def failed(status: int = 503, retry_after_s: int | None = None) -> AttemptOutcome:
    return AttemptOutcome(
        ok=False,
        status_code=status,
        latency_ms=4,
        error=f"http_{status}",
        retry_after_s=retry_after_s,
        gone=status == 410,
    )


class FlakyStore(InMemoryWebhookStore):
    """Fails the next N delivery saves, as DynamoDB might."""

    fail_saves = 0

    def save_delivery(self, delivery: Any, expected_version: int) -> None:
        if self.fail_saves:
            self.fail_saves -= 1
            raise RuntimeError("store unavailable")
        super().save_delivery(delivery, expected_version)


def public_dns(host: str, port: int) -> list[str]:
    return [PUBLIC]


@dataclass
class World:
    deps: InMemoryAdapters
    clock: FixedClock
    transport: ScriptedTransport
    queue: InMemoryQueue[WebhookMessage]
    store: FlakyStore
    orders: InMemoryOrderStore
    secrets: list[str] = field(default_factory=list)

    def configure(self, provider: str = A, **kwargs: Any) -> str:
        _, secret = configure_endpoint(provider, URL, kwargs.get("event_types"), self.deps)
        assert secret is not None
        return secret

    def order_with_event(
        self, provider: str = A, webhook_type: str | None = "order.created", snapshot: bool = True
    ) -> tuple[Order, OrderEvent]:
        order = make_order(provider, self.clock.advance(milliseconds=1))
        event = OrderEvent(
            id=new_event_id(self.clock.now()),
            order_id=order.id,
            provider_id=provider,
            kind=OrderEventKind.ORDER_CREATED,
            at=self.clock.now(),
            actor="customer",
            webhook_type=webhook_type,
            order_snapshot=order if snapshot else None,
        )
        self.orders.create(order, [event])
        return order, event

    def run_queue(self, rounds: int = 20) -> list[str]:
        """Drive the worker with whatever is queued; time jumps instead of waiting."""
        results = []
        for _ in range(rounds):
            batch = self.queue.take()
            if not batch:
                break
            for message, delay in batch:
                due = message.not_before or self.clock.now() + timedelta(seconds=delay)
                self.clock.at = max(self.clock.at, due)
                results.append(deliver(message, self.deps))
        return results


@pytest.fixture
def world() -> World:
    clock = FixedClock()
    transport = ScriptedTransport()
    queue: InMemoryQueue[WebhookMessage] = InMemoryQueue()
    store = FlakyStore()
    # The real retry schedule (WEBHOOK_RETRIES) and the real SSRF guard, over a fake DNS
    # that answers a public address.
    deps = InMemoryAdapters(
        clock=clock,
        webhook_transport=transport,
        webhook_queue=queue,
        webhook_store=store,
        resolver=public_dns,
    )
    orders = deps.orders
    assert isinstance(orders, InMemoryOrderStore)
    return World(deps, clock, transport, queue, store, orders)


# --- relay -----------------------------------------------------------------------------


def test_relay_creates_one_delivery_and_queues_its_first_attempt(world: World) -> None:
    world.configure()
    order, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    assert delivery.id == delivery_id_for(event.id)
    assert delivery.webhook_id == "msg_" + event.id.removeprefix("evt_")
    assert world.queue.messages == [
        WebhookMessage(
            delivery_id=delivery.id, provider_id=A, event_id=event.id, attempt=1, try_number=1
        )
    ]
    payload = json.loads(delivery.body)
    assert payload["type"] == "order.created"
    assert payload["data"]["order"]["id"] == order.id
    assert "receipt_token_hash" not in payload["data"]["order"]


def test_relaying_an_event_again_creates_no_second_delivery(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    relay_event(event, world.deps)
    # Given the first relay died before its message was processed, a replay queues it again
    relay_event(event, world.deps)
    assert len(world.queue.messages) == 2
    # When both copies reach the worker, only one is sent
    assert sorted(world.run_queue()) == ["duplicate", "sent"]
    assert len(world.transport.calls) == 1
    # And once an attempt is recorded, a further replay queues nothing
    relay_event(event, world.deps)
    assert world.queue.messages == []
    page = world.store.list_deliveries(A, limit=10, cursor=None)
    assert len(page.items) == 1


def test_the_payload_shows_the_order_as_of_its_event_not_as_it_is_now(world: World) -> None:
    world.configure()
    order, event = world.order_with_event()
    later = order.next_version(status=OrderStatus.DELIVERED, updated_at=world.clock.now())
    world.orders.replace(later, expected_version=order.version, events=[])
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    assert json.loads(delivery.body)["data"]["order"]["status"] == "new"


def test_an_event_without_a_snapshot_is_described_by_the_current_order(world: World) -> None:
    world.configure()
    order, event = world.order_with_event(snapshot=False)
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    assert json.loads(delivery.body)["data"]["order"]["id"] == order.id


def test_no_delivery_without_a_webhook_type_an_endpoint_or_a_subscription(world: World) -> None:
    _, event = world.order_with_event()
    assert relay_event(event, world.deps) is None  # no endpoint
    world.configure(event_types=["order.status_changed"])
    assert relay_event(event, world.deps) is None  # not subscribed
    _, audit = world.order_with_event(webhook_type=None)
    assert relay_event(audit, world.deps) is None  # not an outbox entry
    assert world.queue.messages == []


# --- delivery --------------------------------------------------------------------------


def test_a_2xx_answer_records_a_successful_attempt(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    assert world.run_queue() == ["sent"]
    stored = world.store.get_delivery(A, delivery.id)
    assert stored.state == DeliveryState.SUCCEEDED
    [attempt] = stored.attempts
    assert (attempt.number, attempt.ok, attempt.status_code, attempt.latency_ms) == (
        1,
        True,
        204,
        3,
    )
    call = world.transport.calls[0]
    assert call["body"] == delivery.body.encode() and call["url"] == URL


def test_failures_retry_on_the_schedule_with_the_same_bytes_and_webhook_id(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    world.transport.outcomes = [failed(503), failed(500), failed(502)]
    # attempt 1 fails: attempt 2 is queued about 5 s later
    assert world.run_queue(rounds=1) == ["retry"]
    [(second, delay)] = world.queue.sent
    assert (second.attempt, second.try_number) == (2, 2)
    assert 4 <= delay <= 6
    world.run_queue()
    stored = world.store.get_delivery(A, delivery.id)
    assert stored.state == DeliveryState.SUCCEEDED
    assert [a.status_code for a in stored.attempts] == [503, 500, 502, 204]
    assert {c["body"] for c in world.transport.calls} == {delivery.body.encode()}
    assert {c["webhook_id"] for c in world.transport.calls} == {delivery.webhook_id}


def test_retry_after_is_honoured_and_long_waits_travel_in_the_message(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    relay_event(event, world.deps)
    world.transport.outcomes = [failed(429, retry_after_s=3600)]
    world.run_queue(rounds=1)
    [(follow_up, delay)] = world.queue.take()
    # SQS delays stop at 15 minutes; the rest of the hour is carried as not_before
    assert delay == 900
    assert follow_up.not_before == world.clock.now() + timedelta(seconds=3600)
    # Arriving early, it is re-queued without sending
    world.clock.advance(seconds=900)
    assert deliver(follow_up, world.deps) == "deferred"
    assert len(world.transport.calls) == 1
    [(again, wait)] = world.queue.take()
    assert again == follow_up and wait == 900
    world.clock.advance(seconds=2700)
    assert deliver(again, world.deps) == "sent"


def test_after_the_retry_budget_the_delivery_fails(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    world.transport.outcomes = [failed(500) for _ in range(20)]
    world.run_queue()
    stored = world.store.get_delivery(A, delivery.id)
    assert stored.state == DeliveryState.FAILED
    assert stored.final_error == "retry_budget_spent"
    assert len(stored.attempts) == 8  # immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h


def test_410_disables_the_endpoint_and_later_events_are_kept_unsent(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    world.transport.outcomes = [failed(410)]
    assert world.run_queue() == ["failed"]
    endpoint = world.store.get_endpoint(A)
    assert endpoint is not None and endpoint.disabled and endpoint.disabled_reason == "gone"
    assert world.store.get_delivery(A, delivery.id).final_error == "endpoint_gone"
    _, next_event = world.order_with_event()
    kept = relay_event(next_event, world.deps)
    assert kept is not None and kept.final_error == "endpoint_disabled"
    assert world.queue.messages == [] and len(world.transport.calls) == 1
    with pytest.raises(Conflict):
        redeliver(A, kept.id, world.deps)


def test_a_removed_endpoint_fails_the_delivery_without_sending(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    world.store.delete_endpoint(A)
    assert world.run_queue() == ["no_endpoint"]
    assert world.transport.calls == []
    assert world.store.get_delivery(A, delivery.id).final_error == "endpoint_removed"


def test_the_same_message_twice_sends_once(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    relay_event(event, world.deps)
    [(message, _)] = world.queue.take()
    assert deliver(message, world.deps) == "sent"
    assert deliver(message, world.deps) == "duplicate"
    assert len(world.transport.calls) == 1


def test_a_crash_after_queueing_the_retry_neither_loses_nor_doubles_it(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    [(first, _)] = world.queue.take()
    world.transport.outcomes = [failed(503)]
    # Given the store fails while recording attempt 1 (after attempt 2 was queued)
    world.store.fail_saves = 1
    with pytest.raises(RuntimeError):
        deliver(first, world.deps)
    [(early_second, _)] = world.queue.take()
    # When attempt 2 arrives before attempt 1 comes back, it steps aside
    assert deliver(early_second, world.deps) == "duplicate"
    # Then attempt 1 comes back (SQS redelivery), is sent and recorded, and the chain goes on
    assert deliver(first, world.deps) == "sent"
    stored = world.store.get_delivery(A, delivery.id)
    assert [a.number for a in stored.attempts] == [1]
    assert stored.state == DeliveryState.SUCCEEDED


def test_signing_uses_the_current_and_in_grace_secrets(world: World) -> None:
    first = world.configure()
    _, second = rotate_endpoint_secret(A, world.deps)
    _, event = world.order_with_event()
    relay_event(event, world.deps)
    world.run_queue()
    assert world.transport.calls[0]["secrets"] == [second, first]
    world.clock.advance(hours=25)
    _, event2 = world.order_with_event()
    relay_event(event2, world.deps)
    world.run_queue()
    assert world.transport.calls[1]["secrets"] == [second]


def test_redelivery_sends_the_same_body_as_a_new_attempt(world: World) -> None:
    world.configure()
    _, event = world.order_with_event()
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    world.run_queue()
    again = redeliver(A, delivery.id, world.deps)
    assert again.state == DeliveryState.PENDING
    [(message, _)] = world.queue.sent
    assert (message.attempt, message.try_number) == (2, 1)
    assert world.run_queue() == ["sent"]
    first, second = world.transport.calls
    assert first["body"] == second["body"] and first["webhook_id"] == second["webhook_id"]
    assert len(world.store.get_delivery(A, delivery.id).attempts) == 2


def test_another_providers_delivery_cannot_be_redelivered(world: World) -> None:
    world.configure(A)
    world.configure(B)
    _, event = world.order_with_event(B)
    delivery = relay_event(event, world.deps)
    assert delivery is not None
    with pytest.raises(NotFound):
        redeliver(A, delivery.id, world.deps)


def test_a_test_event_goes_through_the_queue(world: World) -> None:
    world.configure(event_types=["order.status_changed"])
    delivery = send_test_event(A, world.deps)
    assert delivery.event_type == "webhook.test"
    assert world.run_queue() == ["sent"]
    assert json.loads(world.transport.calls[0]["body"])["type"] == "webhook.test"


def test_configuring_again_keeps_the_secret_and_returns_none(world: World) -> None:
    secret = world.configure()
    endpoint, again = configure_endpoint(A, URL + "/v2", ["order.created"], world.deps)
    assert again is None
    assert endpoint.signing_secrets(world.clock.now()) == [secret]
    assert endpoint.event_types == ("order.created",)


def test_concurrent_changes_to_an_endpoint_are_refused(world: World) -> None:
    world.configure()
    current = world.store.get_endpoint(A)
    assert current is not None
    world.store.put_endpoint(current.next_version(), expected_version=1)
    with pytest.raises(ConcurrentModification):
        world.store.put_endpoint(current.next_version(), expected_version=1)
