"""In the browser: a provider changes an offer's price through the API, and the customer
sees the new price on the next page view; an order placed before keeps the old price (and
the offer version) in its agreement, as the provider API shows it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.conftest import GUIDE_DEMO_API_KEY
from tests.e2e.customer_steps import (
    arrive_as,
    choose_city_network,
    fill_customer,
    order_id_of,
    review_and_order,
    see,
    shoot,
)

pytestmark = pytest.mark.e2e

OFFER_ID = "e2e-price-change"
CATALOG_OFFER_ID = f"{OFFER_ID}--demo-stadsnat"
NAME = "E2E Bredband 250"


def put_offer(app_url: str, price: int) -> dict[str, Any]:
    reply = requests.put(
        f"{app_url}/tl/v1/offers/{OFFER_ID}",
        headers={"x-api-key": GUIDE_DEMO_API_KEY},
        json={
            "name": NAME,
            "category": "internet",
            "city_networks": [{"city_network_id": "demo-stadsnat", "service_uid": "BB100"}],
            "monthly_price_sek": price,
            "binding_months": 0,
            "notice_months": 1,
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def price_line(page: Any) -> str:
    card = page.locator(f"article.offer:has(h3:text-is('{NAME}'))")
    return str(card.locator("p.price").inner_text())


def test_a_price_change_is_seen_on_the_next_view_and_an_earlier_order_keeps_its_price(
    local_stack: Any, page: Any
):
    app_url = local_stack.app_url
    # Given the provider's offer at 249 kr a month
    first = put_offer(app_url, 249)
    assert first["city_networks"][0]["catalog_offer_id"] == CATALOG_OFFER_ID
    try:
        # And a customer behind DEMO-OK-1 who sees it and orders it
        arrive_as(page, app_url, "127.0.0.2", "price-change")
        assert price_line(page).startswith("249 kr/mån")
        page.click(f"a[href='/order/{CATALOG_OFFER_ID}']")
        fill_customer(page)
        review_and_order(page)
        page.wait_for_url(re.compile(r".*/orders/ord_.*"))
        order_id = order_id_of(page)

        # When the provider changes the price through the API
        changed = put_offer(app_url, 199)
        assert changed["version"] == first["version"] + 1

        # Then the customer's next view of the offers shows the new price
        page.goto(app_url + "/offers")
        choose_city_network(page)
        see(page, f"article.offer:has(h3:text-is('{NAME}'))")
        shoot(page, "price-change-1-new-price")
        assert price_line(page).startswith("199 kr/mån")

        # And the order placed before keeps the old price and version in its agreement
        order = requests.get(
            f"{app_url}/tl/v1/orders/{order_id}",
            headers={"x-api-key": GUIDE_DEMO_API_KEY},
            timeout=10,
        ).json()
        assert order["agreement"]["price"]["monthly_price_sek"] == 249
        assert order["agreement"]["offer_version"] == first["version"]
    finally:
        # Leave the stack's catalog as the other browser tests expect it.
        requests.delete(
            f"{app_url}/tl/v1/offers/{OFFER_ID}",
            headers={"x-api-key": GUIDE_DEMO_API_KEY},
            timeout=10,
        )
