"""Orders behind an ON-API city network, through the protocol-neutral interface and the
ON-API emulator over HTTP: an order is taken (RECEIVED) and stays `pending` until the
network's order events say how it ended; events applied twice, out of order or after a
poller crash between reading and storing change nothing more; the refused case is
re-triggered by the provider exactly as in scenario 2; a service the network does not
offer is not deliverable (scenario 3) and an unidentified order asks nothing (scenario 4).
Each test runs with the stores in memory and on DynamoDB (moto's server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.composition import Adapters
from chalicelib.domain.activation.intents import look_again_step
from chalicelib.domain.activation.network_events import apply_network_update, poll_order_updates
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.citynet import OrderUpdatesFeed
from chalicelib.domain.models import (
    ON_API,
    ActivationState,
    Category,
    CityNetwork,
    Offer,
    Order,
    Provider,
)
from chalicelib.domain.ordering import Access, OrderRequest, check_deliverable, place_order
from infra.local.emulator_onapi import DEMO_CONFIG_PATH, OnApiEmulator, parse_config
from tests.fakes import a_customer, wait_until
from tests.integration.on_api_stores import STORES, adapters_on

NETWORK = "demo-onapi"
OK, FAILS = "DEMO-ONAPI-OK", "DEMO-ONAPI-FAIL"
PROVIDER = "test-tl"


@pytest.fixture
def emulator() -> Iterator[OnApiEmulator]:
    data = json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8"))
    data["order_delay_s"] = 0.2
    with OnApiEmulator(parse_config(data)) as running:
        yield running


@pytest.fixture(params=STORES)
def adapters(request: pytest.FixtureRequest, emulator: OnApiEmulator) -> Adapters:
    built = adapters_on(request, emulator)
    built.catalog.put_city_network(
        CityNetwork(
            id=NETWORK,
            name="Demo ON-API",
            api_url=emulator.api_url,
            portal_url=emulator.api_url + "portal",
            ip_ranges=("127.0.1.0/24",),
            credentials_ref="demo-onapi/api",
            protocol=ON_API,
        )
    )
    built.catalog.put_provider(Provider(id=PROVIDER, name="Test TL"))
    built.catalog.put_offer(
        Offer(
            id="onapi-bb-100",
            provider_id=PROVIDER,
            city_network_id=NETWORK,
            service_uid="BB-100-100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=0,
        )
    )
    return built


def test_a_service_the_network_does_not_offer_is_not_deliverable_and_nothing_is_ordered(
    adapters, emulator
):
    # Scenario 3 behind ON-API: services/{accessId} has no such service
    adapters.catalog.put_offer(
        Offer(
            id="onapi-nothing",
            provider_id=PROVIDER,
            city_network_id=NETWORK,
            service_uid="NO-SUCH-SERVICE",
            category=Category.TV,
            name="Finns inte",
            monthly_price_sek=1,
            binding_months=0,
        )
    )
    deliverability, call = check_deliverable(
        "onapi-nothing", Access(city_network_id=NETWORK, access_id=OK), adapters
    )
    assert not deliverability.deliverable and call.code == "not_offered"
    assert not [c for c in emulator.calls() if c.get("method") == "POST"]


def test_an_unidentified_order_behind_an_on_api_network_makes_no_call(adapters, emulator):
    # Scenario 4 behind ON-API: stored manual, the network never asked
    request = OrderRequest.model_validate(
        {
            "offer_id": "onapi-bb-100",
            "city_network_id": NETWORK,
            "customer": a_customer(),
            "details": {},
        }
    )
    before = len(emulator.calls())
    order = place_order(request, None, adapters)
    assert order.activation.state == ActivationState.MANUAL
    assert len(emulator.calls()) == before


def order_on(access_id: str, adapters: Adapters) -> Order:
    request = OrderRequest.model_validate(
        {"offer_id": "onapi-bb-100", "customer": a_customer(), "details": {}}
    )
    return place_order(request, Access(city_network_id=NETWORK, access_id=access_id), adapters)


def feed(adapters: Adapters) -> OrderUpdatesFeed:
    client: Any = adapters.city_networks.for_city_network(NETWORK)
    assert isinstance(client, OrderUpdatesFeed)
    return client


def poll_until(adapters: Adapters, order_id: str, state: ActivationState) -> Order:
    def reached() -> bool:
        poll_order_updates(NETWORK, feed(adapters), adapters)
        return adapters.orders.get(order_id).activation.state == state

    wait_until(reached, timeout_s=10, what=f"{order_id} to be {state.value}")
    return adapters.orders.get(order_id)


def test_an_order_taken_by_the_network_stays_pending_until_its_events_activate_it(adapters):
    # When a customer orders behind an ON-API network
    order = order_on(OK, adapters)
    # Then the network took it: pending, with the network's order id, and nothing queued
    assert order.activation.state == ActivationState.PENDING
    assert order.activation.network_order_id
    assert order.activation.attempts == 1
    # And once the network's events say DONE_SUCCESS, the order is activated
    activated = poll_until(adapters, order.id, ActivationState.ACTIVATED)
    assert activated.activation.network_order_id == order.activation.network_order_id
    assert adapters.feed_cursors.get(NETWORK)


def test_events_read_again_after_a_poller_crash_change_nothing_more(adapters):
    # Given an order the network has finished
    order = order_on(OK, adapters)
    network = adapters.city_networks.for_city_network(NETWORK)
    wait_until(
        lambda: network.network_order(order.activation.network_order_id or "").completed,
        timeout_s=10,
        what="the network to finish the order",
    )

    # When the poller dies after applying the events, before it stores its cursor
    class Died(BaseException):
        pass

    class DiesStoring:
        def get(self, city_network_id: str) -> str | None:
            return adapters.feed_cursors.get(city_network_id)

        def put(self, city_network_id: str, cursor: str) -> None:
            raise Died

    with pytest.raises(Died):
        poll_order_updates(NETWORK, feed(adapters), adapters.replaced(feed_cursors=DiesStoring()))
    activated = adapters.orders.get(order.id)
    assert activated.activation.state == ActivationState.ACTIVATED
    events_before = len(adapters.orders.list_events(order.id))
    # And the next poller reads the same events again
    result = poll_order_updates(NETWORK, feed(adapters), adapters)

    # Then nothing is applied twice: same order, same trail, and the cursor moves on
    assert result.applied == 0 and result.skipped >= 1
    assert adapters.orders.get(order.id) == activated
    assert len(adapters.orders.list_events(order.id)) == events_before
    assert adapters.feed_cursors.get(NETWORK) == result.cursor


def test_events_out_of_order_do_not_undo_an_outcome(adapters):
    # Given an activated order
    order = order_on(OK, adapters)
    activated = poll_until(adapters, order.id, ActivationState.ACTIVATED)
    # When the network's feed is read again from the start (RECEIVED after DONE_SUCCESS)
    adapters.feed_cursors.put(NETWORK, "")
    replayed = feed(adapters).order_updates(None)
    assert [u.result.completed for u in replayed.updates] == [False, True]
    for update in reversed(replayed.updates):
        assert apply_network_update(update, adapters) is None
    # Then the order is as it was
    assert adapters.orders.get(order.id) == activated


def test_a_failed_order_is_refused_and_the_provider_can_trigger_it_again(adapters):
    # Given an order the network fails the first time (DONE_FAILED)
    order = order_on(FAILS, adapters)
    refused = poll_until(adapters, order.id, ActivationState.REFUSED)
    assert refused.activation.reason is not None
    assert "CPE" in refused.activation.reason.message
    # When the provider asks again and the worker takes the step
    request_activation(order.id, PROVIDER, None, adapters)
    [step] = adapters.activation_queue.messages  # type: ignore[attr-defined]
    process_activation(step, adapters, claims=adapters.tokens)
    assert adapters.orders.get(order.id).activation.network_order_id
    # Then the network's events activate it
    poll_until(adapters, order.id, ActivationState.ACTIVATED)


def test_a_look_at_a_taken_order_asks_the_network_and_never_orders_again(adapters, emulator):
    # Given an order the network took
    order = order_on(OK, adapters)
    ordered = len([c for c in emulator.calls() if c.get("method") == "POST"])
    wait_until(
        lambda: (
            adapters.city_networks.for_city_network(NETWORK)
            .network_order(order.activation.network_order_id or "")
            .completed
        ),
        timeout_s=10,
        what="the network to finish the order",
    )
    # When the activation intent's look comes (a retry step of the same attempt)
    [created] = [e for e in adapters.orders.list_events(order.id) if e.activation_intent]
    step = look_again_step(created)
    assert step is not None
    result = process_activation(step, adapters, claims=adapters.tokens)
    # Then it read the order's outcome and recorded it, without a second POST orders
    assert result.kind == "activated"
    assert len([c for c in emulator.calls() if c.get("method") == "POST"]) == ordered
