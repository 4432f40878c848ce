"""The address search in headless Chromium against the running local stack: a visitor the
ON-API network did not identify finds their address, orders at an outlet another provider
holds (taking it over), the order waits for the provider, and the provider's request for
activation reaches the ON-API emulator with `forcedTakeover: true`
(docs/architecture.md, "Address search")."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.e2e.customer_steps import (
    CONFIRM_BUTTON,
    confirm,
    fill_customer,
    order_id_of,
    provider_order,
    see,
    shoot,
    submit,
)
from tests.e2e.test_accessibility import serious_violations

pytestmark = pytest.mark.e2e

OFFER = "demo-tl-onapi-internet-100"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # axe is injected into the pages, whose CSP rightly forbids that (test_accessibility.py).
    context = browser.new_context(locale="sv-SE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def onapi_posts(local_stack: Any, access_id: str) -> list[dict[str, Any]]:
    calls = requests.get(f"{local_stack.info['onapi_emulator']}/_emulator/calls", timeout=5)
    return [
        c
        for c in calls.json()
        if c.get("method") == "POST" and (c.get("request") or {}).get("accessId") == access_id
    ]


def search(page: Any, app_url: str, typed: str) -> None:
    """The search page for `typed`; the stack's sync fills the directory seconds after start."""
    url = f"{app_url}/address?city_network=demo-onapi&q={quote(typed)}"
    deadline = time.monotonic() + 20
    while True:
        page.goto(url)
        if page.locator("a[href^='/address/offers?choice=']").count():
            return
        assert time.monotonic() < deadline, "the access list was never synced"
        time.sleep(0.5)


def test_an_occupied_outlet_found_by_address_is_taken_over_with_consent(
    local_stack: Any, page: Any
):
    found: dict[str, list[dict[str, Any]]] = {}
    before = len(onapi_posts(local_stack, "DEMO-ONAPI-TAKEN"))

    # Given a visitor who searches for their address
    search(page, local_stack.app_url, "Storgatan 5")
    see(page, "a:has-text('Storgatan 5, 123 45 Demostad')")
    shoot(page, "address-1-results")
    found["address results"] = serious_violations(page)

    # When they choose it, they see what can be delivered there
    page.click("a:has-text('Storgatan 5, 123 45 Demostad')")
    see(page, "h1:has-text('Tjänster på Storgatan 5')")
    see(page, "text=du kan ta över det om du flyttar in")
    shoot(page, "address-2-offers")
    found["offers at the address"] = serious_violations(page)

    # And the order form asks whether they take over the outlet
    page.click(f"a[href^='/address/order/{OFFER}?']")
    see(page, "legend:has-text('Överta uttaget')")
    found["form at the address"] = serious_violations(page)

    # Without consenting, the order is refused and they are told why
    fill_customer(page)
    submit(page)
    see(page, "text=Om du flyttar in kan du ta över uttaget")
    shoot(page, "address-3-without-consent")
    assert len(onapi_posts(local_stack, "DEMO-ONAPI-TAKEN")) == before

    # With the consent, the order is received and waits for the provider
    page.go_back()
    page.wait_for_selector("[name='forced_takeover']")
    fill_customer(page)
    page.check("[name='forced_takeover']")
    submit(page)
    # The review shows the address and the takeover, and the order waits for the confirm
    see(page, CONFIRM_BUTTON)
    see(page, "dd:has-text('Ja, jag flyttar in och tar över uttaget')")
    see(page, "dd:has-text('Storgatan 5')")
    found["review at the address"] = serious_violations(page)
    confirm(page)
    page.wait_for_url(re.compile(r".*/orders/ord_.*\?t=.*"))
    see(page, "text=Tjänsteleverantören kontrollerar den")
    shoot(page, "address-4-receipt")
    found["receipt (awaiting the provider)"] = serious_violations(page)
    order_id = order_id_of(page)
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id)
    assert order["identified_by"] == "address"
    assert order["access_id"] == "DEMO-ONAPI-TAKEN"
    assert order["activation"]["state"] == "awaiting_provider"
    assert order["forced_takeover"] is True
    assert len(onapi_posts(local_stack, "DEMO-ONAPI-TAKEN")) == before
    assert {name: v for name, v in found.items() if v} == {}

    # When the provider asks for the activation, the network takes it over
    reply = requests.post(
        f"{local_stack.app_url}/tl/v1/orders/{order_id}/activation",
        headers={"x-api-key": local_stack.api_key, "content-type": "application/json"},
        json={},
        timeout=10,
    )
    assert reply.status_code == 202, reply.text
    deadline = time.monotonic() + 30
    while (
        provider_order(local_stack.app_url, local_stack.api_key, order_id)["activation"]["state"]
        != "activated"
    ):
        assert time.monotonic() < deadline, "the order was never activated"
        time.sleep(0.5)
    [post] = onapi_posts(local_stack, "DEMO-ONAPI-TAKEN")[before:]
    assert post["request"]["forcedTakeover"] is True


def test_the_stack_syncs_the_access_list_and_then_asks_if_modified_since(local_stack: Any):
    assert "sync_city_network_accesses" in local_stack.info["scheduled_handlers"]
    calls_url = f"{local_stack.info['onapi_emulator']}/_emulator/calls"

    def unchanged_reads() -> list[dict[str, Any]]:
        calls = requests.get(calls_url, timeout=5).json()
        return [
            c
            for c in calls
            if c.get("path", "").endswith("/accesses/")
            and c.get("if_modified_since")
            and c["status"] == 304
        ]

    deadline = time.monotonic() + 15
    while not unchanged_reads():
        assert time.monotonic() < deadline, "no If-Modified-Since read of the access list"
        time.sleep(0.5)
