"""Scenario 1 through the review-and-confirm step in headless Chromium, in Swedish and in
English (issue 12, items 3 and 4): the order button's words, the consents unticked, a
missing acceptance of the terms stopping the order, "edit" keeping the answers, and an
early start refused moving the start to the 15th day."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.clock import SystemClock, today_in_sweden
from chalicelib.domain.withdrawal_period import first_day_after_withdrawal_period
from tests.e2e.customer_steps import (
    CONFIRM_BUTTON,
    api_calls,
    arrive_as,
    confirm,
    fill_customer,
    order_id_of,
    provider_order,
    provider_orders,
    see,
    shoot,
    submit,
)
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.e2e

OFFER = "demo-tl-internet-100"
EDIT_BUTTON = "button[name='step'][value='edit']"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe is injected, so the pages' CSP is bypassed (as test_accessibility.py does)
    context = browser.new_context(locale="sv-SE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def fresh_emulator(local_stack: Any) -> None:
    local_stack.emulator.reset()


def day_15() -> str:
    return first_day_after_withdrawal_period(today_in_sweden(SystemClock())).isoformat()


def test_scenario_1_through_the_review_in_swedish(local_stack: Any, page: Any):
    # Given a visitor behind DEMO-OK-1 who fills in the internet offer's form
    arrive_as(page, local_stack.app_url, "127.0.0.2", "review-sv")
    page.click(f"a[href='/order/{OFFER}']")
    fill_customer(page)
    page.check("[name='router'][value='own']")
    before = len(provider_orders(local_stack.app_url, local_stack.api_key))

    # When they send it, they see the review, and nothing is stored yet
    submit(page)
    see(page, "h1:has-text('Granska din beställning')")
    button = page.locator(CONFIRM_BUTTON)
    assert button.inner_text().strip() == "Beställ med betalningsskyldighet"
    assert page.locator(EDIT_BUTTON).inner_text().strip() == "Ändra"
    assert not page.is_checked("[name='accept_terms']")
    assert not page.is_checked("[name='early_start']")
    see(page, "text=Avtalet ingås med tjänsteleverantören Demo TL")
    see(page, "dd:has-text('Stadsnätsfabriken AB')")
    see(page, "text=uppsägningstid 1 mån")
    see(page, "a[href='/withdrawal-form?offer=demo-tl-internet-100']")
    see(page, "a[href='/offers/demo-tl-internet-100/summary']")
    see(page, f"text=startar den tidigast {day_15()}")
    shoot(page, "review-sv-1-review")
    assert serious_violations(page) == []
    assert len(provider_orders(local_stack.app_url, local_stack.api_key)) == before

    # When they press the order button without accepting the terms
    page.click(CONFIRM_BUTTON)

    # Then the order is not placed and the page says why, next to the box
    see(page, "#f-accept_terms-error")
    assert "Du måste godkänna tjänsteleverantörens villkor" in page.inner_text(
        "#f-accept_terms-error"
    )
    see(page, ".error-summary a[href='#f-accept_terms']")
    shoot(page, "review-sv-2-terms-missing")
    assert serious_violations(page) == []
    assert len(provider_orders(local_stack.app_url, local_stack.api_key)) == before
    assert api_calls(local_stack.emulator, "service_order") == []

    # When they go back to edit, every answer is still there
    page.click(EDIT_BUTTON)
    see(page, "button[type='submit'][value='review']")
    assert page.input_value("[name='first_name']") == "Anna"
    assert page.input_value("[name='personal_number']") == "19811218-9876"
    assert page.input_value("[name='street_address']") == "Storgatan 1"
    assert page.is_checked("[name='router'][value='own']")
    page.fill("[name='first_name']", "Annika")

    # When they send it again, accept the terms but do not ask for an early start
    submit(page)
    see(page, "dd:has-text('Annika Svensson')")
    confirm(page, early_start=False)

    # Then the order is placed, to start on the 15th day: on the receipt and stored
    page.wait_for_url(re.compile(r".*/orders/ord_.*\?t=.*"))
    see(page, f"dd:has-text('{day_15()}')")
    shoot(page, "review-sv-3-receipt")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["requested_date"] == day_15()
    assert order["customer"]["first_name"] == "Annika"
    assert order["details"]["router"] == "own"
    agreement = order["agreement"]
    assert agreement["language"] == "sv"
    assert agreement["early_start_requested"] is False
    assert agreement["early_start_requested_at"] is None
    assert agreement["terms_accepted_at"]
    assert re.fullmatch(r"[0-9a-f]{64}", agreement["review_text_sha256"])
    assert agreement["price"]["monthly_price_sek"] == 299
    [ordered] = api_calls(local_stack.emulator, "service_order")
    assert day_15() in str(ordered)


def test_scenario_1_through_the_review_in_english(local_stack: Any, page: Any):
    # Given a visitor behind DEMO-OK-1 who reads the pages in English
    arrive_as(page, local_stack.app_url, "127.0.0.2", "review-en")
    page.click("a:has-text('In English')")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click(f"a[href='/order/{OFFER}']")
    fill_customer(page)

    # When they send the form
    submit(page)

    # Then the review asks in English, nothing ticked
    see(page, "h1:has-text('Review your order')")
    assert page.locator(CONFIRM_BUTTON).inner_text().strip() == "Order with obligation to pay"
    assert page.locator(EDIT_BUTTON).inner_text().strip() == "Edit"
    assert not page.is_checked("[name='accept_terms']")
    assert not page.is_checked("[name='early_start']")
    see(page, "text=I want the service to start now, during the withdrawal period")
    shoot(page, "review-en-1-review")
    assert serious_violations(page) == []

    # When they press the button without accepting the terms, it stops there
    page.click(CONFIRM_BUTTON)
    see(page, "text=You must accept the provider's terms to place the order.")

    # When they accept and ask for the service to start now
    confirm(page, early_start=True)

    # Then it is activated today, with the agreement kept in English
    page.wait_for_url(re.compile(r".*/orders/ord_.*\?t=.*"))
    see(page, "text=The service is activated today")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["requested_date"] is None
    assert order["activation"]["state"] == "activated"
    agreement = order["agreement"]
    assert agreement["language"] == "en"
    assert agreement["early_start_requested"] is True
    assert agreement["early_start_requested_at"] == agreement["terms_accepted_at"]
    assert len(api_calls(local_stack.emulator, "service_order")) == 1
