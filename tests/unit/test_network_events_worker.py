"""The scheduled order-event poller: every ON-API city network polled once per run, one
network's failure logged without stopping the others, and the run failing at the end so
Lambda's Errors metric sees it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import logs
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.citynet import NetworkOrderUpdate, OrderUpdates, ServiceOrderResult
from chalicelib.domain.models import ON_API, ActivationState, Category, CityNetwork, Offer, Order
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.workers import network_events as poller
from tests.fakes import PROVIDER_ID, FakeCityNetwork, FixedClock, a_customer, seed_test_catalog

BROKEN, WORKING = "onapi-broken", "onapi-working"
NETWORK_ORDER_ID = "ON-0001"


@dataclass
class FakeOnApiNetwork(FakeCityNetwork):
    """An asynchronous network: orders are taken for later; its feed is scripted."""

    pages: list[OrderUpdates] = field(default_factory=list)
    pulls: list[str | None] = field(default_factory=list)
    raises: Exception | None = None

    def order_updates(self, since: str | None) -> OrderUpdates:
        self.pulls.append(since)
        if self.raises is not None:
            raise self.raises
        if self.pages:
            return self.pages.pop(0)
        return OrderUpdates(method="orderevents", outcome="ok", duration_ms=1, cursor=since)


@dataclass
class Networks:
    by_id: dict[str, Any]
    asked: list[str] = field(default_factory=list)

    def for_city_network(self, city_network_id: str) -> Any:
        self.asked.append(city_network_id)
        return self.by_id[city_network_id]


def on_api_network(network_id: str) -> CityNetwork:
    return CityNetwork(
        id=network_id,
        name=network_id,
        api_url=f"http://{network_id}.test/onapi/2.6/",
        portal_url=f"http://{network_id}.test/portal",
        credentials_ref=f"{network_id}/api",
        protocol=ON_API,
    )


@pytest.fixture
def broken() -> FakeOnApiNetwork:
    return FakeOnApiNetwork(raises=RuntimeError("the store is down"))


@pytest.fixture
def working() -> FakeOnApiNetwork:
    taken = ServiceOrderResult(
        method="service_order",
        outcome="ok",
        code="RECEIVED",
        completed=False,
        network_order_id=NETWORK_ORDER_ID,
        duration_ms=3,
    )
    return FakeOnApiNetwork(order_replies=[taken])


@pytest.fixture
def networks(broken: FakeOnApiNetwork, working: FakeOnApiNetwork) -> Networks:
    # The Direct Activation network of the test catalog has no feed and is never polled.
    return Networks({BROKEN: broken, WORKING: working, "test-stadsnat": FakeCityNetwork()})


@pytest.fixture
def services(networks: Networks) -> Iterator[InMemoryAdapters]:
    installed = InMemoryAdapters(city_networks=networks, clock=FixedClock())
    seed_test_catalog(installed.catalog)
    for network_id in (BROKEN, WORKING):
        installed.catalog.put_city_network(on_api_network(network_id))
    installed.catalog.put_offer(
        Offer(
            id="onapi-internet-100",
            provider_id=PROVIDER_ID,
            city_network_id=WORKING,
            service_uid="BB-100-100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=0,
        )
    )
    use(installed)
    yield installed
    use(None)


def taken_order(services: InMemoryAdapters) -> Order:
    """An order the working network took for later: pending, with its order id."""
    request = OrderRequest.model_validate(
        {"offer_id": "onapi-internet-100", "customer": a_customer(), "details": {}}
    )
    order = place_order(request, Access(city_network_id=WORKING, access_id="ACC-1"), services)
    assert order.activation.state == ActivationState.PENDING
    assert order.activation.network_order_id == NETWORK_ORDER_ID
    return order


def done(order: Order, cursor: str) -> OrderUpdates:
    result = ServiceOrderResult(
        method="orderevents",
        outcome="ok",
        code="DONE_SUCCESS",
        completed=True,
        network_order_id=NETWORK_ORDER_ID,
        duration_ms=0,
    )
    update = NetworkOrderUpdate(order_id=order.id, result=result)
    return OrderUpdates(
        method="orderevents", outcome="ok", duration_ms=4, updates=(update,), cursor=cursor
    )


def scheduled_event(client: Client) -> dict[str, Any]:
    return client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:eu-north-1:123456789012:rule/poll"],
    )


def test_one_network_failing_does_not_stop_the_others_and_fails_the_run(
    services: InMemoryAdapters, networks: Networks, working: FakeOnApiNetwork
):
    # Given an order the working network took, and a page of events that finishes it
    import app

    order = taken_order(services)
    working.pages.append(done(order, cursor="ev-7"))
    # When the scheduled poller runs while the other ON-API network's poll raises
    with Client(app.app) as client, pytest.raises(poller.PollFailed, match=BROKEN):
        client.lambda_.invoke("poll_city_network_events", scheduled_event(client))

    # Then the broken network was tried, and the working one still polled and applied
    assert BROKEN in networks.asked and WORKING in networks.asked
    assert services.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    assert services.feed_cursors.get(WORKING) == "ev-7"
    assert services.feed_cursors.get(BROKEN) is None
    # And the Direct Activation network was not asked for a feed at all
    assert "test-stadsnat" not in networks.asked


def test_a_run_where_every_network_answers_succeeds_and_reads_on_from_the_cursor(
    services: InMemoryAdapters, broken: FakeOnApiNetwork, working: FakeOnApiNetwork
):
    broken.raises = None
    services.feed_cursors.put(WORKING, "ev-3")
    outcomes = poller.poll_city_networks(services, "run-1")
    assert outcomes == {BROKEN: "ok", WORKING: "ok"}
    assert working.pulls == ["ev-3"] and broken.pulls == [None]


def test_a_transient_pull_is_not_a_failure_but_a_refused_one_or_no_feed_is(
    services: InMemoryAdapters, networks: Networks, broken: FakeOnApiNetwork
):
    # Given one network timing out and the other refusing the pull (bad credentials)
    broken.raises = None
    broken.pages.append(
        OrderUpdates(method="orderevents", outcome="transient", code="timeout", duration_ms=5)
    )
    networks.by_id[WORKING].pages.append(
        OrderUpdates(method="orderevents", outcome="refused", code="401", duration_ms=2)
    )
    # When the poller runs
    outcomes = poller.poll_city_networks(services, "run-2")
    # Then both are reported, and only the refusal counts as failed
    assert outcomes == {BROKEN: "transient", WORKING: "refused"}
    assert {n for n, o in outcomes.items() if o in poller.FAILED} == {WORKING}
    assert services.feed_cursors.get(BROKEN) is None

    # And a client without a feed is failed, not skipped silently
    networks.by_id[WORKING] = FakeCityNetwork()
    assert poller.poll_city_networks(services, "run-3")[WORKING] == "no_feed"


def test_the_domains_lines_carry_the_runs_correlation_id(
    services: InMemoryAdapters, broken: FakeOnApiNetwork
):
    # Given one network that times out and one that answers
    broken.raises = None
    broken.pages.append(
        OrderUpdates(method="orderevents", outcome="transient", code="timeout", duration_ms=5)
    )
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.logger().registered_formatter)
    package = logging.getLogger(logs.PACKAGE)
    package.addHandler(handler)
    try:
        # When a run polls both
        poller.poll_city_networks(services, "run-4")
    finally:
        package.removeHandler(handler)
    # Then the domain's line about each network carries the run's id and that network
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    about = {
        line["city_network_id"]: line.get("correlation_id")
        for line in lines
        if line["message"] in ("order events applied", "order events could not be read")
    }
    assert about == {BROKEN: "run-4", WORKING: "run-4"}
    # And the labels are gone once the run is over
    assert "correlation_id" not in logs.logger().get_current_keys()
