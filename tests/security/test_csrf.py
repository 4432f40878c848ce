"""CSRF on the order form: only a POST from the page we rendered, in the same browser
session, stores an order; every other way in is a 403 (or 4xx) that stores nothing and asks
the city network nothing. No GET anywhere in the customer web has a side effect, and no
other site can make an identified visitor forget the outlet ("I am not ordering from home"
is a POST from our own page).

The token is bound to the session, not to the offer: a form of another offer in the same
browser proves the same thing (this browser loaded our page), so only other sessions'
tokens are attacks, whatever offer they were rendered for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.web.session import SESSION_TTL_S
from tests.fakes import FixedClock
from tests.unit.test_web_ordering import OFFER, open_form
from tests.unit.web_fakes import (
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
    reviewed,
    signed_callback,
    valid_answers,
)

OTHER_OFFER = "tl-tv"


@dataclass
class Ctx:
    client: Client
    world: World
    clock: FixedClock

    def nothing_happened(self) -> None:
        assert self.world.orders == []
        assert self.world.city_network.count("service_order") == 0


@pytest.fixture
def ctx() -> Iterator[Ctx]:
    clock = FixedClock()
    world = build_world(clock=clock)
    with installed(world), Client(app) as client:
        yield Ctx(client, world, clock)


def post(browser: Browser, fields: dict[str, str] | list[tuple[str, str]], **kw: str) -> int:
    response = browser.post_form(f"/order/{kw.get('offer', OFFER)}", fields)
    return int(response.status_code)


Attack = Callable[[Ctx], int]


def missing(ctx: Ctx) -> int:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    return post(browser, {**valid_answers(), "submission_id": tokens["submission_id"]})


def wrong(value: str) -> Attack:
    def attack(ctx: Ctx) -> int:
        browser = Browser(ctx.client, OUT_OF_RANGE)
        tokens = open_form(browser)
        return post(browser, {**valid_answers(), **tokens, "csrf_token": value})

    return attack


def of_another_session(offer: str) -> Attack:
    def attack(ctx: Ctx) -> int:
        victim, attacker = Browser(ctx.client, OUT_OF_RANGE), Browser(ctx.client, OUT_OF_RANGE)
        open_form(victim)
        stolen = open_form(attacker, offer)
        return post(victim, {**valid_answers(), **stolen})

    return attack


def without_a_session(ctx: Ctx) -> int:
    # The classic: a form on another site posts to us; the attacker knows their own token
    attacker = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(attacker)
    stranger = Browser(ctx.client, OUT_OF_RANGE)
    return post(stranger, {**valid_answers(), **tokens})


def from_before_identification(ctx: Ctx) -> int:
    # Identification starts a new session secret: nothing obtained before carries over
    browser = Browser(ctx.client, IN_RANGE)
    nonce = query_of(location(browser.get("/")))["nonce"]
    old = open_form(browser)
    expires = int(ctx.clock.now().timestamp()) + 120
    browser.get(callback_path(signed_callback(nonce, expires=expires)))
    assert "Vi har identifierat ditt uttag" in browser.get("/offers").body.decode()
    return post(browser, {**valid_answers(), **old})


def after_the_session_expired(ctx: Ctx) -> int:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    ctx.clock.advance(seconds=SESSION_TTL_S + 1)
    return post(browser, {**valid_answers(), **tokens})


def in_the_query_string(ctx: Ctx) -> int:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    body = urlencode({**valid_answers(), "submission_id": tokens["submission_id"]}).encode()
    response = browser.request(
        "POST",
        f"/order/{OFFER}?csrf_token={tokens['csrf_token']}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=body,
    )
    return int(response.status_code)


def sent_twice(ctx: Ctx) -> int:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    fields = [*valid_answers().items(), *tokens.items(), ("csrf_token", "forged")]
    return post(browser, fields)


def as_text_plain(ctx: Ctx) -> int:
    # <form enctype="text/plain"> is the one body type a cross-site form can choose freely
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    body = "\r\n".join(f"{k}={v}" for k, v in {**valid_answers(), **tokens}.items()).encode()
    response = browser.request(
        "POST", f"/order/{OFFER}", headers={"content-type": "text/plain"}, body=body
    )
    return int(response.status_code)


ATTACKS: dict[str, Attack] = {
    "missing": missing,
    "empty": wrong(""),
    "forged": wrong("forged"),
    "random, right length": wrong(secrets.token_urlsafe(32)[:43]),
    "non-ASCII": wrong("åäö" * 10),
    "another session's, same offer": of_another_session(OFFER),
    "another session's, another offer": of_another_session(OTHER_OFFER),
    "no session at all": without_a_session,
    "from before identification": from_before_identification,
    "after the session expired": after_the_session_expired,
    "in the query string": in_the_query_string,
    "sent twice": sent_twice,
    "text/plain body": as_text_plain,
}


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_a_post_without_this_session_s_token_stores_nothing(ctx: Ctx, attack: Attack) -> None:
    status = attack(ctx)
    assert 400 <= status < 500
    ctx.nothing_happened()


@pytest.mark.parametrize("attack", [missing, wrong("forged"), of_another_session(OFFER)])
def test_token_failures_are_403(ctx: Ctx, attack: Attack) -> None:
    assert attack(ctx) == 403


def test_the_genuine_post_stores_the_order_so_the_table_means_something(ctx: Ctx) -> None:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    confirm = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **open_form(browser)})
    assert len(ctx.world.orders) == 0  # the review stores nothing
    assert post(browser, confirm) == 303
    assert len(ctx.world.orders) == 1


@pytest.mark.parametrize("csrf", [None, "", "forged"])
def test_a_confirm_post_without_our_csrf_token_stores_nothing(ctx: Ctx, csrf: str | None) -> None:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    confirm = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **open_form(browser)})
    forged = [(n, v) for n, v in confirm if n != "csrf_token"]
    if csrf is not None:
        forged.append(("csrf_token", csrf))
    assert post(browser, forged) == 403
    ctx.nothing_happened()


def test_the_session_cookie_is_http_only_and_same_site(ctx: Ctx) -> None:
    response = Browser(ctx.client, OUT_OF_RANGE).get(f"/order/{OFFER}")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def customer_get_routes() -> list[str]:
    return sorted(
        path
        for path, methods in app.routes.items()
        if "GET" in methods and not path.startswith("/tl/v1")
    )


@pytest.mark.parametrize("path", customer_get_routes())
def test_no_get_route_has_a_side_effect(ctx: Ctx, path: str) -> None:
    # Given a visitor with a form open and every field of a valid order in hand
    browser = identified_browser(ctx.client, ctx.world)
    tokens = open_form(browser)
    ctx.world.city_network.calls.clear()
    # When the same fields arrive as a GET (an <img src>, a link, a prefetch)
    concrete = path.replace("{offer_id}", OFFER).replace("{order_id}", "ord_" + "0" * 26)
    query = urlencode({**valid_answers(), **tokens})
    browser.get(f"{concrete}?{query}")
    # Then no order, no activation, no submission claimed
    ctx.nothing_happened()
    claimed = ctx.world.adapters.tokens._tokens  # type: ignore[attr-defined]
    assert not [key for key in claimed if key.startswith("submission:")]


# --- forgetting the outlet ------------------------------------------------------------------

Forget = Callable[[Ctx, Browser], object]


def offers_token(browser: Browser) -> str:
    return hidden(browser.get("/offers").body.decode(), "csrf_token")


def forget_by_get(ctx: Ctx, victim: Browser) -> object:
    # <img src="https://portal/unidentified"> on any page the victim visits
    return victim.get("/unidentified")


def forget_by_get_with_the_token(ctx: Ctx, victim: Browser) -> object:
    return victim.get(f"/unidentified?csrf_token={offers_token(victim)}")


def forget_by_post(fields: Callable[[Ctx, Browser], dict[str, str]]) -> Forget:
    def attack(ctx: Ctx, victim: Browser) -> object:
        return victim.post_form("/unidentified", fields(ctx, victim))

    return attack


def another_sessions_token(ctx: Ctx, victim: Browser) -> dict[str, str]:
    return {"csrf_token": offers_token(identified_browser(ctx.client, ctx.world))}


def forget_as_text_plain(ctx: Ctx, victim: Browser) -> object:
    body = f"csrf_token={offers_token(victim)}".encode()
    return victim.request(
        "POST", "/unidentified", headers={"content-type": "text/plain"}, body=body
    )


def forget_by_a_broken_callback(ctx: Ctx, victim: Browser) -> object:
    return victim.get("/identify/callback?status=ok&uid=X&nonce=n&expires=1&sig=0")


def forget_by_another_browsers_callback(ctx: Ctx, victim: Browser) -> object:
    attacker = Browser(ctx.client, IN_RANGE)
    nonce = query_of(location(attacker.get("/")))["nonce"]
    expires = int(ctx.clock.now().timestamp()) + 120
    return victim.get(callback_path(signed_callback(nonce, uid="EVIL-1", expires=expires)))


FORGETTING: dict[str, Forget] = {
    "GET /unidentified": forget_by_get,
    "GET /unidentified with the token": forget_by_get_with_the_token,
    "POST without a token": forget_by_post(lambda ctx, victim: {}),
    "POST with a forged token": forget_by_post(lambda ctx, victim: {"csrf_token": "forged"}),
    "POST with another session's token": forget_by_post(another_sessions_token),
    "POST as text/plain": forget_as_text_plain,
    "a broken callback": forget_by_a_broken_callback,
    "another browser's callback": forget_by_another_browsers_callback,
}


@pytest.mark.parametrize("forget", list(FORGETTING.values()), ids=list(FORGETTING))
def test_another_site_cannot_make_the_visitor_forget_the_outlet(ctx: Ctx, forget: Forget):
    # Given an identified visitor
    victim = identified_browser(ctx.client, ctx.world)
    # When another site makes the browser send a request it chose
    forget(ctx, victim)
    # Then the visitor is still identified
    assert "Vi har identifierat ditt uttag" in victim.get("/offers").body.decode()


def test_the_button_on_our_page_forgets_the_outlet_so_the_table_means_something(ctx: Ctx):
    victim = identified_browser(ctx.client, ctx.world)
    response = victim.post_form("/unidentified", {"csrf_token": offers_token(victim)})
    assert response.status_code == 303
    assert "hanterar beställningen manuellt" in victim.get("/offers").body.decode()
