"""Withdrawal of an activated order end to end: the order in DynamoDB (moto), the customer's
POST through the web app, the table stream's relay played from the stored events, the
activation queue on moto's SQS, the worker fed like Lambda's event source mapping, and the
Direct Activation emulator over HTTP counting service_deactivate. Exactly one, whatever is
repeated or raced; the audit trail shows it, the provider API shows the withdrawal, and
the provider's `order.withdrawn` webhook is queued."""

# The shared pytest fixtures (`world`, `emulator`) are imported from the pipeline tests, so
# the tests' parameters redefine them by name on purpose.
# ruff: noqa: F811
from __future__ import annotations

import json
import threading
from typing import Any

from chalice.test import Client

from app import app
from chalicelib.adapters.dynamodb.webhooks import DynamoDBWebhookStore
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import use
from chalicelib.domain.activation.intents import queue_look_again
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.errors import WithdrawalRefused
from chalicelib.domain.models import ActivationState, DeactivationState, Order, OrderEventKind
from chalicelib.domain.ordering import place_order
from chalicelib.domain.webhook_delivery import relay_event
from chalicelib.domain.webhooks import WebhookMessage, new_endpoint
from chalicelib.domain.withdrawal import withdraw
from chalicelib.web.session import receipt_token
from tests.aws import table
from tests.integration.emulator_fixtures import EmulatorHandle
from tests.integration.test_activation_pipeline import (  # noqa: F401 - fixtures
    PROVIDER,
    World,
    an_order,
    at,
    deliver,
    emulator,
    receive,
    run_worker,
    trail,
    world,
)
from tests.unit.web_fakes import Browser, hidden, location


def deactivations(handle: EmulatorHandle, access_id: str) -> list[dict[str, Any]]:
    return [
        c
        for c in handle.calls(method="service_deactivate")
        if c["params"].get("socket") == access_id
    ]


def relay_stream(w: World, order: Order) -> int:
    """The table stream's relay over every stored event of the order (as the stream hands
    each written event to it); how many deactivation steps it queued (the creation's
    activation look is queued too, and dropped by the worker: the order is cancelled)."""
    queued = 0
    for event in w.deps.orders.list_events(order.id):
        step = queue_look_again(event, 0, w.deps)
        if step is not None and step.kind == "deactivate":
            queued += 1
    return queued


def activated(w: World, access_id: str) -> Order:
    order = place_order(an_order(), at(access_id), w.deps)
    assert w.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    return order


def test_a_repeated_and_raced_withdrawal_sends_one_service_deactivate(world):
    order = activated(world, "DEMO-OK-1")
    token = receipt_token(world.adapters.signing_key, order.id)
    page = f"/orders/{order.id}?t={token}"
    with Client(app) as client:
        browser = Browser(client)
        step = browser.get(f"/orders/{order.id}/withdraw?t={token}")
        assert step.status_code == 200
        csrf = hidden(step.body.decode(), "csrf_token")
        first = browser.post_form(f"/orders/{order.id}/withdraw?t={token}", {"csrf_token": csrf})
        assert first.status_code == 303 and location(first) == page
        again = browser.post_form(f"/orders/{order.id}/withdraw?t={token}", {"csrf_token": csrf})
        assert again.status_code == 409
        # And a withdrawal raced from several processes at once
        outcomes: list[str] = []

        def race() -> None:
            try:
                withdraw(order.id, world.deps)
                outcomes.append("withdrawn")
            except WithdrawalRefused as refused:
                outcomes.append(refused.reason)

        threads = [threading.Thread(target=race) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes == ["already_withdrawn"] * 4
        kinds = [e.kind for e in world.deps.orders.list_events(order.id)]
        assert kinds.count(OrderEventKind.WITHDRAWN) == 1
        # The stream relays (twice: at least once), the worker runs
        assert relay_stream(world, order) == 1
        assert relay_stream(world, order) == 1
        run_worker(world)
        text = browser.get(page).body.decode()
    assert len(deactivations(world.emulator, "DEMO-OK-1")) == 1
    stored = world.deps.orders.get(order.id)
    assert stored.deactivation is not None
    assert stored.deactivation.state == DeactivationState.DONE
    assert trail(world.deps, order) == [("service_order", "ok"), ("service_deactivate", "ok")]
    assert "Stadsnätet har stängt av tjänsten." in text


def test_a_duplicated_deactivation_message_sends_one_service_deactivate(world):
    order = activated(world, "DEMO-OK-1")
    withdraw(order.id, world.deps, reason="Ångrade mig")
    relay_stream(world, order)
    # The creation's activation look is queued too; only the deactivation matters here
    messages = [m for m in receive(world.queue_url) if '"kind":"deactivate"' in m["Body"]]
    assert len(messages) == 1
    # SQS hands the same message to two workers at once (at least once, in parallel)
    threads = [threading.Thread(target=deliver, args=(world, messages)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_worker(world)  # the loser's later look, if any: dropped, the step is done
    assert len(deactivations(world.emulator, "DEMO-OK-1")) == 1
    stored = world.deps.orders.get(order.id)
    assert stored.deactivation is not None
    assert stored.deactivation.state == DeactivationState.DONE
    calls = [e for e in world.deps.orders.list_events(order.id) if e.call]
    assert [c.call.method for c in calls if c.call] == ["service_order", "service_deactivate"]


def test_the_provider_sees_the_withdrawal_and_gets_the_order_withdrawn_webhook(world):
    webhook_queue: InMemoryQueue[WebhookMessage] = InMemoryQueue()
    deps = world.adapters.replaced(
        webhook_store=DynamoDBWebhookStore(table(world.table_name)), webhook_queue=webhook_queue
    )
    now = deps.clock.now()
    endpoint = new_endpoint(
        PROVIDER, "whep_01J00000000000000000000000", "https://hooks.example.com/in",
        ("order.withdrawn",), "whsec_" + "a" * 32, now,
    )  # fmt: skip
    deps.webhook_store.put_endpoint(endpoint, expected_version=None)
    order = activated(world, "DEMO-OK-1")
    withdraw(order.id, deps, reason="Flyttar")
    # The relay turns the outbox entry into the provider's delivery
    relayed = [relay_event(e, deps) for e in deps.orders.list_events(order.id)]
    withdrawn = [d for d in relayed if d is not None]
    assert [d.event_type for d in withdrawn] == ["order.withdrawn"]
    assert len(webhook_queue.sent) == 1
    payload = json.loads(withdrawn[0].body)
    assert payload["type"] == "order.withdrawn"
    assert payload["data"]["order"]["status"] == "cancelled"
    assert payload["data"]["order"]["withdrawal"]["reason"] == "Flyttar"
    assert payload["data"]["order"]["deactivation"]["state"] == "pending"
    # The provider API shows the withdrawal and, once the worker has run, the deactivation
    relay_stream(world, order)
    run_worker(world)
    key, _ = issue_api_key(deps.api_keys, PROVIDER, "test", deps.clock)
    use(deps)
    with Client(app) as client:
        response = client.http.get(f"/tl/v1/orders/{order.id}", headers={"x-api-key": key})
        events = client.http.get(f"/tl/v1/orders/{order.id}/events", headers={"x-api-key": key})
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "cancelled"
    assert body["withdrawal"]["by"] == "customer"
    assert body["deactivation"]["state"] == "done"
    assert "attempt_id" not in body["deactivation"]
    kinds = [e["kind"] for e in json.loads(events.body)["items"]]
    assert "withdrawn" in kinds and "deactivation_changed" in kinds
    calls = [e["call"]["method"] for e in json.loads(events.body)["items"] if e["call"]]
    assert calls == ["service_order", "service_deactivate"]


def test_a_withdrawal_on_day_15_is_refused_on_moto(world):
    order = activated(world, "DEMO-OK-1")
    late = order.next_version(created_at=order.created_at.replace(year=order.created_at.year - 1))
    world.deps.orders.replace(late, expected_version=order.version, events=[])
    try:
        withdraw(order.id, world.deps)
    except WithdrawalRefused as refused:
        assert refused.reason == "period_over"
    else:
        raise AssertionError("a withdrawal after the period was accepted")
    assert world.deps.orders.get(order.id).withdrawal is None
    assert relay_stream(world, order) == 0
    assert deactivations(world.emulator, "DEMO-OK-1") == []
