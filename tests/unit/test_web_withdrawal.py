"""The order page (tracking) and the withdrawal through the customer web: the timeline, the
confirmation step, CSRF, the receipt token, and the refusals that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.models import (
    ActivationState,
    DeactivationState,
    LegalIdentity,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Provider,
)
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.provider_orders import add_message, change_status
from chalicelib.web.session import receipt_token, receipt_token_hash
from chalicelib.web.timeline import timeline
from tests.fakes import ACCESS_ID, NETWORK_ID, PROVIDER_ID, FixedClock, a_customer
from tests.unit.web_fakes import Browser, World, build_world, hidden, installed, location

ACCESS = Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))


@pytest.fixture
def world(clock: FixedClock) -> Iterator[World]:
    with installed(build_world(clock=clock)) as world:
        yield world


@pytest.fixture
def browser(world: World) -> Iterator[Browser]:
    with Client(app) as client:
        yield Browser(client)


def an_order(world: World, access: Access | None = ACCESS) -> tuple[str, str]:
    """(order id, its page's path) for an order placed through the domain."""
    key = world.adapters.signing_key
    order = place_order(
        OrderRequest(offer_id="tl-internet-100", customer=a_customer()),
        access,
        world.adapters,
        order_id=None,
    )
    token = receipt_token(key, order.id)
    stored = world.adapters.orders.get(order.id)
    with_token = stored.next_version(receipt_token_hash=receipt_token_hash(token))
    world.adapters.orders.replace(with_token, expected_version=stored.version, events=[])
    return order.id, f"/orders/{order.id}?t={token}"


def confirm(browser: Browser, page: str) -> tuple[str, str]:
    """Open the confirmation step; (its form's action, its CSRF token)."""
    response = browser.get(page.replace("?t=", "/withdraw?t="))
    assert response.status_code == 200, response.body
    text = response.body.decode()
    return page.replace("?t=", "/withdraw?t="), hidden(text, "csrf_token")


# --- the order page ----------------------------------------------------------------------


def test_the_order_page_shows_the_timeline_and_the_withdrawal_section(world, browser, clock):
    order_id, page = an_order(world)
    clock.advance(hours=2)
    change_status(
        order_id, PROVIDER_ID, OrderStatus.IN_PROGRESS, "intern: kolla CPE", world.adapters
    )
    add_message(order_id, PROVIDER_ID, "log", "ring kunden 0701234567", world.adapters)
    text = browser.get(page).body.decode()
    assert "Din beställning" in text
    assert "Tjänsten är aktiverad i dag" in text  # the outcome notice stays
    assert "Vi tog emot din beställning." in text
    assert "Tjänsten är aktiverad från och med 2026-11-26." in text
    assert "Tjänsteleverantören arbetar med beställningen." in text
    assert "2026-11-26 11:00" in text  # Swedish time
    # Never the provider's own texts, call details or personal numbers
    for internal in ("kolla CPE", "0701234567", "service_order", "199001011239"):
        assert internal not in text
    assert "Ångra köpet" in text
    assert "till och med 2026-12-10" in text
    assert f"/orders/{order_id}/withdraw?t=" in text


def test_after_14_days_the_page_says_how_to_end_the_contract(world, browser, clock):
    world.adapters.catalog.put_provider(
        Provider(
            id=PROVIDER_ID,
            name="Test TL",
            legal_identity=LegalIdentity(
                company_name="Test TL AB",
                organisation_number="556000-0001",
                address="Storgatan 1, 111 22 Stockholm",
                email="kundtjanst@test-tl.se",
                phone="+46 8 123 45",
            ),
        )
    )
    _, page = an_order(world)
    clock.advance(days=15)
    text = browser.get(page).body.decode()
    assert "Ångra köpet" not in text
    assert "Ångerfristen på 14 dagar gick ut 2026-12-10" in text
    assert "kundtjanst@test-tl.se" in text and "Test TL AB" in text


def test_the_page_needs_its_token(world, browser):
    order_id, _ = an_order(world)
    assert browser.get(f"/orders/{order_id}").status_code == 404
    assert browser.get(f"/orders/{order_id}?t=wrong").status_code == 404
    assert browser.get(f"/orders/{order_id}/withdraw?t=wrong").status_code == 404


# --- withdrawing -------------------------------------------------------------------------


def test_withdrawing_through_the_confirmation_step(world, browser, clock):
    order_id, page = an_order(world)
    clock.advance(days=3)
    confirmation = browser.get(page.replace("?t=", "/withdraw?t=")).body.decode()
    assert "Om du ångrar köpet avbryts beställningen." in confirmation
    assert order_id in confirmation and "Bredband 100/100" in confirmation
    action, csrf = confirm(browser, page)
    response = browser.post_form(action, {"csrf_token": csrf, "reason": "Flyttar"})
    assert response.status_code == 303
    assert location(response) == page
    order = world.adapters.orders.get(order_id)
    assert order.status == OrderStatus.CANCELLED
    assert order.withdrawal is not None and order.withdrawal.reason == "Flyttar"
    assert order.deactivation is not None
    assert order.deactivation.state == DeactivationState.PENDING
    text = browser.get(page).body.decode()
    assert "Du ångrade beställningen. Den är avbruten." in text
    assert "Vi ber stadsnätet att stänga av tjänsten." in text
    assert "Du ångrade beställningen 2026-11-29." in text
    assert "Ångra köpet</a>" not in text


def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(world, browser):
    order_id, page = an_order(world)
    action, _ = confirm(browser, page)
    assert browser.post_form(action, {"csrf_token": "forged"}).status_code == 403
    assert browser.post_form(action, {}).status_code == 403
    assert Browser(browser.client).post_form(action, {"csrf_token": "x"}).status_code == 403
    assert world.adapters.orders.get(order_id).withdrawal is None


def test_a_post_with_a_wrong_token_is_404(world, browser):
    order_id, page = an_order(world)
    _, csrf = confirm(browser, page)
    other_id, _ = an_order(world)
    wrong = receipt_token(world.adapters.signing_key, other_id)
    response = browser.post_form(f"/orders/{order_id}/withdraw?t={wrong}", {"csrf_token": csrf})
    assert response.status_code == 404
    missing = browser.post_form(f"/orders/{order_id}/withdraw", {"csrf_token": csrf})
    assert missing.status_code == 404
    assert world.adapters.orders.get(order_id).withdrawal is None


def test_a_second_withdrawal_says_why_and_changes_nothing(world, browser):
    order_id, page = an_order(world)
    action, csrf = confirm(browser, page)
    assert browser.post_form(action, {"csrf_token": csrf}).status_code == 303
    first = world.adapters.orders.get(order_id)
    again = browser.post_form(action, {"csrf_token": csrf})
    assert again.status_code == 409
    assert "Du har redan ångrat den här beställningen." in again.body.decode()
    assert world.adapters.orders.get(order_id) == first
    step = browser.get(page.replace("?t=", "/withdraw?t="))
    assert step.status_code == 409


def test_a_withdrawal_on_day_15_is_refused(world, browser, clock):
    order_id, page = an_order(world)
    clock.advance(days=15)
    step = browser.get(page.replace("?t=", "/withdraw?t="))
    assert step.status_code == 409
    assert "Ångerfristen har gått ut." in step.body.decode()
    # A form kept open (with a fresh session's token) is refused the same way
    _, fresh_page = an_order(world)
    _, csrf = confirm(browser, fresh_page)
    response = browser.post_form(page.replace("?t=", "/withdraw?t="), {"csrf_token": csrf})
    assert response.status_code == 409
    assert "Ångerfristen har gått ut." in response.body.decode()
    assert world.adapters.orders.get(order_id).withdrawal is None


def test_an_order_the_provider_cancelled_cannot_be_withdrawn(world, browser):
    order_id, page = an_order(world)
    action, csrf = confirm(browser, page)
    change_status(order_id, PROVIDER_ID, OrderStatus.CANCELLED, None, world.adapters)
    response = browser.post_form(action, {"csrf_token": csrf})
    assert response.status_code == 409
    assert "Tjänsteleverantören har avbrutit den här beställningen" in response.body.decode()
    assert "Tjänsteleverantören avbröt beställningen." in browser.get(page).body.decode()


def test_the_order_page_in_english(world, browser):
    _, page = an_order(world, access=None)
    text = browser.get(page + "&lang=en").body.decode()
    assert "We received your order." in text
    assert "The service provider handles the order and will contact you." in text
    assert "Withdraw from the purchase" in text


# --- the timeline (pure) -----------------------------------------------------------------


def event(kind: OrderEventKind, **fields: object) -> OrderEvent:
    return OrderEvent.model_validate(
        {
            "id": "evt_01J00000000000000000000000",
            "order_id": "ord_01J00000000000000000000000",
            "provider_id": PROVIDER_ID,
            "kind": kind,
            "at": datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
            "actor": "worker",
            **fields,
        }
    )


def test_the_timeline_tells_the_activation_outcomes():
    entries = timeline(
        [
            event(OrderEventKind.ORDER_CREATED, activation_state=ActivationState.PENDING),
            event(OrderEventKind.CITY_NETWORK_CALL, call={"method": "service_order",
                  "outcome": "refused", "code": "428", "message": "CPE", "duration_ms": 3}),
            event(OrderEventKind.ACTIVATION_CHANGED, activation_state=ActivationState.REFUSED,
                  text="CPE must be configured"),
            event(OrderEventKind.ACTIVATION_REQUESTED, actor="provider:test-tl"),
            event(OrderEventKind.ACTIVATION_CHANGED, activation_state=ActivationState.PENDING),
            event(OrderEventKind.ACTIVATION_CHANGED, activation_state=ActivationState.FAILED),
            event(OrderEventKind.MESSAGE, message_type="log", text="internal"),
        ]
    )  # fmt: skip
    assert [e.text for e in entries] == [
        "We received your order.",
        "The city network could not activate the service right now. The service provider "
        "will contact you.",
        "The activation of the service has started.",
        "The activation could not be completed. The service provider will contact you.",
    ]
    assert entries[0].when == "2026-11-26 11:00"


def test_the_timeline_tells_the_provider_statuses_but_not_their_notes():
    entries = timeline(
        [
            event(OrderEventKind.STATUS_CHANGED, actor="provider:test-tl",
                  status_from=OrderStatus(s_from), status_to=OrderStatus(s_to), text="note")
            for s_from, s_to in [("new", "received"), ("received", "waiting"),
                                 ("waiting", "delivered")]
        ]
    )  # fmt: skip
    assert [e.text for e in entries] == [
        "The service provider has received the order.",
        "The service provider is waiting for something before going on.",
        "The service provider reports the order as delivered.",
    ]
    assert all(e.values == {} for e in entries)


def test_the_timeline_of_a_scheduled_activation_names_its_date(world: World):
    world.city_network.order_replies = []
    order_id, _ = an_order(world)
    stored = world.adapters.orders.get(order_id)
    scheduled = stored.next_version(
        activation=stored.activation.model_copy(
            update={"state": ActivationState.SCHEDULED, "date": date(2026, 12, 24)}
        ).model_dump()
    )
    entries = timeline(
        [event(OrderEventKind.ACTIVATION_CHANGED, activation_state=ActivationState.SCHEDULED,
               order_snapshot=scheduled)]
    )  # fmt: skip
    assert entries[0].text == "The service will be activated on %(date)s."
    assert entries[0].values == {"date": "2026-12-24"}
