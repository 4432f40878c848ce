"""Steps a customer takes in the browser, shared by the journey and accessibility tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "e2e"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CUSTOMER = {
    "first_name": "Anna",
    "last_name": "Svensson",
    "personal_number": "19811218-9876",
    "email": "anna.svensson@example.se",
    "phone": "070-123 45 67",
    "street_address": "Storgatan 1",
    "postal_code": "123 45",
    "city": "Storstad",
}


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def arrive_as(page: Any, app_url: str, address: str, shot: str) -> None:
    """Open the portal and pick `address` on the demo bounce server's chooser page."""
    page.goto(app_url + "/")
    page.wait_for_selector("text=Välj vilket uttag")
    shoot(page, f"{shot}-1-bounce-chooser")
    page.click(f"a:has-text('{address}:')")
    page.wait_for_url(re.compile(r".*/offers.*"))
    choose_city_network(page)
    shoot(page, f"{shot}-2-offers")


def choose_city_network(page: Any, name: str = "Demo Stadsnät") -> None:
    """An unidentified visitor picks the city network when the stack has several (the
    local stack has a Direct Activation and an ON-API network)."""
    if page.locator("h1:has-text('Välj ditt stadsnät')").count():
        page.click(f"a:has-text('{name}')")
        page.wait_for_url(re.compile(r".*/offers\?city_network=.*"))


def not_ordering_from_home(page: Any) -> None:
    """Press "Jag beställer inte hemifrån" (a button: it posts, with the page's CSRF token)."""
    page.click("button:has-text('Jag beställer inte hemifrån')")
    page.wait_for_url(re.compile(r".*/offers.*"))
    choose_city_network(page)


def see(page: Any, selector: str) -> None:
    """Wait until `selector` is visible (fails after the page's default timeout)."""
    page.wait_for_selector(selector, state="visible")


def fill_customer(page: Any, **overrides: str) -> None:
    for name, value in {**CUSTOMER, **overrides}.items():
        page.fill(f"[name='{name}']", value)


def submit(page: Any) -> None:
    """Send the order form (to the review step, or back with its errors)."""
    page.click("button[type='submit'][value='review']")
    page.wait_for_load_state()


CONFIRM_BUTTON = "button[name='step'][value='confirm']"


def confirm(page: Any, *, accept_terms: bool = True, early_start: bool = True) -> None:
    """On the review page: tick the consents as asked and press the order button."""
    see(page, CONFIRM_BUTTON)
    if accept_terms:
        page.check("[name='accept_terms']")
    if early_start and page.locator("[name='early_start']").count():
        page.check("[name='early_start']")
    page.click(CONFIRM_BUTTON)
    page.wait_for_load_state()


def review_and_order(page: Any, **consents: bool) -> None:
    """Send the form, then confirm the review (the terms accepted, an early start asked)."""
    submit(page)
    confirm(page, **consents)


def order_id_of(page: Any) -> str:
    match = re.search(r"/orders/(ord_[0-9A-Z]{26})\?t=", page.url)
    assert match, page.url
    return match.group(1)


def provider_orders(app_url: str, api_key: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{app_url}/tl/v1/orders", headers={"x-api-key": api_key}, timeout=10)
    reply.raise_for_status()
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def provider_order(app_url: str, api_key: str, order_id: str) -> dict[str, Any]:
    reply = requests.get(
        f"{app_url}/tl/v1/orders/{order_id}", headers={"x-api-key": api_key}, timeout=10
    )
    reply.raise_for_status()
    order: dict[str, Any] = reply.json()
    return order


def api_calls(emulator: Any, method: str | None = None) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = emulator.calls(kind="api", method=method)
    return calls
