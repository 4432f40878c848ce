"""The four scenarios in headless Chromium against the running local stack, through the demo
bounce server's chooser page (docs/architecture.md, "The four scenarios" and "Local stack")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.customer_steps import (
    api_calls,
    arrive_as,
    fill_customer,
    not_ordering_from_home,
    order_id_of,
    provider_order,
    provider_orders,
    review_and_order,
    see,
    shoot,
    submit,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def fresh_emulator(local_stack: Any) -> None:
    local_stack.emulator.reset()


def test_scenario_1_identified_deliverable_activated(local_stack: Any, page: Any):
    # Given a visitor behind DEMO-OK-1
    arrive_as(page, local_stack.app_url, "127.0.0.2", "s1")
    see(page, "text=Vi har identifierat ditt uttag")
    see(page, "text=Uttaget är öppet")  # the port's message
    see(page, "text=299 kr/mån")
    page.reload()  # a reload reads the session, not the city network

    # When they choose the internet offer and first make a mistake
    page.click("a[href='/order/demo-tl-internet-100']")
    see(page, "legend:has-text('Tillval från Demo TL')")
    shoot(page, "s1-3-form")
    fill_customer(page, email="anna.example.se")
    submit(page)

    # Then the error is summarised at the top, linked to the field, with values kept
    summary = page.locator(".error-summary[role='alert']")
    assert summary.is_visible()
    assert summary.locator("a[href='#f-email']").count() == 1
    assert page.input_value("[name='street_address']") == "Storgatan 1"
    shoot(page, "s1-4-form-error")

    # When they correct it, review the order and confirm it
    page.fill("[name='email']", "anna.svensson@example.se")
    review_and_order(page)

    # Then the receipt says the service is active, and the provider has the order
    page.wait_for_url(re.compile(r".*/orders/ord_.*\?t=.*"))
    see(page, "text=Tjänsten är aktiverad i dag")
    assert "9876" not in page.content()
    shoot(page, "s1-5-receipt")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["activation"]["state"] == "activated"
    assert order["access_id"] == "DEMO-OK-1"
    emulator = local_stack.emulator
    assert len(api_calls(emulator, "port_status")) == 1
    assert len(api_calls(emulator, "service_deliverable")) == 1
    assert len(api_calls(emulator, "service_order")) == 1


def test_scenario_2_identified_deliverable_refused(local_stack: Any, page: Any):
    # Given a visitor behind DEMO-REFUSE-1, whose first activation of a service is refused
    arrive_as(page, local_stack.app_url, "127.0.0.3", "s2")

    # When they order telephony
    page.click("a[href='/order/demo-tl-telefoni']")
    shoot(page, "s2-3-form")
    fill_customer(page, first_name="Bertil", last_name="Berg")
    review_and_order(page)

    # Then the order is kept and the receipt says honestly that it cannot be activated yet
    page.wait_for_url(re.compile(r".*/orders/ord_.*"))
    see(page, "text=kan inte aktiveras just nu")
    see(page, "text=Tjänsteleverantören kontaktar dig")
    shoot(page, "s2-4-receipt")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["activation"]["state"] == "refused"
    assert order["activation"]["reason"]["message"]


def test_scenario_3_identified_not_deliverable_stores_nothing(local_stack: Any, page: Any):
    before = len(provider_orders(local_stack.app_url, local_stack.api_key))
    # Given a visitor behind DEMO-NONE-1, where nothing can be delivered
    arrive_as(page, local_stack.app_url, "127.0.0.4", "s3")

    # When they choose an offer
    page.click("a[href='/order/demo-tl-internet-100']")

    # Then they are told why in plain Swedish, before any form
    see(page, "h1:has-text('Tjänsten kan inte levereras')")
    see(page, "text=uppgraderas")
    assert page.locator("form").count() == 0
    shoot(page, "s3-3-not-deliverable")
    page.click("a:has-text('Tillbaka till tjänsterna')")
    page.click("a[href='/order/demo-tl-tv-bas']")
    see(page, "text=bostadsrättsföreningens medlemmar")  # the network's own words

    # And nothing is stored, nothing is ordered
    assert len(provider_orders(local_stack.app_url, local_stack.api_key)) == before
    assert api_calls(local_stack.emulator, "service_order") == []
    assert len(api_calls(local_stack.emulator, "service_deliverable")) == 2


def test_scenario_4_not_identified_makes_no_city_network_call(local_stack: Any, page: Any):
    # Given a visitor who is not a city-network customer
    arrive_as(page, local_stack.app_url, "127.0.0.5", "s4")
    see(page, "text=hanterar beställningen manuellt")

    # When they order TV with a typed-in address
    page.click("a[href='/order/demo-tl-tv-bas']")
    shoot(page, "s4-3-form")
    fill_customer(page, first_name="Cecilia", apartment_number="1102")
    page.fill("[name='set_top_boxes']", "2")
    review_and_order(page)

    # Then the order is stored for manual handling, and the city network never heard of it
    page.wait_for_url(re.compile(r".*/orders/ord_.*"))
    see(page, "text=Tjänsteleverantören hanterar den")
    shoot(page, "s4-4-receipt")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["activation"]["state"] == "manual"
    assert order["identified"] is False
    assert api_calls(local_stack.emulator) == []


def test_identified_visitor_can_order_as_not_from_home(local_stack: Any, page: Any):
    arrive_as(page, local_stack.app_url, "127.0.0.2", "s4b")
    calls_when_identified = len(api_calls(local_stack.emulator))

    not_ordering_from_home(page)

    see(page, "text=hanterar beställningen manuellt")
    page.click("a[href='/order/demo-tl-telefoni']")
    see(page, "text=hanterar beställningen manuellt")
    shoot(page, "s4b-3-form-not-from-home")
    assert len(api_calls(local_stack.emulator)) == calls_when_identified


def test_the_pages_switch_to_english(local_stack: Any, page: Any):
    arrive_as(page, local_stack.app_url, "127.0.0.5", "en")
    page.click("a:has-text('In English')")
    assert page.locator("html").get_attribute("lang") == "en"
    see(page, "text=handles the order manually")
    page.click("a[href='/order/demo-tl-internet-100']")
    see(page, "button:has-text('Continue to review')")
    shoot(page, "en-3-form")


def test_double_submission_creates_one_order(local_stack: Any, page: Any):
    arrive_as(page, local_stack.app_url, "127.0.0.5", "dbl")
    page.click("a[href='/order/demo-tl-internet-100']")
    fill_customer(page, first_name="Dubbel")
    submit(page)
    page.check("[name='accept_terms']")
    before = len(provider_orders(local_stack.app_url, local_stack.api_key))
    # The review's confirm, as the form would send it, twice
    body = page.evaluate(
        "() => { const f = new FormData(document.querySelector('form'));"
        " f.append('step', 'confirm');"
        " return new URLSearchParams(f).toString(); }"
    )
    action = local_stack.app_url + "/order/demo-tl-internet-100"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    first = page.request.post(action, data=body, headers=headers, max_redirects=0)
    second = page.request.post(action, data=body, headers=headers, max_redirects=0)
    assert first.status == second.status == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(provider_orders(local_stack.app_url, local_stack.api_key)) == before + 1
