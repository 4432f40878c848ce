"""Identification attacks, as one table: forged, edited, replayed, expired and misdirected
bounce callbacks never bind the visitor to an outlet.

Each attack plays out in the customer web (Chalice's test client, in-memory adapters, a
controllable clock) and returns the browser it targets and the outlet it tries to bind.
The verdict is read where it matters: the offers page, the session the next request
carries, and the city network, which must never be asked about the forged outlet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.web.session import PRE_IDENTIFICATION_TTL_S
from tests.fakes import FixedClock
from tests.unit.web_fakes import (
    ACCESS_ID,
    IN_RANGE,
    Browser,
    World,
    build_world,
    callback_path,
    installed,
    location,
    query_of,
    signed_callback,
)

EVIL = "ATTACKER-OUTLET-1"
VICTIM = "VICTIM-OUTLET-1"
ELSEWHERE_IN_RANGE = "10.9.9.9"


@dataclass
class Ctx:
    client: Client
    world: World
    clock: FixedClock

    @property
    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def browser(self, address: str = IN_RANGE) -> Browser:
        return Browser(self.client, address)

    def bounced(self, browser: Browser) -> str:
        """Start identification in `browser`; the nonce the bounce server was given."""
        response = browser.get("/")
        assert response.status_code == 302
        return query_of(location(response))["nonce"]

    def callback(self, nonce: str, **kwargs: object) -> dict[str, str]:
        kwargs.setdefault("expires", self.now + 120)
        return signed_callback(nonce, **kwargs)  # type: ignore[arg-type]


Attack = Callable[[Ctx], tuple[Browser, str]]


def forged_signature(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = {**ctx.callback(ctx.bounced(victim), uid=EVIL), "sig": "0" * 64}
    victim.get(callback_path(params))
    return victim, EVIL


def signed_with_another_secret(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    victim.get(callback_path(ctx.callback(ctx.bounced(victim), uid=EVIL, secret="guessed")))
    return victim, EVIL


def edited(field: str, value: Callable[[dict[str, str]], str], uid: str = ACCESS_ID) -> Attack:
    def attack(ctx: Ctx) -> tuple[Browser, str]:
        victim = ctx.browser()
        params = ctx.callback(ctx.bounced(victim), uid=uid, status="not found")
        params["status"] = "ok"  # every edit below starts from a genuine "not found"
        params[field] = value(params)
        victim.get(callback_path(params))
        return victim, params.get("uid", uid)

    return attack


def genuine_not_found_edited_to_ok(ctx: Ctx) -> tuple[Browser, str]:
    return edited("uid", lambda p: EVIL, uid="")(ctx)


def edited_uid(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = {**ctx.callback(ctx.bounced(victim)), "uid": EVIL}
    victim.get(callback_path(params))
    return victim, EVIL


def edited_nonce(ctx: Ctx) -> tuple[Browser, str]:
    # A genuine callback of the attacker's, re-addressed to the victim's nonce
    attacker, victim = ctx.browser(), ctx.browser()
    params = ctx.callback(ctx.bounced(attacker), uid=EVIL)
    params["nonce"] = ctx.bounced(victim)
    victim.get(callback_path(params))
    return victim, EVIL


def extended_expiry(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL, expires=ctx.now - 10)
    params["expires"] = str(ctx.now + 3600)
    victim.get(callback_path(params))
    return victim, EVIL


def respelled(field: str, spell: Callable[[str], str]) -> Attack:
    """A genuine callback whose `field` is written differently: still an edit."""

    def attack(ctx: Ctx) -> tuple[Browser, str]:
        victim = ctx.browser()
        params = ctx.callback(ctx.bounced(victim), uid=EVIL)
        params[field] = spell(params[field])
        victim.get(callback_path(params))
        return victim, EVIL

    return attack


def duplicated_uid(ctx: Ctx) -> tuple[Browser, str]:
    # Signed for the genuine outlet; a second uid smuggled in beside it
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim))
    pairs = [("uid", EVIL), *params.items()]
    victim.get("/identify/callback?" + urlencode(pairs))
    return victim, EVIL


def missing_signature(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL)
    del params["sig"]
    victim.get(callback_path(params))
    return victim, EVIL


def expired(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    victim.get(callback_path(ctx.callback(ctx.bounced(victim), uid=EVIL, expires=ctx.now - 1)))
    return victim, EVIL


def arrives_after_the_pre_identification_expired(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL, expires=ctx.now + 3 * 3600)
    ctx.clock.advance(seconds=PRE_IDENTIFICATION_TTL_S + 1)
    victim.get(callback_path(params))
    return victim, EVIL


def replayed_into_a_fresh_visit(ctx: Ctx) -> tuple[Browser, str]:
    first = ctx.browser()
    params = ctx.callback(ctx.bounced(first), uid=EVIL)
    first.get(callback_path(params))  # used once, genuinely
    victim = ctx.browser()
    ctx.bounced(victim)
    victim.get(callback_path(params))
    return victim, EVIL


def replayed_with_the_earlier_cookie(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL)
    before = victim.cookie
    victim.get(callback_path(params))
    victim.cookie = before  # the attacker replays into the pre-identification state
    victim.get(callback_path(params))
    victim.get("/unidentified")  # and the victim's genuine binding is gone meanwhile
    victim.cookie = before
    victim.get(callback_path(params))
    return victim, EVIL


def started_in_another_browser(ctx: Ctx) -> tuple[Browser, str]:
    # Login CSRF: the attacker's genuine callback opened in the victim's browser
    attacker, victim = ctx.browser(), ctx.browser()
    params = ctx.callback(ctx.bounced(attacker), uid=EVIL)
    ctx.bounced(victim)
    victim.get(callback_path(params))
    return victim, EVIL


def without_any_session(ctx: Ctx) -> tuple[Browser, str]:
    params = ctx.callback(ctx.bounced(ctx.browser()), uid=EVIL)
    victim = ctx.browser()
    victim.get(callback_path(params))
    return victim, EVIL


def unknown_nonce(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    ctx.bounced(victim)
    victim.get(callback_path(ctx.callback("a-nonce-we-never-issued", uid=EVIL)))
    return victim, EVIL


def posted_instead_of_redirected(ctx: Ctx) -> tuple[Browser, str]:
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL, secret="guessed")
    victim.request(
        "POST",
        "/identify/callback",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=urlencode(params).encode(),
    )
    return victim, EVIL


def sent_to_another_return_url(ctx: Ctx) -> tuple[Browser, str]:
    # The attacker's nonce, opened by the victim with a return URL of the attacker's: the
    # bounce server signs the victim's outlet and sends it to the attacker, who replays it
    attacker = ctx.browser()
    nonce = ctx.bounced(attacker)
    stolen = ctx.callback(nonce, uid=VICTIM, return_url="https://evil.test/collect")
    attacker.get(callback_path(stolen))
    return attacker, VICTIM


def from_another_address(ctx: Ctx) -> tuple[Browser, str]:
    # A genuine callback with the right cookie, from an address the nonce was not issued to
    first = ctx.browser()
    params = ctx.callback(ctx.bounced(first), uid=EVIL)
    elsewhere = ctx.browser(ELSEWHERE_IN_RANGE)
    elsewhere.cookie = first.cookie
    elsewhere.get(callback_path(params))
    return elsewhere, EVIL


def at_another_host(ctx: Ctx) -> tuple[Browser, str]:
    # The nonce was issued for http://portal.test/identify/callback; the callback arrives
    # at another host name of the app
    victim = ctx.browser()
    params = ctx.callback(ctx.bounced(victim), uid=EVIL)
    victim.get(callback_path(params), headers={"host": "other.test"})
    return victim, EVIL


ATTACKS: dict[str, Attack] = {
    "forged signature": forged_signature,
    "signed with another secret": signed_with_another_secret,
    "edited uid": edited_uid,
    "edited nonce": edited_nonce,
    "edited status (not found -> ok)": genuine_not_found_edited_to_ok,
    "edited expiry": extended_expiry,
    "expiry in other digits": respelled("expires", lambda v: v.translate(_ARABIC_INDIC)),
    "expiry with a leading zero": respelled("expires", lambda v: "0" + v),
    "expiry with a trailing newline": respelled("expires", lambda v: v + "\n"),
    "signature in upper case": respelled("sig", str.upper),
    "signature with a trailing newline": respelled("sig", lambda v: v + "\n"),
    "status in upper case": respelled("status", str.upper),
    "uid with surrounding space": respelled("uid", lambda v: f" {v} "),
    "duplicated uid": duplicated_uid,
    "missing signature": missing_signature,
    "expired": expired,
    "after the pre-identification expired": arrives_after_the_pre_identification_expired,
    "replayed into a fresh visit": replayed_into_a_fresh_visit,
    "replayed with the earlier cookie": replayed_with_the_earlier_cookie,
    "started in another browser": started_in_another_browser,
    "without any session": without_any_session,
    "unknown nonce": unknown_nonce,
    "posted instead of redirected": posted_instead_of_redirected,
    "sent to another return URL and replayed": sent_to_another_return_url,
    "from another address": from_another_address,
    "at another host": at_another_host,
}
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def ctx() -> Iterator[Ctx]:
    clock = FixedClock()
    world = build_world(clock=clock)
    with installed(world), Client(app) as client:
        yield Ctx(client, world, clock)


def bound_outlets(ctx: Ctx, browser: Browser) -> list[str]:
    """The outlets this browser's session leads the city network to be asked about."""
    before = len(ctx.world.city_network.accesses)
    page = browser.get("/offers").body.decode()
    asked = ctx.world.city_network.accesses[before:]
    return asked if "Vi har identifierat ditt uttag" in page else []


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_attack_never_binds_the_visitor_to_the_outlet(ctx: Ctx, attack: Attack) -> None:
    victim, outlet = attack(ctx)
    assert bound_outlets(ctx, victim) == []
    assert outlet not in ctx.world.city_network.accesses


def test_the_genuine_callback_binds_so_the_table_means_something(ctx: Ctx) -> None:
    browser = ctx.browser()
    browser.get(callback_path(ctx.callback(ctx.bounced(browser), uid=EVIL)))
    assert bound_outlets(ctx, browser) == [EVIL]
