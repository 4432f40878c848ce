"""The public product pages: an offer's whole price on the offer pages, its contract summary
(GET /offers/{id}/summary) and the standard withdrawal form (GET /withdrawal-form)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.clock import today_in_sweden
from chalicelib.domain.contract_summary import contract_summary
from chalicelib.domain.models import LegalIdentity, Offer, PriceTerms
from chalicelib.web.summary import minimum_total_sek
from tests.unit.web_fakes import OUT_OF_RANGE, Browser, World, build_world, installed

IDENTITY = LegalIdentity(
    company_name="Test TL Sverige AB",
    organisation_number="556900-0101",
    address="Provgatan 1, 111 22 Stockholm",
    email="kundservice@test-tl.example",
    phone="+46 8 400 100",
)


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        catalog = world.adapters.catalog
        provider = catalog.get_provider("test-tl")
        catalog.put_provider(provider.model_copy(update={"legal_identity": IDENTITY}))
        internet = catalog.get_offer("tl-internet-100")
        catalog.put_offer(
            Offer.model_validate(
                {
                    **internet.model_dump(),
                    "start_fee_sek": 495,
                    "campaign": {"monthly_price_sek": 199, "months": 6},
                    "download_mbit": 100,
                    "upload_mbit": 10,
                }
            )
        )
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def text_of(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def get(client: Client, path: str) -> tuple[int, str]:
    response = Browser(client, address=OUT_OF_RANGE).get(path)
    return response.status_code, response.body.decode()


# --- the whole price on the offer pages ----------------------------------------------------


def test_an_offer_card_shows_the_campaign_first_then_start_fee_commitment_and_notice(
    client: Client,
):
    status, page = get(client, "/offers")

    assert status == 200
    assert (
        "199 kr/mån de första 6 månaderna, därefter 299 kr/mån, startavgift 495 kr, "
        "bindningstid 12 mån, uppsägningstid 1 mån" in text_of(page)
    )


def test_an_offer_without_campaign_shows_its_monthly_price_and_default_terms(client: Client):
    _, page = get(client, "/offers")

    assert "149 kr/mån, startavgift 0 kr, ingen bindningstid, uppsägningstid 1 mån" in text_of(page)


def test_every_offer_card_links_to_its_contract_summary(client: Client, world: World):
    _, page = get(client, "/offers")

    for offer in world.adapters.catalog.offers_in_city_network("test-stadsnat"):
        assert f'href="/offers/{offer.id}/summary"' in page


def test_the_price_line_is_in_english_on_english_pages(client: Client):
    _, page = get(client, "/offers?lang=en")

    assert (
        "SEK 199/month for the first 6 months, then SEK 299/month, start fee SEK 495, "
        "commitment 12 months, notice 1" in text_of(page)
    )


# --- the contract summary ---------------------------------------------------------------


def test_the_contract_summary_has_the_template_sections_in_order(client: Client):
    status, page = get(client, "/offers/tl-internet-100/summary")
    text = text_of(page)

    assert status == 200
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings == [
        "Tjänsteleverantör och kontakt",
        "Tjänst och hastighet",
        "Pris",
        "Avtalstid och förlängning",
        "Byte och uppsägning",
    ]
    assert "Avtalssammanfattning: Bredband 100/100" in text
    assert "I denna avtalssammanfattning anges huvudinslagen" in text


def test_the_summary_names_the_provider_its_contact_and_the_service(client: Client):
    _, page = get(client, "/offers/tl-internet-100/summary")
    text = text_of(page)

    for value in (
        "Test TL Sverige AB",
        "556900-0101",
        "Provgatan 1, 111 22 Stockholm",
        "kundservice@test-tl.example",
        "+46 8 400 100",
    ):
        assert value in text
    assert "Stadsnät Teststadsnätet" in text
    assert "Hastighet nedströms upp till 100 Mbit/s" in text
    assert "Hastighet uppströms upp till 10 Mbit/s" in text


def test_the_summary_states_the_price_term_renewal_and_termination(client: Client):
    _, page = get(client, "/offers/tl-internet-100/summary")
    text = text_of(page)

    assert "Kampanjpris 199 kr/mån de första 6 månaderna" in text
    assert "Månadspris efter kampanjen 299 kr/mån" in text
    assert "Startavgift 495 kr" in text
    # 495 + 6 × 199 + 6 × 299
    assert "Lägsta totala kostnad under bindningstiden 3483 kr" in text
    assert "inklusive moms" in text
    assert "Bindningstid: 12 månader" in text
    assert "Efter bindningstiden löper avtalet vidare månad för månad" in text
    assert "Uppsägningstid: en månad." in text
    assert "kontakta tjänsteleverantörens kundtjänst" in text
    assert "inom 14 dagar från beställningen" in text
    assert 'href="/withdrawal-form?offer=tl-internet-100"' in page


def test_the_summary_shows_its_version_the_first_12_hex_of_its_hash(client: Client, world: World):
    catalog = world.adapters.catalog
    offer = catalog.get_offer("tl-internet-100")
    today = today_in_sweden(world.adapters.clock)
    expected = contract_summary(offer, catalog.get_provider("test-tl"), "Teststadsnätet", today)

    _, page = get(client, "/offers/tl-internet-100/summary")

    assert f"Version av sammanfattningen: {expected.content_sha256[:12]}" in text_of(page)


def test_a_provider_without_a_published_identity_is_said_so(client: Client):
    status, page = get(client, "/offers/fiber-tel/summary")
    text = text_of(page)

    assert status == 200
    assert "Fiber AB har ännu inte publicerat sina företagsuppgifter" in text
    assert "Organisationsnummer" not in text
    assert "Ingen bindningstid" in text


def test_the_summary_is_in_english_with_lang_en(client: Client):
    _, page = get(client, "/offers/tl-internet-100/summary?lang=en")
    text = text_of(page)

    assert '<html lang="en">' in page
    assert "Contract summary: Bredband 100/100" in text
    assert "Service provider and contact" in text
    assert "Campaign price SEK 199/month for the first 6 months" in text
    assert "All prices are in Swedish kronor (SEK) including VAT." in text


def test_the_summary_needs_no_session(client: Client):
    response = Browser(client, address=OUT_OF_RANGE).get("/offers/tl-tv/summary")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "set-cookie" not in response.headers


def test_an_unknown_offers_summary_is_the_404_page(client: Client):
    status, page = get(client, "/offers/no-such-offer/summary")

    assert status == 404
    assert "Sidan finns inte" in page


def test_the_minimum_total_counts_campaign_months_inside_the_commitment_only():
    def terms(**fields: object) -> PriceTerms:
        return PriceTerms.model_validate({"monthly_price_sek": 300, **fields})

    assert minimum_total_sek(terms(binding_months=0, start_fee_sek=100)) == 100
    assert minimum_total_sek(terms(binding_months=12)) == 3600
    campaign = {"monthly_price_sek": 100, "months": 24}
    assert minimum_total_sek(terms(binding_months=12, campaign=campaign)) == 1200


# --- the standard withdrawal form --------------------------------------------------------


def test_the_withdrawal_form_has_the_official_swedish_wording(client: Client):
    status, page = get(client, "/withdrawal-form")
    text = text_of(page)

    assert status == 200
    for line in (
        "Standardformulär för utövande av ångerrätt",
        "(fyll i och skicka detta formulär endast om du vill utöva ångerrätten)",
        "Jag/Vi (*) meddelar härmed att jag/vi (*) vill frånträda mitt/vårt (*) avtal om köp "
        "av följande varor (*)/tillhandahållande av följande tjänster (*),",
        "Beställd den (*)/mottagen den (*),",
        "Konsumentens/konsumenternas namn,",
        "Konsumentens/konsumenternas adress,",
        "Konsumentens/konsumenternas namnteckning (endast om formuläret skickas i pappersform),",
        "Datum",
        "(*) Stryk det som inte gäller.",
    ):
        assert line in text


def test_without_an_offer_the_trader_is_a_placeholder(client: Client):
    _, page = get(client, "/withdrawal-form")

    assert "Till [tjänsteleverantörens namn, postadress och e-postadress" in text_of(page)


def test_with_an_offer_its_provider_is_the_trader(client: Client):
    _, page = get(client, "/withdrawal-form?offer=tl-internet-100")
    text = text_of(page)

    assert (
        "Till Test TL Sverige AB , Provgatan 1, 111 22 Stockholm, kundservice@test-tl.example:"
        in text
    )
    assert "tillhandahållande av följande tjänster (*), Bredband 100/100" in text
    assert "[tjänsteleverantörens" not in text


def test_with_an_offer_whose_provider_has_no_identity_the_form_names_the_provider(
    client: Client,
):
    _, page = get(client, "/withdrawal-form?offer=fiber-tel")
    text = text_of(page)

    assert "Till Fiber AB [tjänsteleverantörens postadress och e-postadress" in text


def test_the_withdrawal_form_has_the_official_english_wording(client: Client):
    _, page = get(client, "/withdrawal-form?offer=tl-internet-100&lang=en")
    text = text_of(page)

    assert "Model withdrawal form" in text
    assert (
        "I/We (*) hereby give notice that I/We (*) withdraw from my/our (*) contract of sale of "
        "the following goods (*)/for the provision of the following service (*)," in text
    )
    assert "Signature of consumer(s) (only if this form is notified on paper)," in text
    assert "(*) Delete as appropriate." in text


def test_the_withdrawal_form_of_an_unknown_offer_is_the_404_page(client: Client):
    status, _ = get(client, "/withdrawal-form?offer=no-such-offer")

    assert status == 404


def test_the_macro_renders_the_same_form_for_another_page():
    from chalicelib.web.rendering import environment

    template = environment().from_string(
        '{% import "withdrawal_macros.html" as withdrawal %}{{ withdrawal.standard_form(t) }}'
    )
    html = text_of(template.render(t=IDENTITY))

    assert "Till Test TL Sverige AB , Provgatan 1, 111 22 Stockholm" in html
    assert "(*) Stryk det som inte gäller." in html
