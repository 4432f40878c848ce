"""The address search for visitors we could not identify, and occupied outlets: the search
form, the results, the chosen access's offers and order form, an order stored
`awaiting_provider` with no city-network order, a tampered or stale choice, and the
forced-takeover question (also for identified visitors)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.addresses import ListedAccess
from chalicelib.domain.clock import today_in_sweden
from chalicelib.domain.models import ON_API, ActivationState, CityNetwork
from chalicelib.web.address_choice import choice_token
from chalicelib.web.session import decode_session
from tests.fakes import catalog_offers
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    hidden,
    identified_browser,
    installed,
    location,
    not_deliverable,
    review_and_confirm,
    reviewed,
    valid_answers,
)

NETWORK = "adress-natet"
OFFER = "adr-tl-internet-100"  # service BB100
TV = "adr-tl-tv"  # service TV-BAS
CHOSEN = "ADR-3-1101"
ADDRESSES = (
    ListedAccess(access_id="ADR-1", street_name="Storgatan", street_number="1",
                 postal_code="12345", city="Demostad"),
    ListedAccess(access_id=CHOSEN, street_name="Storgatan", street_number="3",
                 apartment="1101", postal_code="12345", city="Demostad"),
    ListedAccess(access_id="ADR-3-1102", street_name="Storgatan", street_number="3",
                 apartment="1102", postal_code="12345", city="Demostad"),
)  # fmt: skip
TAKEOVER = not_deliverable("forced_takeover_required", "another provider has this service")


@pytest.fixture
def world() -> Iterator[World]:
    built = build_world()
    catalog = built.adapters.catalog
    catalog.put_city_network(
        CityNetwork(
            id=NETWORK,
            name="Adressnätet",
            api_url="http://127.0.0.1:9/onapi/2.6/",
            credentials_ref="adress-natet/api",
            protocol=ON_API,
        )
    )
    for offer in catalog_offers(NETWORK):
        catalog.put_offer(offer.model_copy(update={"id": f"adr-{offer.id}"}))
    built.adapters.access_directory.put(NETWORK, ADDRESSES, replacing={})
    with installed(built) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def text_of(browser: Browser, path: str) -> str:
    browser.get(path)
    return browser.text()


def links(page: str, prefix: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'href="({re.escape(prefix)}[^"]*)"', page)]


def chosen_offers(browser: Browser, typed: str = "Storgatan 3 lgh 1101") -> str:
    """Search, choose the first match: the chosen access's offers page's URL."""
    results = browser.get(f"/address?city_network={NETWORK}&q={quote(typed)}")
    assert results.status_code == 200, results.body
    [first, *_] = links(results.body.decode(), "/address/offers?")
    return first


def open_address_form(browser: Browser, offer_id: str = OFFER) -> tuple[str, dict[str, str]]:
    offers = browser.get(chosen_offers(browser))
    assert offers.status_code == 200, offers.body
    [form_url] = [u for u in links(offers.body.decode(), "/address/order/") if offer_id in u]
    response = browser.get(form_url)
    assert response.status_code == 200, response.body
    page = response.body.decode()
    return page, {name: hidden(page, name) for name in ("csrf_token", "submission_id", "choice")}


def post_address_order(browser: Browser, fields: dict[str, str], offer_id: str = OFFER, **more):
    """The form's own POST (what the review step answers, or a refusal)."""
    return browser.post_form(f"/address/order/{offer_id}", {**valid_answers(**more), **fields})


def order_by_address(browser: Browser, fields: dict[str, str], offer_id: str = OFFER, **more):
    """The form sent, reviewed and confirmed: the confirm POST's response."""
    path = f"/address/order/{offer_id}"
    return review_and_confirm(browser, path, {**valid_answers(**more), **fields})


# --- the search -------------------------------------------------------------------------------


def test_the_offers_page_of_an_on_api_network_has_the_address_search(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    page = browser.get(f"/offers?city_network={NETWORK}").body.decode()
    assert 'action="/address"' in page and 'name="q"' in page
    assert f'name="city_network" value="{NETWORK}"' in page
    # A Direct Activation network's page has none
    assert 'action="/address"' not in text_of(browser, "/offers?city_network=test-stadsnat")


def test_a_search_lists_the_matching_accesses_with_their_apartments(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    page = browser.get(f"/address?city_network={NETWORK}&q=storgatan+3").body.decode()
    assert "Storgatan 3, lgh 1101, 123 45 Demostad" in page
    assert "Storgatan 3, lgh 1102, 123 45 Demostad" in page
    assert "Storgatan 1," not in page
    assert len(links(page, "/address/offers?")) == 2
    # The search is ours: the city network is not asked
    assert world.city_network.total_calls == 0


def test_a_search_without_a_street_or_without_matches_says_so(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    assert "gatunamnet först" in text_of(browser, f"/address?city_network={NETWORK}&q=12345")
    nothing = text_of(browser, f"/address?city_network={NETWORK}&q=Parkv%C3%A4gen+8")
    assert "inget uttag på den adressen" in nothing


def test_the_search_is_only_for_networks_that_list_their_accesses(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    assert browser.get("/address?city_network=test-stadsnat&q=Storgatan").status_code == 404
    assert browser.get("/address?q=Storgatan").status_code == 404


# --- the chosen access --------------------------------------------------------------------------


def test_the_chosen_access_shows_its_offers_with_their_deliverability(client, world):
    world.city_network.deliverable_by_uid["TV-BAS"] = not_deliverable("not_offered")
    world.city_network.deliverable_by_uid["TEL-VOIP"] = TAKEOVER
    browser = Browser(client, OUT_OF_RANGE)
    page = browser.get(chosen_offers(browser)).body.decode()
    assert "Storgatan 3, lgh 1101, 123 45 Demostad" in page
    assert "Kan inte levereras hit" in page  # the TV
    assert "ta över det om du flyttar in" in page  # the telephony
    order_links = links(page, "/address/order/")
    assert not [u for u in order_links if TV in u]
    assert [u for u in order_links if "adr-fiber-tel" in u]
    # One service_deliverable per service, for the chosen access
    assert world.city_network.count("service_deliverable") == 4
    assert set(world.city_network.accesses) == {CHOSEN}


def test_an_edited_choice_is_refused(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    url = chosen_offers(browser)
    token = url.split("choice=", 1)[1]
    body, mac = token.split(".")
    forged = url.replace(token, f"{body[:-2]}AA.{mac}")
    assert browser.get(forged).status_code == 404
    assert "Välj din adress igen" in browser.text()
    assert world.city_network.total_calls == 0


def test_a_choice_made_in_another_browser_is_refused(client, world):
    url = chosen_offers(Browser(client, OUT_OF_RANGE))
    other = Browser(client, OUT_OF_RANGE)
    other.get(f"/offers?city_network={NETWORK}")
    assert other.get(url).status_code == 404


def test_a_signed_choice_of_an_access_the_directory_does_not_list_is_refused(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    chosen_offers(browser)
    adapters = world.adapters
    now = int(adapters.clock.now().timestamp())
    session = decode_session(browser.cookie, adapters.signing_key, now)
    assert session is not None
    token = choice_token(adapters.signing_key, session, NETWORK, "NOT-LISTED", now)
    assert browser.get(f"/address/offers?choice={quote(token)}").status_code == 404
    assert world.city_network.total_calls == 0


# --- ordering by address ------------------------------------------------------------------------


def test_an_order_by_address_is_awaiting_the_provider_and_nothing_is_ordered(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    page, fields = open_address_form(browser)
    assert "Du beställer till Storgatan 3, lgh 1101, 123 45 Demostad." in page
    assert 'action="/address/order/adr-tl-internet-100"' in page
    assert 'name="forced_takeover"' not in page

    response = order_by_address(browser, fields)

    assert response.status_code == 303, response.body
    [order] = world.orders
    assert (order.city_network_id, order.access_id) == (NETWORK, CHOSEN)
    assert order.identified and order.identified_by == "address"
    assert order.activation.state == ActivationState.AWAITING_PROVIDER
    assert not order.forced_takeover
    assert world.city_network.orders_made() == 0
    # The deliverability checked at ordering is in the trail; no activation is promised
    events = world.adapters.orders.list_events(order.id)
    assert [e.call.method for e in events if e.call] == ["service_deliverable"]
    assert not any(e.activation_intent for e in events)
    receipt = text_of(browser, location(response))
    assert "Tjänsteleverantören kontrollerar den och ber sedan stadsnätet" in receipt


def test_the_choice_is_checked_against_the_directory_again_at_order_time(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    world.adapters.access_directory = type(world.adapters.access_directory)()  # emptied

    response = post_address_order(browser, fields)

    assert response.status_code == 404
    assert world.orders == []


def test_an_address_order_with_an_edited_or_foreign_choice_stores_nothing(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    body, mac = fields["choice"].split(".")
    # A choice another browser was given, of another access
    foreign = chosen_offers(Browser(client, OUT_OF_RANGE), "Storgatan 1").split("choice=")[1]

    for token in (f"{body}x.{mac}", f"{body}.{mac[:-2]}", foreign, ""):
        response = post_address_order(browser, {**fields, "choice": token})
        assert response.status_code == 400, token
    assert world.orders == []


def test_an_address_order_without_csrf_or_with_a_foreign_submission_id_stores_nothing(
    client, world
):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    assert post_address_order(browser, {**fields, "csrf_token": "x"}).status_code == 403
    assert post_address_order(browser, {**fields, "submission_id": "x"}).status_code == 400
    assert world.orders == []


def test_a_double_post_of_an_address_order_stores_one_order(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    confirm = reviewed(browser, f"/address/order/{OFFER}", {**valid_answers(), **fields})
    first = browser.post_form(f"/address/order/{OFFER}", confirm)
    second = browser.post_form(f"/address/order/{OFFER}", confirm)
    assert first.status_code == second.status_code == 303
    assert location(first) == location(second)
    assert len(world.orders) == 1


def test_invalid_answers_re_render_the_address_form_with_the_choice(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    response = post_address_order(browser, fields, email="not an email")
    assert response.status_code == 422
    page = response.body.decode()
    assert hidden(page, "choice") == fields["choice"]
    assert "Du beställer till Storgatan 3" in page
    assert world.orders == []


def test_a_not_deliverable_offer_at_the_address_has_no_form(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    url = chosen_offers(browser)
    token = url.split("choice=", 1)[1]
    world.city_network.deliverable = not_deliverable("not_available")
    response = browser.get(f"/address/order/{OFFER}?choice={token}")
    assert response.status_code == 200
    assert "kan inte levereras" in response.body.decode()
    assert 'name="submission_id"' not in response.body.decode()


# --- occupied outlets ---------------------------------------------------------------------------


def test_an_occupied_outlet_asks_whether_the_customer_takes_it_over(client, world):
    world.city_network.deliverable = TAKEOVER
    browser = Browser(client, OUT_OF_RANGE)
    page, fields = open_address_form(browser)
    assert 'name="forced_takeover"' in page
    assert "Jag flyttar in och tar över uttaget" in page

    # Without the consent: not deliverable, told why, nothing stored
    refused = post_address_order(browser, fields)
    assert refused.status_code == 409
    assert "Om du flyttar in kan du ta över uttaget" in refused.body.decode()
    assert world.orders == []

    # With it: ordered, the consent kept with the order
    response = order_by_address(browser, fields, forced_takeover="on")
    assert response.status_code == 303, response.body
    [order] = world.orders
    assert order.forced_takeover is True
    assert order.activation.state == ActivationState.AWAITING_PROVIDER


def test_a_consent_where_no_takeover_is_needed_is_not_kept(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    order_by_address(browser, fields, forced_takeover="on")
    [order] = world.orders
    assert order.forced_takeover is False


def test_an_identified_visitor_at_an_occupied_outlet_is_asked_too(client, world):
    world.city_network.deliverable = TAKEOVER
    browser = identified_browser(client, world)
    page = browser.get("/order/tl-internet-100").body.decode()
    assert 'name="forced_takeover"' in page
    fields = {name: hidden(page, name) for name in ("csrf_token", "submission_id")}

    refused = browser.post_form("/order/tl-internet-100", {**valid_answers(), **fields})
    assert refused.status_code == 409
    assert world.orders == [] and world.city_network.orders_made() == 0

    response = review_and_confirm(
        browser, "/order/tl-internet-100", {**valid_answers(forced_takeover="on"), **fields}
    )
    assert response.status_code == 303, response.body
    [order] = world.orders
    assert order.forced_takeover is True and order.identified_by == "bounce"
    # The consent went to the city network with the order
    assert world.city_network.takeovers == [True]


# --- the review step --------------------------------------------------------------------------


def test_an_address_order_is_reviewed_with_the_address_and_confirmed_with_the_terms(client, world):
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)
    path = f"/address/order/{OFFER}"

    review = post_address_order(browser, fields)
    assert review.status_code == 200
    page = review.body.decode()
    assert "Beställ med betalningsskyldighet" in page
    assert hidden(page, "choice") == fields["choice"]
    assert "Storgatan 3, lgh 1101, 123 45 Demostad" in page
    assert world.orders == []

    # Without the terms accepted: the review again, nothing stored
    refused = browser.post_form(path, reviewed(browser, path, {**valid_answers(), **fields},
                                               accept_terms=False))  # fmt: skip
    assert refused.status_code == 422 and world.orders == []
    assert hidden(refused.body.decode(), "choice") == fields["choice"]

    # Accepted, no early start: stored awaiting the provider, to start on day 15
    placed = review_and_confirm(browser, path, {**valid_answers(), **fields}, early_start=False)
    assert placed.status_code == 303, placed.body
    [order] = world.orders
    assert order.agreement is not None and order.agreement.early_start_requested is False
    day_15 = today_in_sweden(world.adapters.clock) + timedelta(days=15)
    assert order.requested_date == order.activation.requested_date == day_15
    assert order.activation.state == ActivationState.AWAITING_PROVIDER
