"""In the browser: the offers page shows the whole price, an offer's contract summary is one
click away and prints without the site's navigation, and the summary leads to the standard
withdrawal form addressed to the offer's provider."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.customer_steps import arrive_as, see, shoot

pytestmark = pytest.mark.e2e


def test_offer_to_contract_summary_to_withdrawal_form(local_stack: Any, page: Any):
    # Given a visitor behind DEMO-OK-1 on the offers page
    arrive_as(page, local_stack.app_url, "127.0.0.2", "summary")
    # Then the campaign offer's card reads campaign first, then fee, commitment and notice
    see(
        page,
        "text=249 kr/mån de första 6 månaderna, därefter 449 kr/mån, startavgift 495 kr, "
        "bindningstid 24 mån, uppsägningstid 1 mån",
    )

    # When they open that offer's contract summary
    page.click("a[href='/offers/fiber-ab-internet-1000/summary']")
    page.wait_for_url(re.compile(r".*/offers/fiber-ab-internet-1000/summary$"))
    shoot(page, "summary-1-contract-summary")
    # Then it has the template's sections and the provider's identity
    headings = page.locator("main h2").all_inner_texts()
    assert headings == [
        "Tjänsteleverantör och kontakt",
        "Tjänst och hastighet",
        "Pris",
        "Avtalstid och förlängning",
        "Byte och uppsägning",
    ]
    see(page, "dd:has-text('556900-0202')")
    see(page, "dd:has-text('upp till 1000 Mbit/s')")
    # And printed, the navigation and the links back are left out
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("p.no-print").is_visible()
    assert page.locator("h1").is_visible()
    page.emulate_media(media="screen")

    # When they follow the link to the withdrawal form
    page.click("a[href='/withdrawal-form?offer=fiber-ab-internet-1000']")
    see(page, "h2:has-text('Standardformulär för utövande av ångerrätt')")
    shoot(page, "summary-2-withdrawal-form")
    # Then it is addressed to the provider, and in English on request
    see(page, "li:has-text('Till Fiber AB, Fibervägen 3, 411 04 Göteborg')")
    page.click("a.language")
    see(page, "h2:has-text('Model withdrawal form')")
    see(page, "text=(*) Delete as appropriate.")
