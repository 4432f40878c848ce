"""The ON-API portal hand-over in the customer web: `GET /` sends an ON-API network's visitor
to its portal with our nonce, and `GET /identify/on-api` identifies them only when the
hand-over is genuine, timely, first, and this browser's, from its address."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.models import CityNetwork
from chalicelib.domain.provider_view import order_view
from tests.unit.web_fakes import (
    IN_RANGE,
    ONAPI_ACCESS_ID,
    ONAPI_IN_RANGE,
    ONAPI_NETWORK,
    PORTAL_URL,
    Browser,
    World,
    build_world,
    callback_path,
    hidden,
    installed,
    location,
    portal_hand_over,
    portal_path,
    query_of,
    review_and_confirm,
    signed_callback,
    valid_answers,
)

IDENTIFIED = "Vi har identifierat ditt uttag"
ASTRAY = "Vi kunde inte identifiera ditt uttag"


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world(on_api_network=True)) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def to_portal(browser: Browser) -> str:
    """Open `/`; the nonce our return URL carries to the portal."""
    response = browser.get("/")
    assert response.status_code == 302, response.body
    return_url = query_of(location(response))["return_url"]
    return parse_qs(urlsplit(return_url).query)["n"][0]


def is_identified(browser: Browser) -> bool:
    return IDENTIFIED in browser.get("/offers").body.decode()


def identified_through_the_portal(client: Client) -> Browser:
    browser = Browser(client, ONAPI_IN_RANGE)
    response = browser.get(portal_path(portal_hand_over(to_portal(browser))))
    assert location(response) == "/offers"
    return browser


# --- to the portal ---------------------------------------------------------------------


def test_an_on_api_visitor_is_sent_to_the_portal_with_our_return_url(client, world: World):
    response = Browser(client, ONAPI_IN_RANGE).get("/")

    assert response.status_code == 302
    target = urlsplit(location(response))
    assert target._replace(query="").geturl() == PORTAL_URL
    [return_url] = parse_qs(target.query)["return_url"]
    assert return_url.startswith("http://portal.test/identify/on-api?n=")
    nonce = parse_qs(urlsplit(return_url).query)["n"][0]
    assert len(nonce) >= 40
    # recorded as a bounce nonce is: network, address, exact return URL
    assert world.adapters.tokens.get(f"nonce:{nonce}") == {
        "city_network_id": ONAPI_NETWORK.id,
        "address": ONAPI_IN_RANGE,
        "return_url": return_url,
    }
    assert world.bounce_probe.probed == [PORTAL_URL]
    assert world.city_network.total_calls == 0


def test_a_portal_that_does_not_answer_leaves_the_visitor_unidentified(client: Client):
    with installed(build_world(on_api_network=True), bounce_alive=False):
        response = Browser(client, ONAPI_IN_RANGE).get("/")
    assert location(response) == "/offers"


def test_the_direct_activation_visitor_still_goes_to_the_bounce_server(client: Client):
    # 10.1.2.3 is in the DA network's 10.0.0.0/8 and not in the ON-API network's 10.9.0.0/16
    response = Browser(client, IN_RANGE).get("/")
    assert location(response).startswith("http://bounce.test/bounce?")


def test_the_portal_url_keeps_its_own_query(client: Client, world: World):
    world.adapters.catalog.put_city_network(
        ONAPI_NETWORK.model_copy(update={"portal_url": PORTAL_URL + "?sp=broker"})
    )
    target = location(Browser(client, ONAPI_IN_RANGE).get("/"))
    assert parse_qs(urlsplit(target).query)["sp"] == ["broker"]


# --- the hand-over ---------------------------------------------------------------------


def test_a_genuine_hand_over_identifies_the_visitor(client: Client, world: World):
    browser = identified_through_the_portal(client)

    page = browser.get("/offers").body.decode()
    assert IDENTIFIED in page
    assert "ON-API-nätet" in page
    assert 'href="/order/onapi-tl-internet-100"' in page
    assert world.city_network.accesses == [ONAPI_ACCESS_ID]


def test_an_order_after_the_hand_over_is_identified_by_the_portal(client: Client, world: World):
    browser = identified_through_the_portal(client)
    form = browser.get("/order/onapi-tl-internet-100").body.decode()
    tokens = {n: hidden(form, n) for n in ("csrf_token", "submission_id")}

    response = review_and_confirm(
        browser, "/order/onapi-tl-internet-100", {**valid_answers(), **tokens}
    )

    assert response.status_code == 303, response.body
    [order] = world.orders
    assert order.identified and order.access_id == ONAPI_ACCESS_ID
    assert order.identified_by == "portal"
    assert order_view(order)["identified_by"] == "portal"


def test_an_order_after_a_bounce_is_identified_by_the_bounce(client: Client, world: World):
    browser = Browser(client, IN_RANGE)
    nonce = query_of(location(browser.get("/")))["nonce"]
    browser.get(callback_path(signed_callback(nonce)))
    form = browser.get("/order/tl-internet-100").body.decode()
    tokens = {n: hidden(form, n) for n in ("csrf_token", "submission_id")}
    review_and_confirm(browser, "/order/tl-internet-100", {**valid_answers(), **tokens})
    [order] = world.orders
    assert order.identified_by == "bounce"


def now_tid(delta: timedelta) -> str:
    moment = datetime.now(UTC) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: {**p, "hash": "0" * 64}, id="forged-hash"),
        pytest.param(lambda p: {**p, "accessId": "SOMEONE-ELSES"}, id="edited-access"),
        pytest.param(lambda p: portal_hand_over(p["n"], key="guessed-key"), id="other-key"),
        pytest.param(lambda p: portal_hand_over(p["n"], ko="other-ko"), id="other-ko"),
        pytest.param(
            lambda p: portal_hand_over(p["n"], tid=now_tid(timedelta(minutes=-6))), id="stale"
        ),
        pytest.param(
            lambda p: portal_hand_over(p["n"], tid=now_tid(timedelta(minutes=2))), id="future"
        ),
        pytest.param(lambda p: {**p, "tid": "yesterday"}, id="malformed-tid"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "hash"}, id="no-hash"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "n"}, id="no-nonce"),
        pytest.param(lambda p: {**p, "n": "a-nonce-we-never-issued"}, id="unknown-nonce"),
    ],
)
def test_a_bad_hand_over_leaves_the_visitor_unidentified(client: Client, world: World, tamper):
    browser = Browser(client, ONAPI_IN_RANGE)
    params = tamper(portal_hand_over(to_portal(browser)))

    response = browser.get(portal_path(params))

    assert location(response) == "/offers"
    assert not is_identified(browser)
    assert world.city_network.total_calls == 0
    # and the landing page does not send the visitor to the portal again
    assert location(browser.get("/")) == "/offers"


def test_a_replayed_hand_over_does_not_identify_again(client: Client):
    # Given a browser whose hand-over was intercepted before it arrived
    browser = Browser(client, ONAPI_IN_RANGE)
    params = portal_hand_over(to_portal(browser))
    before = browser.cookie
    browser.get(portal_path(params))
    assert is_identified(browser)
    # When it is replayed with the browser's earlier (pre-identification) cookie
    browser.cookie = before
    browser.get(portal_path(params))
    # Then it does not identify
    assert not is_identified(browser)


def test_a_hand_over_from_another_address_explains_and_continues_unidentified(client):
    browser = Browser(client, ONAPI_IN_RANGE)
    params = portal_hand_over(to_portal(browser))
    browser.address = "10.9.0.77"  # the same network, another connection

    response = browser.get(portal_path(params))

    assert response.status_code == 200
    page = response.body.decode()
    assert ASTRAY in page and 'href="/offers"' in page
    assert not is_identified(browser)


def test_a_hand_over_at_another_return_url_explains(client: Client):
    browser = Browser(client, ONAPI_IN_RANGE)
    params = portal_hand_over(to_portal(browser))
    response = browser.get(portal_path(params), headers={"host": "portal.test:8443"})
    assert ASTRAY in response.body.decode()
    assert not is_identified(browser)


def test_a_hand_over_from_an_address_no_longer_in_the_network_explains(client, world: World):
    browser = Browser(client, ONAPI_IN_RANGE)
    params = portal_hand_over(to_portal(browser))
    moved = ONAPI_NETWORK.model_copy(update={"ip_ranges": ("10.10.0.0/16",)})
    world.adapters.catalog.put_city_network(CityNetwork.model_validate(moved.model_dump()))

    response = browser.get(portal_path(params))

    assert ASTRAY in response.body.decode()
    assert not is_identified(browser)


def test_a_hand_over_started_in_another_browser_does_not_bind_this_one(client: Client):
    # Given an attacker's genuine hand-over for its own access
    attacker = Browser(client, ONAPI_IN_RANGE)
    params = portal_hand_over(to_portal(attacker), access_id="ATTACKER-ACCESS")
    # When a victim's browser, at the same address and with its own nonce, is made to open it
    victim = Browser(client, ONAPI_IN_RANGE)
    to_portal(victim)
    victim.get(portal_path(params))
    # Then the victim is not bound to the attacker's access
    assert not is_identified(victim)
    # and a browser without any session neither
    stranger = Browser(client, ONAPI_IN_RANGE)
    stranger.get(portal_path(params))
    assert not is_identified(stranger)


def test_a_bounce_nonce_is_no_portal_nonce(client: Client):
    browser = Browser(client, IN_RANGE)
    nonce = query_of(location(browser.get("/")))["nonce"]
    browser.get(portal_path(portal_hand_over(nonce)))
    assert not is_identified(browser)


def test_a_portal_nonce_is_no_bounce_nonce(client: Client):
    browser = Browser(client, ONAPI_IN_RANGE)
    nonce = to_portal(browser)
    browser.get(callback_path(signed_callback(nonce)))
    assert not is_identified(browser)


def test_a_bad_hand_over_takes_no_identification_away(client: Client):
    browser = identified_through_the_portal(client)
    response = browser.get(portal_path({**portal_hand_over("x" * 43), "hash": "0" * 64}))
    assert location(response) == "/offers"
    assert is_identified(browser)


def test_rejections_are_logged_with_the_reason_only(client, caplog: pytest.LogCaptureFixture):
    browser = Browser(client, ONAPI_IN_RANGE)
    nonce = to_portal(browser)
    forged = {**portal_hand_over(nonce), "accessId": "EDITED-ACCESS-42"}
    genuine = portal_hand_over(nonce)
    with caplog.at_level(logging.DEBUG):
        browser.get(portal_path(forged))
        other = Browser(client, ONAPI_IN_RANGE)
        other.get(portal_path(genuine))
        identified_through_the_portal(client)
    messages = [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    assert any("bad_hash" in m for m in messages)
    assert any("nonce_of_another_browser" in m for m in messages)
    for secret in ("EDITED-ACCESS-42", ONAPI_ACCESS_ID, genuine["mac"], genuine["hash"]):
        assert all(secret not in m for m in messages), secret
