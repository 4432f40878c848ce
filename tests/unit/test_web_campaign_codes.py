"""Campaign codes typed by the customer (issue 13, item 4): the form asks for one only when
the offer's campaign has a code, the review shows the price the code gives, a wrong code is
a field error on the form (nothing stored), the agreement keeps the code and the price, and
the offers pages never show a code-only campaign as the price."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.agreement import build_agreement, text_sha256
from chalicelib.domain.campaigns import asks_for_code, public_price
from chalicelib.domain.clock import today_in_sweden
from chalicelib.domain.models import Campaign, Offer, Provider
from chalicelib.web.review import visible_text
from tests.unit.test_web_ordering import OFFER, open_form
from tests.unit.web_fakes import (
    Browser,
    World,
    build_world,
    hidden_inputs,
    identified_browser,
    installed,
    reviewed,
    valid_answers,
)

PATH = f"/order/{OFFER}"
WINTER = Campaign(monthly_price_sek=99, months=3, code="VINTER25")
CAMPAIGN_LINE = "Kampanjkod VINTER25: 99 kr/mån de första 3 månaderna, därefter 299 kr/mån"
NORMAL_LINE = "299 kr/mån, startavgift 0 kr, bindningstid 12 mån"


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def with_campaign(world: World, campaign: Campaign | None, offer_id: str = OFFER) -> Offer:
    catalog = world.adapters.catalog
    offer = catalog.get_offer(offer_id).model_copy(update={"campaign": campaign})
    catalog.put_offer(offer)
    return offer


def today(world: World) -> date:
    return today_in_sweden(world.adapters.clock)


def send(browser: Browser, **fields: str):
    return browser.post_form(PATH, {**valid_answers(), **open_form(browser), **fields})


# --- the form ----------------------------------------------------------------------------


def test_the_form_asks_for_a_code_only_when_the_offers_campaign_has_one(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)
    assert 'name="campaign_code"' in browser.get(PATH).body.decode()

    with_campaign(world, Campaign(monthly_price_sek=99, months=3))
    assert 'name="campaign_code"' not in browser.get(PATH).body.decode()
    with_campaign(world, None)
    assert 'name="campaign_code"' not in browser.get(PATH).body.decode()


def test_a_code_campaign_outside_its_dates_is_not_asked_for(client, world):
    browser = identified_browser(client, world)
    ended = today(world) - timedelta(days=1)
    with_campaign(world, WINTER.model_copy(update={"valid_to": ended}))
    assert 'name="campaign_code"' not in browser.get(PATH).body.decode()


def test_a_valid_code_shows_the_campaign_price_on_the_review_and_is_carried_hidden(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)

    response = send(browser, campaign_code=" vinter25 ")

    assert response.status_code == 200
    page = response.body.decode()
    assert CAMPAIGN_LINE in visible_text(page)
    assert ("campaign_code", " vinter25 ") in hidden_inputs(page)
    assert world.orders == []


def test_without_a_code_the_review_shows_the_normal_price(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)

    text = visible_text(send(browser, campaign_code="").body.decode())

    assert NORMAL_LINE in text
    assert "Kampanjkod VINTER25" not in text and " 99 kr/mån" not in text


def test_a_wrong_code_is_a_field_error_on_the_form_and_nothing_is_stored(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)

    response = send(browser, campaign_code="SOMMAR99")

    assert response.status_code == 422
    page = response.body.decode()
    assert 'name="step" value="confirm"' not in page
    assert 'href="#f-campaign_code"' in page
    assert "Kampanjkod: Koden gäller inte för den här tjänsten i dag" in visible_text(page)
    assert 'value="SOMMAR99"' in page and 'aria-invalid="true"' in page
    # the other answers are kept
    assert 'value="Anna"' in page
    assert world.orders == [] and world.city_network.count("service_order") == 0


def test_an_expired_code_is_refused_like_a_wrong_one(client, world):
    browser = identified_browser(client, world)
    open_page = browser.get(PATH).body.decode()
    assert 'name="campaign_code"' not in open_page
    with_campaign(world, WINTER.model_copy(update={"valid_to": today(world) - timedelta(days=1)}))

    response = send(browser, campaign_code="VINTER25")

    assert response.status_code == 422 and world.orders == []
    # the field is shown again with what was typed, so the customer can empty it
    assert 'name="campaign_code" value="VINTER25"' in response.body.decode()


def test_a_code_changed_in_the_confirm_post_is_refused_and_nothing_is_stored(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)
    confirm = reviewed(browser, PATH, {**valid_answers(), **open_form(browser),
                                       "campaign_code": "VINTER25"})  # fmt: skip
    tampered = [(k, "FEL-KOD" if k == "campaign_code" else v) for k, v in confirm]

    response = browser.post_form(PATH, tampered)

    assert response.status_code == 422 and world.orders == []


def test_the_agreement_keeps_the_normalised_code_and_the_campaign_price_it_gave(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)
    fields = {**valid_answers(), **open_form(browser), "campaign_code": "vinter25"}
    review_page = browser.post_form(PATH, fields).body.decode()
    confirm = reviewed(browser, PATH, fields)

    response = browser.post_form(PATH, confirm)

    assert response.status_code == 303
    [order] = world.orders
    agreement = order.agreement
    assert agreement is not None
    assert agreement.campaign_code == "VINTER25"
    assert agreement.price.campaign == WINTER
    assert agreement.price.monthly_price_sek == 299
    # the hash names the page that showed the campaign price
    assert agreement.review_text_sha256 == text_sha256(visible_text(review_page))


def test_an_order_without_a_code_keeps_no_code_and_the_normal_price(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)
    fields = {**valid_answers(), **open_form(browser)}

    response = browser.post_form(PATH, reviewed(browser, PATH, fields))

    assert response.status_code == 303
    [order] = world.orders
    assert order.agreement is not None
    assert order.agreement.campaign_code is None and order.agreement.price.campaign is None


def test_a_code_and_a_normal_price_give_different_review_hashes(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)
    plain = send(browser).body.decode()
    coded = send(browser, campaign_code="VINTER25").body.decode()
    assert text_sha256(visible_text(plain)) != text_sha256(visible_text(coded))


def test_a_code_posted_for_an_offer_that_asks_for_none_is_refused(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, Campaign(monthly_price_sek=99, months=3))  # open to all

    response = send(browser, campaign_code="ANYTHING")

    assert response.status_code == 422 and world.orders == []
    assert 'href="#f-campaign_code"' in response.body.decode()


# --- the offers pages ------------------------------------------------------------------


def test_the_offers_page_shows_a_code_campaign_as_a_note_not_as_the_price(client, world):
    browser = identified_browser(client, world)
    with_campaign(world, WINTER)

    text = visible_text(browser.get("/offers").body.decode())

    assert f"{NORMAL_LINE}, uppsägningstid 1 mån · Kampanj med kod" in text
    assert "99 kr/mån de första" not in text


def test_the_offers_page_shows_an_open_campaign_only_inside_its_dates(client, world):
    browser = identified_browser(client, world)
    open_campaign = Campaign(monthly_price_sek=99, months=3)
    with_campaign(world, open_campaign)
    assert "99 kr/mån de första 3 månaderna" in visible_text(browser.get("/offers").body.decode())

    later = today(world) + timedelta(days=5)
    with_campaign(world, open_campaign.model_copy(update={"valid_from": later}))
    text = visible_text(browser.get("/offers").body.decode())
    assert "99 kr/mån de första" not in text and "Kampanj med kod" not in text


def test_the_contract_summary_leaves_a_code_campaign_out_of_the_price(client, world):
    with_campaign(world, WINTER)

    text = visible_text(Browser(client).get(f"/offers/{OFFER}/summary").body.decode())

    assert "Kampanjpris" not in text
    assert "Kampanj med kod" in text


# --- the domain --------------------------------------------------------------------------

DAY = date(2026, 12, 4)
OFFER_MODEL = Offer(
    id="o1", provider_id="p1", city_network_id="n1", service_uid="BB", category="internet",
    name="Bredband", monthly_price_sek=299, binding_months=12, campaign=WINTER,
)  # fmt: skip


def test_public_price_never_holds_a_code_campaign_but_says_there_is_one():
    shown = public_price(OFFER_MODEL, DAY)
    assert shown.terms.campaign is None and shown.with_code is True
    ended = OFFER_MODEL.model_copy(
        update={"campaign": WINTER.model_copy(update={"valid_to": DAY - timedelta(days=1)})}
    )
    assert public_price(ended, DAY).with_code is False and not asks_for_code(ended, DAY)


def test_build_agreement_keeps_a_code_only_when_it_gave_the_campaign():
    def made(code: str | None):
        return build_agreement(
            OFFER_MODEL, Provider(id="p1", name="P"), "Nätet", {}, language="sv",
            accepted_at=datetime(2026, 12, 4, 9, tzinfo=UTC), early_start=False,
            review_text_sha256="a" * 64, campaign_code=code,
        )  # fmt: skip

    good, wrong, none = made(" vinter25"), made("FEL"), made(None)
    open_to_all = build_agreement(
        OFFER_MODEL.model_copy(update={"campaign": Campaign(monthly_price_sek=99, months=3)}),
        Provider(id="p1", name="P"), "Nätet", {}, language="sv",
        accepted_at=datetime(2026, 12, 4, 9, tzinfo=UTC), early_start=False,
        review_text_sha256="a" * 64, campaign_code="MADE-UP",
    )  # fmt: skip
    assert open_to_all.campaign_code is None and open_to_all.price.campaign is not None
    assert (good.campaign_code, good.price.campaign) == ("VINTER25", WINTER)
    assert (wrong.campaign_code, wrong.price.campaign) == (None, None)
    assert (none.campaign_code, none.price.campaign) == (None, None)
