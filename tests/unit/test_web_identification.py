"""Identification: the bounce redirect and the verification of its callback."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from tests.unit.web_fakes import (
    ACCESS_ID,
    IN_RANGE,
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    callback_path,
    hidden,
    identified_browser,
    installed,
    location,
    query_of,
    signed_callback,
)


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def bounced(browser: Browser) -> str:
    """Start identification; the nonce the bounce server was given."""
    response = browser.get("/")
    assert response.status_code == 302
    return query_of(location(response))["nonce"]


def is_identified(browser: Browser) -> bool:
    page = browser.get("/offers").body.decode()
    return "Vi har identifierat ditt uttag" in page


def test_visitor_in_range_is_sent_to_the_bounce_url_with_return_url_and_nonce(client: Client):
    response = Browser(client, IN_RANGE).get("/")

    assert response.status_code == 302
    target = location(response)
    assert target.startswith("http://bounce.test/bounce?")
    params = query_of(target)
    assert params["return_url"] == "http://portal.test/identify/callback"
    assert len(params["nonce"]) >= 40
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_each_visit_gets_its_own_nonce(client: Client):
    first = bounced(Browser(client))
    second = bounced(Browser(client))
    assert first != second


def test_visitor_outside_every_range_is_unidentified_without_any_call(client: Client, world):
    response = Browser(client, OUT_OF_RANGE).get("/")

    assert location(response) == "/offers"
    assert world.city_network.total_calls == 0


def test_forwarded_for_header_cannot_claim_an_address_in_range(client: Client):
    browser = Browser(client, OUT_OF_RANGE)
    response = browser.get("/", headers={"x-forwarded-for": IN_RANGE, "x-real-ip": IN_RANGE})
    assert location(response) == "/offers"


def test_bounce_server_that_does_not_answer_leaves_the_visitor_unidentified(client: Client):
    with installed(build_world(), bounce_alive=False):
        response = Browser(client, IN_RANGE).get("/")
    assert location(response) == "/offers"


def test_genuine_ok_callback_identifies_the_visitor(client: Client, world: World):
    browser = identified_browser(client, world)

    assert is_identified(browser)
    assert world.city_network.accesses == [ACCESS_ID]


def test_session_cookie_is_secure_over_https(client: Client):
    browser = Browser(client)
    response = browser.get("/", headers={"x-forwarded-proto": "https"})
    assert "; Secure" in response.headers["Set-Cookie"]
    plain = Browser(client).get("/")
    assert "Secure" not in plain.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: {**p, "sig": "0" * 64}, id="forged-signature"),
        pytest.param(lambda p: {**p, "uid": "SOMEONE-ELSES-OUTLET"}, id="edited-uid"),
        pytest.param(lambda p: {**p, "expires": str(int(p["expires"]) + 3600)}, id="edited-expiry"),
        pytest.param(lambda p: {**p, "sig": p["sig"].upper()}, id="malformed-signature"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "sig"}, id="missing-signature"),
    ],
)
def test_tampered_callback_leaves_the_visitor_unidentified(client: Client, world: World, tamper):
    browser = Browser(client)
    params = tamper(signed_callback(bounced(browser)))

    response = browser.get(callback_path(params))

    assert location(response) == "/offers"
    assert not is_identified(browser)
    assert world.city_network.accesses == []


def test_signature_under_another_secret_is_refused(client: Client):
    browser = Browser(client)
    params = signed_callback(bounced(browser), secret="not-the-shared-secret")
    browser.get(callback_path(params))
    assert not is_identified(browser)


def test_replayed_callback_does_not_identify_another_visit(client: Client):
    # Given a callback that identified one visit
    browser = Browser(client)
    params = signed_callback(bounced(browser))
    browser.get(callback_path(params))
    assert is_identified(browser)
    # When the same callback is replayed into a fresh visit
    fresh = Browser(client)
    bounced(fresh)
    fresh.get(callback_path(params))
    # Then it does not identify that visit
    assert not is_identified(fresh)


def test_replay_in_the_same_browser_is_refused(client: Client):
    # Given a browser whose genuine callback was intercepted before it arrived
    browser = Browser(client)
    params = signed_callback(bounced(browser))
    pre_identification = browser.cookie
    browser.get(callback_path(params))
    assert is_identified(browser)
    # When the callback is replayed with the browser's earlier cookie
    browser.cookie = pre_identification
    browser.get(callback_path(params))
    # Then the replay does not identify
    assert not is_identified(browser)


def test_expired_callback_is_refused(client: Client):
    browser = Browser(client)
    params = signed_callback(bounced(browser), expires=int(time.time()) - 1)
    browser.get(callback_path(params))
    assert not is_identified(browser)


def test_callback_started_in_another_browser_does_not_bind_this_one(client: Client):
    # Given an attacker who starts identification and gets a genuine callback for their outlet
    attacker = Browser(client)
    params = signed_callback(bounced(attacker), uid="ATTACKER-OUTLET")
    # When the victim's browser (with its own pre-identification state) is made to open it
    victim = Browser(client)
    bounced(victim)
    victim.get(callback_path(params))
    # Then the victim is not bound to the attacker's outlet
    assert not is_identified(victim)


def test_callback_without_any_session_is_refused(client: Client):
    attacker = Browser(client)
    params = signed_callback(bounced(attacker))
    stranger = Browser(client)
    stranger.get(callback_path(params))
    assert not is_identified(stranger)


def test_unknown_nonce_is_refused(client: Client):
    browser = Browser(client)
    bounced(browser)
    browser.get(callback_path(signed_callback("a-nonce-we-never-issued")))
    assert not is_identified(browser)


@pytest.mark.parametrize("status", ["not found", "error", "maybe"])
def test_callback_without_ok_leaves_the_visitor_unidentified(client: Client, status: str):
    browser = Browser(client)
    params = signed_callback(bounced(browser), status=status, uid="")
    response = browser.get(callback_path(params))
    assert location(response) == "/offers"
    assert not is_identified(browser)
    # and the landing page does not bounce the visitor again
    assert location(browser.get("/")) == "/offers"


def test_rejected_callback_is_logged_with_its_reason_but_without_the_uid(
    client: Client, caplog: pytest.LogCaptureFixture
):
    browser = Browser(client)
    params = {**signed_callback(bounced(browser)), "uid": "EDITED-OUTLET-42"}
    with caplog.at_level(logging.INFO):
        browser.get(callback_path(params))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("bad_signature" in r.getMessage() for r in warnings)
    assert all("EDITED-OUTLET-42" not in r.getMessage() for r in caplog.records)


def test_garbage_callback_parameters_are_unidentified_not_an_error(client: Client):
    browser = Browser(client)
    bounced(browser)
    response = browser.get("/identify/callback?status=ok&uid=%00%FF&nonce=&expires=x&sig=y")
    assert response.status_code == 302
    assert location(response) == "/offers"


def test_callback_from_another_address_explains_and_continues_unidentified(client: Client):
    # Given a visitor whose nonce was issued to 10.1.2.3
    browser = Browser(client, IN_RANGE)
    params = signed_callback(bounced(browser))
    # When the genuine callback arrives from another address (a changed connection, or a
    # replay elsewhere)
    browser.address = "10.200.0.1"
    response = browser.get(callback_path(params))
    # Then the visitor is told why, in Swedish, and continues unidentified
    assert response.status_code == 200
    page = response.body.decode()
    assert "Vi kunde inte identifiera ditt uttag" in page
    assert "samma anslutning" in page
    assert 'href="/offers"' in page
    assert not is_identified(browser)


def test_callback_at_another_return_url_explains_and_continues_unidentified(client: Client):
    browser = Browser(client, IN_RANGE)
    params = signed_callback(bounced(browser))
    response = browser.get(callback_path(params), headers={"host": "portal.test:8443"})
    assert response.status_code == 200
    assert "Vi kunde inte identifiera ditt uttag" in response.body.decode()
    assert not is_identified(browser)


def test_a_result_signed_for_another_return_url_does_not_identify(client: Client):
    browser = Browser(client, IN_RANGE)
    params = signed_callback(bounced(browser), return_url="https://evil.test/collect")
    response = browser.get(callback_path(params))
    assert location(response) == "/offers"
    assert not is_identified(browser)


def test_identified_visitor_can_choose_not_to_order_from_home(client: Client, world: World):
    # Given an identified visitor on the offers page
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()
    assert '<form method="post" action="/unidentified">' in page
    assert "Jag beställer inte hemifrån" in page

    # When it presses the button
    response = browser.post_form("/unidentified", {"csrf_token": hidden(page, "csrf_token")})

    # Then the outlet is forgotten and the order will be a manual one
    assert response.status_code == 303
    assert location(response) == "/offers"
    assert not is_identified(browser)
    assert "hanterar beställningen manuellt" in browser.get("/offers").body.decode()


def test_get_unidentified_explains_and_offers_the_button_without_forgetting(client, world):
    browser = identified_browser(client, world)
    response = browser.get("/unidentified")
    page = response.body.decode()
    assert response.status_code == 200
    assert 'action="/unidentified"' in page and 'name="csrf_token"' in page
    assert is_identified(browser)
    # and for a visitor who is not identified there is nothing to forget: the offers
    assert location(Browser(client, OUT_OF_RANGE).get("/unidentified")) == "/offers"
