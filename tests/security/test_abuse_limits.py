"""Abuse of the order form: client-chosen submission ids, and floods of orders on one outlet
or from one address (issue 11, item 3).

A submission id is the server's, signed and single use: a POST with an id we did not issue
(or one issued for another offer, or spent) stores nothing and asks the city network
nothing. Orders per outlet and per source address are limited per hour; the order over the
limit is a 429 page in Swedish, stored nowhere and never sent to the city network.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.settings import Settings
from tests.fakes import FixedClock
from tests.unit.test_web_ordering import OFFER, open_form
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    identified_browser,
    installed,
    location,
    review_and_confirm,
    reviewed,
    valid_answers,
)

# The defaults of ORDERS_PER_ACCESS_PER_HOUR and ORDERS_PER_ADDRESS_PER_HOUR.
ORDERS_PER_ACCESS = 5
ORDERS_PER_ADDRESS = 10


@dataclass
class Ctx:
    client: Client
    world: World
    clock: FixedClock

    def orders(self) -> int:
        return len(self.world.orders)

    def service_orders(self) -> int:
        return self.world.city_network.count("service_order")


@pytest.fixture
def ctx() -> Iterator[Ctx]:
    clock = FixedClock()
    world = build_world(clock=clock)
    with installed(world), Client(app) as client:
        yield Ctx(client, world, clock)


def order(browser: Browser, offer: str = OFFER) -> Any:
    """Render the form, send it and confirm the review, as a browser does."""
    fields = {**valid_answers(), **open_form(browser, offer)}
    return review_and_confirm(browser, f"/order/{offer}", fields)


# --- (a) the submission id is the server's -----------------------------------------------


def test_one_form_sent_thirty_times_with_chosen_ids_orders_nothing(ctx: Ctx) -> None:
    # Given an identified visitor who rendered the form once
    browser = identified_browser(ctx.client, ctx.world)
    tokens = open_form(browser)
    ctx.world.city_network.calls.clear()
    # When the same CSRF token is posted 30 times with submission ids of its own choosing
    statuses = [
        browser.post_form(
            f"/order/{OFFER}",
            {**valid_answers(), **tokens, "submission_id": secrets.token_urlsafe(24)},
        ).status_code
        for _ in range(30)
    ]
    # Then every one is refused with a page saying so, and nothing reaches the city network
    assert set(statuses) == {400}
    assert "Formuläret kan inte användas" in browser.text()
    assert ctx.orders() == 0
    assert ctx.world.city_network.total_calls == 0


@pytest.mark.parametrize(
    "forge",
    [
        lambda issued: issued[:-1] + ("A" if issued[-1] != "A" else "B"),
        lambda issued: issued.split(".")[0],
        lambda issued: issued.replace(".", ".9", 1),
        lambda issued: "",
        lambda issued: "å" * 40,
    ],
    ids=["signature edited", "id without signature", "expiry edited", "empty", "non-ASCII"],
)
def test_an_edited_submission_id_is_refused(ctx: Ctx, forge) -> None:
    browser = Browser(ctx.client, OUT_OF_RANGE)
    tokens = open_form(browser)
    fields = {**valid_answers(), **tokens, "submission_id": forge(tokens["submission_id"])}
    assert browser.post_form(f"/order/{OFFER}", fields).status_code == 400
    assert ctx.orders() == 0


def test_a_submission_id_of_another_offer_is_refused(ctx: Ctx) -> None:
    browser = identified_browser(ctx.client, ctx.world)
    tokens = open_form(browser, "tl-tv")
    response = browser.post_form(f"/order/{OFFER}", {**valid_answers(), **tokens})
    assert response.status_code == 400
    assert ctx.orders() == 0 and ctx.service_orders() == 0


def test_a_submission_id_of_another_session_is_refused(ctx: Ctx) -> None:
    # The other session's id with this session's CSRF token
    alice, mallory = Browser(ctx.client, OUT_OF_RANGE), Browser(ctx.client, OUT_OF_RANGE)
    own = open_form(alice)
    stolen = open_form(mallory)
    fields = {**valid_answers(), **own, "submission_id": stolen["submission_id"]}
    assert alice.post_form(f"/order/{OFFER}", fields).status_code == 400
    assert ctx.orders() == 0


def test_a_spent_submission_id_never_orders_again(ctx: Ctx) -> None:
    # Given a form sent once
    browser = Browser(ctx.client, OUT_OF_RANGE)
    fields = dict(reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **open_form(browser)}))
    first = browser.post_form(f"/order/{OFFER}", fields)
    # When it is sent again at once, and again long after (the session long renewed)
    again = browser.post_form(f"/order/{OFFER}", fields)
    ctx.clock.advance(hours=3)
    later = Browser(ctx.client, OUT_OF_RANGE)
    late_fields = {**fields, "csrf_token": open_form(later)["csrf_token"]}
    late = later.post_form(f"/order/{OFFER}", late_fields)
    # Then the double submit shows the first order's receipt and the late one is refused
    assert first.status_code == again.status_code == 303
    assert location(first) == location(again)
    assert late.status_code == 400
    assert ctx.orders() == 1


# --- (b) orders per outlet and per address per hour ----------------------------------------


def test_orders_on_one_outlet_stop_at_the_hourly_limit(ctx: Ctx) -> None:
    # Given an identified visitor who orders as fast as the form allows
    browser = identified_browser(ctx.client, ctx.world)
    statuses = [order(browser).status_code for _ in range(ORDERS_PER_ACCESS + 3)]
    # Then the outlet gets its hourly share, and every order beyond it is a 429 in Swedish
    assert statuses == [303] * ORDERS_PER_ACCESS + [429] * 3
    assert "För många beställningar" in browser.text()
    assert ctx.orders() == ctx.service_orders() == ORDERS_PER_ACCESS


def test_the_outlet_limit_holds_across_sessions_and_lifts_after_an_hour(ctx: Ctx) -> None:
    # Given the outlet's hourly share used up in one session
    for _ in range(ORDERS_PER_ACCESS):
        order(identified_browser(ctx.client, ctx.world))
    # When another session on the same outlet orders, then again an hour later
    refused = order(identified_browser(ctx.client, ctx.world))
    ctx.clock.advance(hours=1, seconds=1)
    allowed = order(identified_browser(ctx.client, ctx.world))
    # Then the first is refused without a call and the second goes through
    assert refused.status_code == 429
    assert allowed.status_code == 303
    assert ctx.service_orders() == ORDERS_PER_ACCESS + 1


def test_orders_from_one_address_stop_at_the_hourly_limit(ctx: Ctx) -> None:
    # Given visitors at one address outside every range, each in a session of its own
    statuses = [
        order(Browser(ctx.client, OUT_OF_RANGE)).status_code for _ in range(ORDERS_PER_ADDRESS + 2)
    ]
    # Then the address gets its hourly share; another address is not affected
    assert statuses == [303] * ORDERS_PER_ADDRESS + [429] * 2
    assert order(Browser(ctx.client, "192.0.2.99")).status_code == 303
    assert ctx.orders() == ORDERS_PER_ADDRESS + 1


def test_a_double_submit_at_the_limit_still_shows_its_receipt(ctx: Ctx) -> None:
    browser = identified_browser(ctx.client, ctx.world)
    for _ in range(ORDERS_PER_ACCESS - 1):
        order(browser)
    fields = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **open_form(browser)})
    last = browser.post_form(f"/order/{OFFER}", fields)
    again = browser.post_form(f"/order/{OFFER}", fields)
    assert last.status_code == again.status_code == 303
    assert location(last) == location(again)
    assert ctx.service_orders() == ORDERS_PER_ACCESS


def test_the_limits_are_settings() -> None:
    settings = Settings.from_environment(
        {"ORDERS_PER_ACCESS_PER_HOUR": "2", "ORDERS_PER_ADDRESS_PER_HOUR": "7"}
    )
    assert (settings.orders_per_access_per_hour, settings.orders_per_address_per_hour) == (2, 7)
    assert (ORDERS_PER_ACCESS, ORDERS_PER_ADDRESS) == (5, 10)
