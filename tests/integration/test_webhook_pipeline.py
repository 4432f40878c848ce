"""Webhooks end to end on moto and real HTTP: an order change and its event are written
together, the table's stream carries the event to the relay, SQS to the delivery worker,
and a receiver on 127.0.0.1 verifies every signature with the standardwebhooks package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.domain import provider_orders
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.models import Order, OrderEvent, OrderEventKind, OrderStatus
from chalicelib.domain.webhook_delivery import (
    redeliver,
    relay_event,
    rotate_endpoint_secret,
    send_test_event,
)
from chalicelib.domain.webhooks import DeliveryState
from tests.fakes import wait_until
from tests.unit.provider_factories import make_order
from tests.webhook_receiver import Reply, WebhookReceiver

from .webhook_harness import Pipeline, running_pipeline, short_schedule

A = "prov-a"


@pytest.fixture
def pipeline(table_name: str) -> Iterator[Pipeline]:
    with running_pipeline(table_name) as running:
        yield running


def place(pipeline: Pipeline, provider: str = A) -> tuple[Order, OrderEvent]:
    """An order and its order.created event in one atomic write, as ordering does."""
    clock = pipeline.adapters.clock
    order = make_order(provider, clock.now())
    event = OrderEvent(
        id=new_event_id(order.created_at),
        order_id=order.id,
        provider_id=provider,
        kind=OrderEventKind.ORDER_CREATED,
        at=order.created_at,
        actor="customer",
        activation_state=order.activation.state,
        webhook_type="order.created",
        order_snapshot=order,
    )
    pipeline.adapters.orders.create(order, [event])
    return order, event


def succeeded(pipeline: Pipeline, count: int, provider: str = A) -> bool:
    done = [d for d in pipeline.deliveries(provider) if d.state == DeliveryState.SUCCEEDED]
    return len(done) >= count


def test_an_order_created_event_arrives_signed_with_the_order(pipeline: Pipeline) -> None:
    secret = pipeline.configure(A)
    order, event = place(pipeline)
    wait_until(lambda: succeeded(pipeline, 1), what="the delivery")
    [received] = pipeline.receiver.received
    assert received.verifies_with(secret)
    assert received.headers["webhook-id"] == "msg_" + event.id.removeprefix("evt_")
    payload = received.payload
    assert payload["type"] == "order.created"
    assert payload["data"]["order"]["id"] == order.id
    assert "receipt_token_hash" not in payload["data"]["order"]
    [delivery] = pipeline.deliveries(A)
    [attempt] = delivery.attempts
    assert attempt.ok and attempt.status_code == 200 and attempt.latency_ms >= 0


def test_a_status_change_is_announced_with_the_changed_order(pipeline: Pipeline) -> None:
    secret = pipeline.configure(A, event_types=["order.status_changed"])
    order, _ = place(pipeline)
    provider_orders.change_status(order.id, A, OrderStatus.RECEIVED, None, pipeline.adapters)
    wait_until(lambda: succeeded(pipeline, 1), what="the status delivery")
    [received] = pipeline.receiver.received  # order.created is not subscribed
    assert received.verifies_with(secret)
    assert received.payload["type"] == "order.status_changed"
    assert received.payload["data"]["order"]["status"] == "received"


def test_receiver_down_for_a_while_then_back_gets_every_event(table_name: str) -> None:
    with running_pipeline(table_name, schedule=short_schedule(wait_s=1)) as pipeline:
        secret = pipeline.configure(A)
        pipeline.receiver.down()
        events = [place(pipeline)[1] for _ in range(4)]

        def each_failed_twice() -> bool:
            found = pipeline.deliveries(A)
            return len(found) == 4 and all(len(d.attempts) >= 2 for d in found)

        wait_until(each_failed_twice, what="failed attempts while the receiver is down")
        assert all(
            a.error == "connection_refused" for d in pipeline.deliveries(A) for a in d.attempts
        )
        pipeline.receiver.up()
        wait_until(lambda: succeeded(pipeline, 4), what="deliveries after recovery")
        received = pipeline.receiver.received
        assert all(r.verifies_with(secret) for r in received)
        expected = {"msg_" + e.id.removeprefix("evt_") for e in events}
        assert {r.headers["webhook-id"] for r in received} == expected


def test_retry_after_is_honoured(table_name: str) -> None:
    schedule = short_schedule(wait_s=1)
    with running_pipeline(table_name, schedule=schedule) as pipeline:
        pipeline.configure(A)
        pipeline.receiver.script(Reply(503, {"Retry-After": "2"}))
        place(pipeline)
        wait_until(lambda: succeeded(pipeline, 1), what="the retried delivery")
        # The schedule alone would wait 1 s after the first failure; the provider's
        # Retry-After asked for 2, and the retry was queued with that delay
        assert schedule.wait_after(1) == 1
        first_message, second_message = (m for m, _ in pipeline.queue.sent)
        assert (first_message.attempt, second_message.attempt) == (1, 2)
        assert [delay for _, delay in pipeline.queue.sent] == [0, 2]
        [delivery] = pipeline.deliveries(A)
        first, second = delivery.attempts
        assert first.status_code == 503 and first.error == "http_503"
        assert (second.at - first.at).total_seconds() >= 2


def test_410_gone_disables_the_endpoint(pipeline: Pipeline) -> None:
    pipeline.configure(A)
    pipeline.receiver.script(Reply(410))
    place(pipeline)
    wait_until(
        lambda: any(d.state == DeliveryState.FAILED for d in pipeline.deliveries(A)),
        what="the 410",
    )
    endpoint = pipeline.store.get_endpoint(A)
    assert endpoint is not None and endpoint.disabled
    place(pipeline)
    wait_until(lambda: len(pipeline.deliveries(A)) == 2, what="the kept delivery")
    newest = pipeline.deliveries(A)[0]
    assert newest.final_error == "endpoint_disabled" and newest.attempts == ()
    assert len(pipeline.receiver.received) == 1


def test_a_redirect_is_a_failed_attempt_and_never_followed(pipeline: Pipeline) -> None:
    elsewhere = WebhookReceiver().start()
    try:
        secret = pipeline.configure(A)
        pipeline.receiver.script(Reply(307, {"Location": elsewhere.url}))
        place(pipeline)
        wait_until(lambda: succeeded(pipeline, 1), what="the retry after the redirect")
        [delivery] = pipeline.deliveries(A)
        assert [a.error for a in delivery.attempts] == ["redirect", None]
        assert elsewhere.received == []
        assert all(r.verifies_with(secret) for r in pipeline.receiver.received)
    finally:
        elsewhere.stop()


def test_redelivery_sends_the_same_signed_bytes_again(pipeline: Pipeline) -> None:
    secret = pipeline.configure(A)
    place(pipeline)
    wait_until(lambda: succeeded(pipeline, 1), what="the first delivery")
    [delivery] = pipeline.deliveries(A)
    redeliver(A, delivery.id, pipeline.adapters)
    wait_until(lambda: len(pipeline.receiver.received) == 2, what="the redelivery")
    first, second = pipeline.receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.verifies_with(secret) and second.verifies_with(secret)
    wait_until(lambda: len(pipeline.deliveries(A)[0].attempts) == 2, what="the second record")


def test_during_rotation_both_the_old_and_new_secret_verify(pipeline: Pipeline) -> None:
    old = pipeline.configure(A)
    _, new = rotate_endpoint_secret(A, pipeline.adapters)
    send_test_event(A, pipeline.adapters)
    wait_until(lambda: succeeded(pipeline, 1), what="the test event")
    [received] = pipeline.receiver.received
    assert received.payload["type"] == "webhook.test"
    assert received.verifies_with(old) and received.verifies_with(new)
    assert len(received.headers["webhook-signature"].split(" ")) == 2


def test_an_event_relayed_again_is_not_delivered_again(pipeline: Pipeline) -> None:
    pipeline.configure(A)
    _, event = place(pipeline)
    wait_until(lambda: succeeded(pipeline, 1), what="the delivery")
    assert relay_event(event, pipeline.adapters) is not None  # the stream may repeat a record
    send_test_event(A, pipeline.adapters)  # a marker: once it arrives the queue has drained
    wait_until(lambda: len(pipeline.receiver.received) >= 2, what="the marker")
    types = [r.payload["type"] for r in pipeline.receiver.received]
    assert types.count("order.created") == 1


def test_events_of_a_provider_without_a_webhook_are_not_delivered(pipeline: Pipeline) -> None:
    pipeline.configure("prov-b")
    place(pipeline, provider=A)
    send_test_event("prov-b", pipeline.adapters)
    wait_until(lambda: succeeded(pipeline, 1, "prov-b"), what="the marker")
    assert [r.payload["type"] for r in pipeline.receiver.received] == ["webhook.test"]
    assert pipeline.deliveries(A) == []
