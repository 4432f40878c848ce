"""The ON-API portal hand-over over real HTTP: the app served with the real peer address as
sourceIp (infra/local/appserver.py), the ON-API emulator's portal seeing the browser's
real address, visitors on 127.0.1.x loopback source addresses. What the binding refuses,
and the protocol's limit it cannot close (docs/protocols/on-api.md, "The web-portal
hand-over")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from app import app
from bench.journey import CUSTOMER, browser_at, confirm_fields
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.composition import TEST_SECRETS, InMemoryAdapters, use
from infra.local.appserver import AppServer
from infra.local.emulator_onapi import DEMO_CONFIG_PATH, OnApiEmulator, parse_config
from infra.local.seed import (
    DEMO_CREDENTIALS_REF,
    DEMO_ONAPI_CREDENTIALS_REF,
    seed_catalog,
    seed_on_api_network,
)

OFFER = "demo-tl-onapi-internet-100"
IDENTIFIED = "Vi har identifierat ditt uttag"
ASTRAY = "Vi kunde inte identifiera ditt uttag"
_HIDDEN = re.compile(r'name="(csrf_token|submission_id)" value="([^"]*)"')


@dataclass
class Stack:
    app_url: str
    emulator: OnApiEmulator
    adapters: InMemoryAdapters

    def api_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.emulator.calls() if c["kind"] == "api"]

    def portal_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.emulator.calls() if c["kind"] == "portal"]


@pytest.fixture
def stack() -> Iterator[Stack]:
    data = json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8"))
    data["order_delay_s"] = 0.2
    with OnApiEmulator(parse_config(data)) as emulator:
        user, password = emulator.auth
        adapters = InMemoryAdapters(
            secrets=StaticSecrets(
                {
                    **TEST_SECRETS,
                    DEMO_CREDENTIALS_REF: "demo:unused",
                    f"{DEMO_CREDENTIALS_REF}/bounce": "unused",
                    DEMO_ONAPI_CREDENTIALS_REF: f"{user}:{password}",
                    f"{DEMO_ONAPI_CREDENTIALS_REF}/portal": emulator.state.config.portal.key,
                }
            )
        )
        # The Direct Activation network too (127.0.0.0/24), its bounce server nowhere.
        seed_catalog(adapters.catalog, "http://127.0.0.1:9/da", "http://127.0.0.1:9/bounce")
        seed_on_api_network(
            adapters.catalog, emulator.api_url, emulator.portal_url, emulator.state.config.ko
        )
        use(adapters)
        server = AppServer(app).start()
        try:
            yield Stack(server.url, emulator, adapters)
        finally:
            server.stop()
            use(None)


def get(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(url, allow_redirects=False, timeout=10)


def walk(browser: requests.Session, url: str, hops: int = 6) -> requests.Response:
    """Follow redirects one at a time (keeping cookies per host, as a browser does)."""
    response = get(browser, url)
    while response.is_redirect and hops:
        response = get(browser, requests.compat.urljoin(response.url, response.headers["Location"]))
        hops -= 1
    return response


def hand_over_url(stack: Stack, browser: requests.Session) -> str:
    """`GET /` and the portal: the URL the portal hands `browser` back to (not opened)."""
    to_portal = get(browser, stack.app_url + "/")
    assert urlsplit(to_portal.headers["Location"]).path == "/portal"
    back = get(browser, to_portal.headers["Location"])
    assert back.status_code == 302, back.text
    location: str = back.headers["Location"]
    return location


def order(stack: Stack, browser: requests.Session) -> requests.Response:
    form = browser.get(f"{stack.app_url}/order/{OFFER}", timeout=10)
    hidden = dict(_HIDDEN.findall(form.text))
    url = f"{stack.app_url}/order/{OFFER}"
    review = browser.post(url, data={**CUSTOMER, **hidden}, allow_redirects=False, timeout=10)
    assert review.status_code == 200, review.text
    return browser.post(url, data=confirm_fields(review.text), allow_redirects=False, timeout=10)


def test_a_visitor_behind_a_known_access_is_identified_through_the_portal(stack: Stack):
    # Given a browser at 127.0.1.2, the demo address of DEMO-ONAPI-OK
    browser = browser_at("127.0.1.2")

    # When it opens the portal, is handed over and comes back
    page = walk(browser, stack.app_url + "/")

    # Then it is identified, by the portal that saw its own address
    assert page.status_code == 200
    assert IDENTIFIED in page.text
    assert [(c["peer"], c["access_id"]) for c in stack.portal_calls()] == [
        ("127.0.1.2", "DEMO-ONAPI-OK")
    ]
    assert [c["path"] for c in stack.api_calls()] == ["/onapi/2.6/services/DEMO-ONAPI-OK"]

    # and its order is on that access, identified by the portal, taken by the network
    posted = order(stack, browser)
    assert posted.status_code == 303, posted.text
    [stored] = list(stack.adapters.orders._orders.values())  # type: ignore[attr-defined]
    assert stored.access_id == "DEMO-ONAPI-OK"
    assert stored.identified_by == "portal"
    assert stored.activation.network_order_id is not None
    assert any(c["method"] == "POST" for c in stack.api_calls())


def test_the_return_url_carries_our_nonce_and_the_portal_keeps_it(stack: Stack):
    browser = browser_at("127.0.1.2")
    to_portal = get(browser, stack.app_url + "/")
    [return_url] = parse_qs(urlsplit(to_portal.headers["Location"]).query)["return_url"]
    assert return_url.startswith(stack.app_url + "/identify/on-api?n=")
    back = get(browser, to_portal.headers["Location"])
    params = parse_qs(urlsplit(back.headers["Location"]).query)
    assert params["n"] == parse_qs(urlsplit(return_url).query)["n"]
    assert set(params) == {"n", "ko", "accessId", "mac", "tid", "hash"}


def test_an_edited_hand_over_identifies_nobody(stack: Stack):
    browser = browser_at("127.0.1.2")
    url = urlsplit(hand_over_url(stack, browser))
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    edited = url._replace(query=urlencode({**params, "accessId": "DEMO-ONAPI-FAIL"})).geturl()

    page = walk(browser, edited)

    assert IDENTIFIED not in page.text
    assert stack.api_calls() == []


def test_a_hand_over_is_used_once(stack: Stack):
    # Given a genuine hand-over URL that a second browser at the same address also opens
    browser = browser_at("127.0.1.2")
    url = hand_over_url(stack, browser)
    jar = browser.cookies.copy()
    assert IDENTIFIED in walk(browser, url).text
    # When it is replayed with the browser's pre-identification cookie
    replay = browser_at("127.0.1.2")
    replay.cookies = jar
    page = walk(replay, url)
    # Then it does not identify again
    assert IDENTIFIED not in page.text


def test_a_hand_over_from_another_address_explains_and_continues_unidentified(stack: Stack):
    # Given the hand-over of a visitor at 127.0.1.2
    browser = browser_at("127.0.1.2")
    url = hand_over_url(stack, browser)
    # When it arrives from 127.0.1.3 with the same cookie (another connection, or a copy)
    elsewhere = browser_at("127.0.1.3")
    elsewhere.cookies = browser.cookies
    page = get(elsewhere, url)
    # Then the visitor is told why and continues unidentified
    assert page.status_code == 200
    assert ASTRAY in page.text
    assert stack.api_calls() == []


def test_a_hand_over_opened_in_another_browser_does_not_bind_it(stack: Stack):
    # Given an attacker's genuine hand-over for its own access (DEMO-ONAPI-FAIL)
    attacker = browser_at("127.0.1.3")
    url = hand_over_url(stack, attacker)
    # When a victim at the same address (a shared NAT) with its own nonce is made to open it
    victim = browser_at("127.0.1.3")
    get(victim, stack.app_url + "/")
    page = walk(victim, url)
    # Then the victim is not bound to the attacker's access
    assert IDENTIFIED not in page.text


def steal_a_hand_over(stack: Stack, attacker: requests.Session) -> str:
    """The attacker's nonce, the victim (127.0.1.2) lured to the portal with a return URL of
    the attacker's: the portal hands the victim's access over to the attacker. The hash
    covers neither the nonce nor the return URL, so nothing in it says it was misdirected.
    The hand-over's parameters with the attacker's own nonce, at our URL."""
    to_portal = urlsplit(get(attacker, stack.app_url + "/").headers["Location"])
    [return_url] = parse_qs(to_portal.query)["return_url"]
    nonce = parse_qs(urlsplit(return_url).query)["n"][0]
    lure = to_portal._replace(query=urlencode({"return_url": "http://evil.test/collect"}))
    victim = browser_at("127.0.1.2")
    stolen = urlsplit(get(victim, lure.geturl()).headers["Location"])
    assert stolen.netloc == "evil.test"
    assert parse_qs(stolen.query)["accessId"] == ["DEMO-ONAPI-OK"]
    return f"{stack.app_url}/identify/on-api?n={nonce}&{stolen.query}"


def test_the_protocol_limit_a_misdirected_hand_over_replays_from_within_the_network(
    stack: Stack,
):
    # Given an attacker inside the network (127.0.1.9) and a hand-over stolen from a victim
    # through a portal that redirects to any return_url
    attacker = browser_at("127.0.1.9")
    replay = steal_a_hand_over(stack, attacker)
    # When the attacker replays it with its own nonce, from the address that nonce is for
    page = walk(attacker, replay)
    # Then it is identified as the victim: nonce, session, address and hash all hold. Only a
    # portal that allow-lists return URLs closes this (docs/protocols/on-api.md).
    assert IDENTIFIED in page.text


def test_a_misdirected_hand_over_is_refused_from_outside_the_network(stack: Stack):
    # Given the same stolen hand-over, carried to an address outside the network
    attacker = browser_at("127.0.1.9")
    replay = steal_a_hand_over(stack, attacker)
    outside = browser_at("127.0.0.9")
    outside.cookies = attacker.cookies
    # When it is replayed from there with the attacker's session
    page = walk(outside, replay)
    # Then it identifies nobody
    assert IDENTIFIED not in page.text
    assert ASTRAY in page.text
