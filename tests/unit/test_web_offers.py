"""Offers: one port_status per session for identified visitors, none for unidentified ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.models import PortStatus, ServiceOnPort
from tests.unit.web_fakes import (
    ACCESS_ID,
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    identified_browser,
    installed,
)


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def test_identified_offers_call_port_status_once_per_session(client: Client, world: World):
    browser = identified_browser(client, world)

    for _ in range(3):
        assert browser.get("/offers").status_code == 200

    assert world.city_network.count("port_status") == 1
    assert world.city_network.accesses == [ACCESS_ID]


def test_offers_are_grouped_by_category_with_provider_price_and_binding(client: Client, world):
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()

    assert page.index('id="category-internet"') < page.index('id="category-telephony"')
    assert page.index('id="category-telephony"') < page.index('id="category-tv"')
    assert "Bredband 100/100" in page and "Leverantör: Test TL" in page
    assert "299 kr/mån, startavgift 0 kr, bindningstid 12 mån, uppsägningstid 1 mån" in page
    assert "99 kr/mån, startavgift 0 kr, ingen bindningstid, uppsägningstid 1 mån" in page
    assert 'href="/offers/tl-internet-100/summary"' in page
    assert 'href="/order/tl-internet-100"' in page


def test_port_message_is_shown_and_active_services_are_marked(client: Client, world: World):
    world.city_network.port = PortStatus(
        access_id=ACCESS_ID,
        message="Porten är stängd på grund av obetald faktura",
        services=(ServiceOnPort(service_uid="TV-BAS"),),
    )
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()

    assert "Porten är stängd på grund av obetald faktura" in page
    assert "Redan aktiv på ditt uttag" in page
    assert 'href="/order/tl-tv"' not in page
    # still from the session on reload
    again = browser.get("/offers").body.decode()
    assert "Porten är stängd" in again and "Redan aktiv" in again
    assert world.city_network.count("port_status") == 1


def test_port_status_that_fails_still_shows_the_offers(client: Client, world: World):
    world.city_network.port_outcome = "transient"
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()
    assert "Vi kunde inte läsa av ditt uttag" in page
    assert 'href="/order/tl-internet-100"' in page


def test_unidentified_visitor_sees_the_only_network_with_a_manual_note_and_no_call(
    client: Client, world: World
):
    browser = Browser(client, OUT_OF_RANGE)
    browser.get("/")
    page = browser.get("/offers").body.decode()

    assert "Tjänster i Teststadsnätet" in page
    assert "tjänsteleverantören hanterar beställningen manuellt" in page
    assert "Jag beställer inte hemifrån" not in page
    assert world.city_network.total_calls == 0


def test_unidentified_visitor_chooses_among_several_networks(client: Client):
    with installed(build_world(second_network=True)) as world:
        browser = Browser(client, OUT_OF_RANGE)
        choice = browser.get("/offers").body.decode()
        assert "Välj ditt stadsnät" in choice
        assert 'href="/offers?city_network=andra-natet"' in choice
        page = browser.get("/offers?city_network=test-stadsnat").body.decode()
        assert "Tjänster i Teststadsnätet" in page
        assert world.city_network.total_calls == 0


def test_unknown_network_choice_is_a_404_page(client: Client):
    response = Browser(client, OUT_OF_RANGE).get("/offers?city_network=nope")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.body.decode()


def test_offer_and_port_texts_are_escaped(client: Client, world: World):
    world.city_network.port = PortStatus(access_id=ACCESS_ID, message="<script>alert(1)</script>")
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_carry_security_headers(client: Client):
    response = Browser(client, OUT_OF_RANGE).get("/offers")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Content-Type"].startswith("text/html")


def test_stylesheet_is_served_locally(client: Client):
    response = Browser(client).get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert ":focus-visible" in response.body.decode()
