"""axe-core, injected into the real pages, finds no serious or critical violation on the
offers, form, error and receipt pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.customer_steps import (
    AXE,
    CONFIRM_BUTTON,
    arrive_as,
    confirm,
    fill_customer,
    not_ordering_from_home,
    see,
    submit,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # The pages' CSP rightly forbids injected scripts; axe is the test's, not the page's.
    context = browser.new_context(locale="sv-SE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    assert AXE.exists(), f"{AXE} is missing: run `make browser` (npm ci)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    assert result["passes"], "axe ran no checks"
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_customer_pages_have_no_serious_accessibility_violations(local_stack: Any, page: Any):
    found: dict[str, list[dict[str, Any]]] = {}

    arrive_as(page, local_stack.app_url, "127.0.0.2", "a11y")
    found["offers (identified)"] = serious_violations(page)

    page.click("a[href='/order/demo-tl-telefoni']")
    see(page, "form")
    found["form"] = serious_violations(page)

    fill_customer(page, postal_code="12", phone="123")
    page.check("[name='keep_number']")
    submit(page)
    see(page, ".error-summary")
    found["form with errors"] = serious_violations(page)

    page.fill("[name='postal_code']", "123 45")
    page.fill("[name='phone']", "070-123 45 67")
    page.fill("[name='current_number']", "08-123 456 78")
    page.fill("[name='current_operator']", "Gamla Telebolaget")
    submit(page)
    see(page, CONFIRM_BUTTON)
    found["review"] = serious_violations(page)

    page.click(CONFIRM_BUTTON)  # without accepting the terms
    see(page, ".error-summary")
    found["review with errors"] = serious_violations(page)

    confirm(page)
    page.wait_for_url(re.compile(r".*/orders/ord_.*"))
    found["receipt"] = serious_violations(page)

    page.goto(local_stack.app_url + "/order/no-such-offer")
    found["error page"] = serious_violations(page)

    page.goto(local_stack.app_url + "/unidentified")
    see(page, "button:has-text('Jag beställer inte hemifrån')")
    found["not ordering from home"] = serious_violations(page)

    not_ordering_from_home(page)
    see(page, "text=hanterar beställningen manuellt")
    found["offers (unidentified)"] = serious_violations(page)

    assert {name: v for name, v in found.items() if v} == {}


def test_contract_summary_and_withdrawal_form_have_no_serious_accessibility_violations(
    local_stack: Any, page: Any
):
    found: dict[str, list[dict[str, Any]]] = {}
    pages = {
        "contract summary (campaign, start fee)": "/offers/fiber-ab-internet-1000/summary",
        "contract summary (English)": "/offers/demo-tl-telefoni/summary?lang=en",
        "withdrawal form": "/withdrawal-form",
        "withdrawal form (offer's provider)": "/withdrawal-form?offer=demo-tl-internet-100",
    }
    for name, path in pages.items():
        page.goto(local_stack.app_url + path)
        see(page, "h1")
        found[name] = serious_violations(page)

    assert {name: v for name, v in found.items() if v} == {}
