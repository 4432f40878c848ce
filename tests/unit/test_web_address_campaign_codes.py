"""Campaign codes on the order form of an access chosen by address (issue 13, item 4): as
on the identified form, a valid code is kept in the agreement, a wrong one is refused."""

from __future__ import annotations

from chalicelib.domain.models import Campaign
from chalicelib.web.review import visible_text
from tests.unit import test_web_address as address
from tests.unit.test_web_address import OFFER, open_address_form, post_address_order
from tests.unit.web_fakes import OUT_OF_RANGE, Browser, World, reviewed, valid_answers

# The address tests' world (an ON-API network listing its accesses) and client.
world = address.world
client = address.client
WINTER = Campaign(monthly_price_sek=99, months=3, code="VINTER25")


def coded_offer(world: World) -> None:
    catalog = world.adapters.catalog
    catalog.put_offer(catalog.get_offer(OFFER).model_copy(update={"campaign": WINTER}))


def test_the_address_form_asks_for_the_code_and_the_agreement_keeps_it(client, world):
    coded_offer(world)
    browser = Browser(client, OUT_OF_RANGE)
    page, fields = open_address_form(browser)
    assert 'name="campaign_code"' in page
    path = f"/address/order/{OFFER}"
    sent = {**valid_answers(), **fields, "campaign_code": "Vinter25"}

    review = browser.post_form(path, sent)
    assert "Kampanjkod VINTER25: 99 kr/mån" in visible_text(review.body.decode())
    placed = browser.post_form(path, reviewed(browser, path, sent))

    assert placed.status_code == 303
    [order] = world.orders
    assert order.agreement is not None
    assert order.agreement.campaign_code == "VINTER25"
    assert order.agreement.price.campaign == WINTER


def test_a_wrong_code_on_the_address_form_is_a_field_error_and_nothing_is_stored(client, world):
    coded_offer(world)
    browser = Browser(client, OUT_OF_RANGE)
    _, fields = open_address_form(browser)

    response = post_address_order(browser, {**fields, "campaign_code": "NEJ-NEJ"})

    assert response.status_code == 422
    assert 'href="#f-campaign_code"' in response.body.decode()
    assert world.orders == []
