"""The address search and occupied outlets behind an ON-API city network, through the ON-API
emulator over HTTP: the access list synced into the directory (If-Modified-Since, only
changed rows written), a search, an order by address stored `awaiting_provider` with no
`POST orders`, then the provider's request activating it through the network's events;
and at DEMO-ONAPI-TAKEN, the network refusing an order without the customer's consent to
a forced takeover and taking one with `forcedTakeover: true` with it, from the web."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib.composition import Adapters, use
from chalicelib.domain.accesses import search_accesses, sync_accesses
from chalicelib.domain.activation.network_events import poll_order_updates
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.address_orders import place_address_order
from chalicelib.domain.addresses import AccessListingFeed
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
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.workers.network_events import sync_city_networks
from infra.local.emulator_onapi import DEMO_CONFIG_PATH, OnApiEmulator, parse_config
from tests.fakes import a_customer, wait_until
from tests.integration.on_api_stores import STORES, adapters_on
from tests.unit.web_fakes import Browser, hidden, location, review_and_confirm, valid_answers

NETWORK = "demo-onapi"
OK, TAKEN = "DEMO-ONAPI-OK", "DEMO-ONAPI-TAKEN"
PROVIDER = "test-tl"
OFFER = "onapi-bb-100"
FIRST_LIST = "Sun, 01 Jun 2025 08:00:00 GMT"  # the demo list's newest `modified`
OUTSIDE = "192.0.2.77"  # in no city network's ranges: not identified


def demo_config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8"))
    data["order_delay_s"] = 0.2
    return data


@pytest.fixture
def emulator() -> Iterator[OnApiEmulator]:
    with OnApiEmulator(parse_config(demo_config())) as running:
        yield running


class CountingDirectory:
    """The directory under test, counting the entries put (either store)."""

    def __init__(self, inner: Any) -> None:
        self._inner, self.writes = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put(self, city_network_id: str, entries: Any, *, replacing: Any) -> None:
        self._inner.put(city_network_id, entries, replacing=replacing)
        self.writes += len(entries)


@pytest.fixture(params=STORES)
def adapters(request: pytest.FixtureRequest, emulator: OnApiEmulator) -> Iterator[Adapters]:
    built = adapters_on(request, emulator)
    built = built.replaced(access_directory=CountingDirectory(built.access_directory))
    built.catalog.put_city_network(
        CityNetwork(
            id=NETWORK,
            name="Demo ON-API",
            api_url=emulator.api_url,
            ip_ranges=("127.0.1.0/24",),
            credentials_ref="demo-onapi/api",
            protocol=ON_API,
        )
    )
    built.catalog.put_provider(Provider(id=PROVIDER, name="Test TL"))
    built.catalog.put_offer(
        Offer(
            id=OFFER,
            provider_id=PROVIDER,
            city_network_id=NETWORK,
            service_uid="BB-100-100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=0,
        )
    )
    use(built)
    yield built
    use(None)


def client_of(adapters: Adapters, kind: type[Any]) -> Any:
    client = adapters.city_networks.for_city_network(NETWORK)
    assert isinstance(client, kind)
    return client


def sync(adapters: Adapters) -> Any:
    return sync_accesses(NETWORK, client_of(adapters, AccessListingFeed), adapters)


def access_calls(emulator: OnApiEmulator) -> list[dict[str, Any]]:
    return [c for c in emulator.calls() if c.get("path", "").endswith("/accesses/")]


def posts(emulator: OnApiEmulator) -> list[dict[str, Any]]:
    return [c for c in emulator.calls() if c.get("method") == "POST"]


def written(adapters: Adapters) -> int:
    directory = adapters.access_directory
    assert isinstance(directory, CountingDirectory)
    return directory.writes


def poll_until(adapters: Adapters, order_id: str, state: ActivationState) -> Order:
    def reached() -> bool:
        poll_order_updates(NETWORK, client_of(adapters, OrderUpdatesFeed), adapters)
        return adapters.orders.get(order_id).activation.state == state

    wait_until(reached, timeout_s=10, what=f"{order_id} to be {state.value}")
    return adapters.orders.get(order_id)


def activate_as_the_provider(adapters: Adapters, order: Order) -> None:
    request_activation(order.id, PROVIDER, None, adapters)
    step = adapters.activation_queue.messages[-1]  # type: ignore[attr-defined]
    process_activation(step, adapters, claims=adapters.tokens)


# --- the sync ----------------------------------------------------------------------------------


def test_the_sync_reads_the_list_whole_then_only_what_changed(adapters, emulator):
    # The first sync reads the whole list and writes every row
    first = sync(adapters)
    assert (first.outcome, first.received, first.written) == ("ok", 36, 36)
    assert adapters.access_directory.last_modified(NETWORK) == FIRST_LIST
    # The next one asks If-Modified-Since: the network answers 304, nothing is written
    again = sync(adapters)
    assert (again.modified, again.written) == (False, 0)
    [whole, unchanged] = access_calls(emulator)
    assert "if_modified_since" not in whole and whole["status"] == 200
    assert (unchanged["if_modified_since"], unchanged["status"]) == (FIRST_LIST, 304)

    # When the network changes one access (a corrected street number) and lists it anew
    data = demo_config()
    data["accesses"]["ONAPI-0005"]["address"]["streetNumber"] = "13"
    data["accesses"]["ONAPI-0005"]["modified"] = "2025-07-01T08:00:00Z"
    with emulator.state.network.lock:
        emulator.state.network.config = parse_config(data)
    before = written(adapters)
    changed = sync(adapters)

    # Then only that row came, and only it was written; it is found at its new number
    assert (changed.received, changed.written) == (1, 1)
    assert written(adapters) - before == 1
    assert adapters.access_directory.last_modified(NETWORK) == "Tue, 01 Jul 2025 08:00:00 GMT"
    assert [a.access_id for a in search_accesses(NETWORK, "Björkgatan 13", adapters).matches] == [
        "ONAPI-0005"
    ]
    assert search_accesses(NETWORK, "Björkgatan 12", adapters).matches == ()


def test_rows_the_network_sends_again_unchanged_are_not_written(adapters, emulator):
    sync(adapters)
    # An older Last-Modified: the network sends the rows changed since then again
    adapters.access_directory.set_last_modified(NETWORK, "Sat, 01 Mar 2025 00:00:00 GMT")
    before = written(adapters)
    again = sync(adapters)
    assert (again.received, again.written) == (3, 0)
    assert written(adapters) == before


def test_the_scheduled_sync_fills_the_directory_and_a_search_finds_an_apartment(adapters, emulator):
    assert sync_city_networks(adapters, "run-1") == {NETWORK: "ok"}
    found = search_accesses(NETWORK, "storgatan 3 lgh 1101, Demostad", adapters).matches
    assert [(a.access_id, a.apartment, a.postal_code) for a in found] == [
        ("DEMO-ONAPI-FAIL", "1101", "12345")
    ]
    found = search_accesses(NETWORK, "Ängsvägen 22 B", adapters).matches
    assert [a.access_id for a in found] == ["ONAPI-0010"]


# --- orders by address ------------------------------------------------------------------------


def request(**more: Any) -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": OFFER, "customer": a_customer(), "details": {}, **more}
    )


def by_address(access_id: str) -> Access:
    return Access(city_network_id=NETWORK, access_id=access_id, identified_by="address")


def test_an_order_by_address_waits_for_the_provider_then_the_network_activates_it(
    adapters, emulator
):
    sync(adapters)
    # When a customer orders for an address they chose
    order = place_address_order(request(), by_address(OK), adapters)
    # Then it is stored awaiting the provider, and nothing was ordered from the network
    assert order.activation.state == ActivationState.AWAITING_PROVIDER
    assert order.identified_by == "address"
    assert posts(emulator) == []
    # When the provider, having checked the customer, asks for the activation
    activate_as_the_provider(adapters, order)
    [post] = posts(emulator)
    assert post["request"]["accessId"] == OK and "forcedTakeover" not in post["request"]
    # Then the network's events activate it
    activated = poll_until(adapters, order.id, ActivationState.ACTIVATED)
    assert activated.activation.network_order_id


def test_without_the_consent_the_network_refuses_to_take_over_an_occupied_outlet(
    adapters, emulator
):
    sync(adapters)
    order = place_address_order(request(), by_address(TAKEN), adapters)
    activate_as_the_provider(adapters, order)
    [post] = posts(emulator)
    assert "forcedTakeover" not in post["request"] and post["status"] == 409
    refused = adapters.orders.get(order.id)
    assert refused.activation.state == ActivationState.REFUSED


def test_an_occupied_outlet_is_ordered_from_the_web_with_the_customers_consent(adapters, emulator):
    import app

    sync(adapters)
    with Client(app.app) as web:
        browser = Browser(web, OUTSIDE)
        results = browser.get(f"/address?city_network={NETWORK}&q={quote('Storgatan 5')}")
        page = results.body.decode()
        assert "Storgatan 5, 123 45 Demostad" in page
        choice = page.split('href="/address/offers?choice=', 1)[1].split('"', 1)[0]
        offers = browser.get(f"/address/offers?choice={choice}").body.decode()
        assert "ta över det om du flyttar in" in offers
        form = browser.get(f"/address/order/{OFFER}?choice={choice}").body.decode()
        assert 'name="forced_takeover"' in form
        fields = {n: hidden(form, n) for n in ("csrf_token", "submission_id", "choice")}

        # Without the consent: not deliverable, told why, nothing stored or ordered
        refused = browser.post_form(f"/address/order/{OFFER}", {**valid_answers(), **fields})
        assert refused.status_code == 409
        assert "flyttar in" in refused.body.decode()
        # With it: stored awaiting the provider, the consent kept, still nothing ordered
        answers = valid_answers(forced_takeover="on")
        placed = review_and_confirm(browser, f"/address/order/{OFFER}", {**answers, **fields})
        assert placed.status_code == 303, placed.body
    order_id = location(placed).split("/orders/", 1)[1].split("?", 1)[0]
    order = adapters.orders.get(order_id)
    assert (order.access_id, order.identified_by) == (TAKEN, "address")
    assert order.activation.state == ActivationState.AWAITING_PROVIDER
    assert order.forced_takeover is True
    assert posts(emulator) == []

    # When the provider asks for the activation, the network is told: forcedTakeover
    activate_as_the_provider(adapters, order)
    [post] = posts(emulator)
    assert post["request"]["forcedTakeover"] is True and post["status"] == 201
    poll_until(adapters, order.id, ActivationState.ACTIVATED)


def test_an_identified_order_at_an_occupied_outlet_carries_the_consent_at_once(adapters, emulator):
    # A visitor the portal identified at DEMO-ONAPI-TAKEN, who consented in the form
    access = Access(city_network_id=NETWORK, access_id=TAKEN, identified_by="portal")
    order = place_order(request(forced_takeover=True), access, adapters)
    [post] = posts(emulator)
    assert post["request"]["forcedTakeover"] is True and post["status"] == 201
    assert order.activation.state == ActivationState.PENDING
    poll_until(adapters, order.id, ActivationState.ACTIVATED)
