"""The review-and-confirm step of the order forms (issue 12, items 3 and 4): what the review
page shows and asks, that only its confirm POST places an order, and the agreement kept with
the order as evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.agreement import text_sha256
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.clock import today_in_sweden
from chalicelib.domain.contract_summary import contract_summary
from chalicelib.domain.models import (
    ActivationState,
    LegalIdentity,
    OrderEventKind,
    Provider,
    ProviderDocument,
)
from chalicelib.domain.operator import BROKER
from chalicelib.web.review import visible_text
from tests.fakes import PROVIDER_ID
from tests.unit.test_web_ordering import OFFER, open_form
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    hidden_inputs,
    identified_browser,
    installed,
    location,
    review_and_confirm,
    reviewed,
    valid_answers,
)

PATH = f"/order/{OFFER}"
TERMS_TEXT = "Villkor för <b>Test TL</b>.\n\nUppsägning sker skriftligen."
IDENTITY = LegalIdentity(
    company_name="Test TL AB",
    organisation_number="556000-1234",
    address="Fibervägen 2, 123 45 Storstad",
    email="kund@testtl.se",
    phone="+46 8 555 000 00",
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def publish_documents(world: World) -> None:
    catalog = world.adapters.catalog
    catalog.put_provider(Provider(id=PROVIDER_ID, name="Test TL", legal_identity=IDENTITY))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    catalog.add_document(
        ProviderDocument(
            provider_id=PROVIDER_ID, kind="terms", version=1, text="old",
            content_sha256=sha("old"), created_at=at,
        )
    )  # fmt: skip
    catalog.add_document(
        ProviderDocument(
            provider_id=PROVIDER_ID, kind="terms", version=2, text=TERMS_TEXT,
            content_sha256=sha(TERMS_TEXT), created_at=at,
        )
    )  # fmt: skip
    catalog.add_document(
        ProviderDocument(
            provider_id=PROVIDER_ID, kind="privacy", version=1,
            url="https://testtl.example/integritet", content_sha256=sha("privacy"),
            created_at=at,
        )
    )  # fmt: skip


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        publish_documents(world)
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def review(browser: Browser, **answers: str) -> Any:
    return browser.post_form(PATH, {**valid_answers(**answers), **open_form(browser)})


def day(world: World, days: int) -> str:
    return (today_in_sweden(world.adapters.clock) + timedelta(days=days)).isoformat()


# --- the review page ----------------------------------------------------------------------


def test_a_valid_form_shows_the_review_page_and_stores_nothing(client: Client, world: World):
    browser = identified_browser(client, world)

    response = review(browser)

    assert response.status_code == 200
    page = response.body.decode()
    assert "Granska din beställning" in page
    assert '<button type="submit" class="button" name="step" value="confirm">' in page
    assert ">Beställ med betalningsskyldighet</button>" in page
    assert 'name="step" value="edit" formnovalidate>Ändra</button>' in page
    assert world.orders == [] and world.city_network.count("service_order") == 0


def test_the_review_page_shows_the_order_both_identities_the_price_and_the_withdrawal(
    client: Client, world: World
):
    page = review(identified_browser(client, world), router="buy", installation_help="on")
    text = visible_text(page.body.decode())

    for shown in ("Bredband 100/100", "Internet", "Test TL", "Anna Svensson", "Storgatan 1"):
        assert shown in text
    assert "Så snart som möjligt" in text
    assert "Köp en router" in text and "Jag vill ha hjälp med installationen Ja" in text
    for part in IDENTITY.model_dump().values():
        assert str(part) in text
    for part in BROKER.model_dump().values():
        assert str(part) in text
    assert "299 kr/mån, startavgift 0 kr, bindningstid 12 mån, uppsägningstid 1 mån" in text
    assert "ångra avtalet inom 14 dagar" in text
    html = page.body.decode()
    assert f'href="/withdrawal-form?offer={OFFER}"' in html
    assert f'href="/offers/{OFFER}/summary"' in html
    assert f'href="/documents/{PROVIDER_ID}/terms/2"' in html  # the current version
    assert 'href="https://testtl.example/integritet"' in html
    assert "9876" not in text  # the personal number is carried, never shown


def test_a_provider_without_identity_or_documents_says_so(world: World):
    # A world of its own: the tests' catalog as it is, no identity and no documents
    with installed(build_world()), Client(app) as other:
        browser = Browser(other, OUT_OF_RANGE)
        browser.get("/offers?lang=en")
        text = visible_text(review(browser).body.decode())
    assert "The service provider has not published its company details yet." in text
    assert "The service provider has not published any terms." in text
    assert "The service provider has not published a privacy policy." in text


def test_the_consents_are_unticked_and_the_answers_are_carried_hidden(client: Client, world: World):
    page = review(identified_browser(client, world), marketing_consent="on").body.decode()

    assert 'id="f-accept_terms" name="accept_terms" value="on"' in page
    assert 'id="f-early_start" name="early_start" value="on"' in page
    assert " checked" not in page
    carried = dict(hidden_inputs(page))
    assert carried["first_name"] == "Anna" and carried["personal_number"] == "19811218-9876"
    assert carried["marketing_consent"] == "on" and carried["router"] == "rent"
    assert {"csrf_token", "submission_id"} <= set(carried)
    assert not {"accept_terms", "early_start", "step"} & set(carried)


def test_the_review_page_in_english(client: Client, world: World):
    browser = identified_browser(client, world)
    browser.get("/offers?lang=en")

    page = review(browser).body.decode()

    assert ">Order with obligation to pay</button>" in page
    assert ">Edit</button>" in page
    assert "I accept the service provider&#39;s terms" in page
    assert "I want the service to start now, during the withdrawal period" in page


def test_a_start_date_after_the_withdrawal_period_asks_no_early_start(client, world):
    page = review(identified_browser(client, world), requested_date=day(world, 15))
    assert 'name="early_start"' not in page.body.decode()


def test_edit_shows_the_form_again_with_every_answer_kept(client: Client, world: World):
    browser = identified_browser(client, world)
    confirm = reviewed(
        browser, PATH, {**valid_answers(router="own", marketing_consent="on"), **open_form(browser)}
    )
    edit = [(n, v) for n, v in confirm if n != "step"] + [("step", "edit")]

    response = browser.post_form(PATH, edit)

    assert response.status_code == 200
    page = response.body.decode()
    assert 'name="step" value="review"' in page  # the form, not the review
    assert 'name="first_name" value="Anna"' in page
    assert 'name="personal_number" value="19811218-9876"' in page
    assert 'value="own" checked' in page and 'value="rent" checked' not in page
    assert 'id="f-marketing_consent" name="marketing_consent" value="on" checked' in page
    assert world.orders == []


# --- confirming ---------------------------------------------------------------------------


def test_without_the_terms_accepted_the_order_is_not_placed_and_says_why(
    client: Client, world: World
):
    browser = identified_browser(client, world)
    confirm = reviewed(browser, PATH, {**valid_answers(), **open_form(browser)}, accept_terms=False)

    response = browser.post_form(PATH, confirm)

    assert response.status_code == 422
    page = response.body.decode()
    assert "Du måste godkänna tjänsteleverantörens villkor för att beställa." in page
    assert 'href="#f-accept_terms"' in page and 'aria-invalid="true"' in page
    assert 'name="early_start" value="on" aria-describedby="f-early_start-help" checked' in page
    assert world.orders == [] and world.city_network.count("service_order") == 0


def test_only_the_confirm_places_the_order_with_its_agreement(client: Client, world: World):
    browser = identified_browser(client, world)
    confirm = reviewed(browser, PATH, {**valid_answers(), **open_form(browser)})
    review_page = browser.last.body.decode()
    assert world.orders == []

    response = browser.post_form(PATH, confirm)

    assert response.status_code == 303 and location(response).startswith("/orders/ord_")
    [order] = world.orders
    agreement = order.agreement
    assert agreement is not None
    offer = world.adapters.catalog.get_offer(OFFER)
    assert agreement.price == offer.price_terms()
    assert agreement.terms is not None and agreement.privacy is not None
    assert (agreement.terms.version, agreement.terms.content_sha256) == (2, sha(TERMS_TEXT))
    assert agreement.terms.url is None
    assert agreement.privacy.url == "https://testtl.example/integritet"
    provider = world.adapters.catalog.get_provider(PROVIDER_ID)
    network = world.adapters.catalog.get_city_network(offer.city_network_id)
    assert agreement.contract_summary_sha256 == (
        contract_summary(
            offer, provider, network.name, today_in_sweden(world.adapters.clock)
        ).content_sha256
    )
    assert agreement.language == "sv"
    # Accepted when confirmed, just before the order was stored
    assert timedelta(0) <= order.created_at - agreement.terms_accepted_at < timedelta(seconds=5)
    assert agreement.early_start_requested is True
    assert agreement.early_start_requested_at == agreement.terms_accepted_at
    # The hash names the text the customer read on the review page
    assert agreement.review_text_sha256 == text_sha256(visible_text(review_page))
    # Early start asked for: as soon as possible, activated at once
    assert order.requested_date is None
    assert order.activation.state == ActivationState.ACTIVATED


def test_without_an_early_start_the_service_starts_on_day_15(client: Client, world: World):
    browser = identified_browser(client, world)
    page = review(browser).body.decode()
    assert f"startar den tidigast {day(world, 15)}" in visible_text(page)

    response = review_and_confirm(
        browser, PATH, {**valid_answers(), **open_form(browser)}, early_start=False
    )

    [order] = world.orders
    assert order.requested_date.isoformat() == day(world, 15)  # type: ignore[union-attr]
    assert order.activation.requested_date == order.requested_date
    assert order.activation.state == ActivationState.SCHEDULED
    assert order.agreement is not None and order.agreement.early_start_requested is False
    assert order.agreement.early_start_requested_at is None
    assert world.city_network.orders_made() == 1
    receipt = browser.get(location(response)).body.decode()
    assert day(world, 15) in receipt


def test_an_early_start_on_a_date_inside_the_period_keeps_the_date(client, world):
    browser = identified_browser(client, world)
    review_and_confirm(
        browser, PATH, {**valid_answers(requested_date=day(world, 5)), **open_form(browser)}
    )
    [order] = world.orders
    assert order.requested_date.isoformat() == day(world, 5)  # type: ignore[union-attr]


def test_an_early_start_ticked_where_it_was_not_asked_is_not_kept(client, world):
    browser = identified_browser(client, world)
    later = day(world, 30)
    confirm = reviewed(browser, PATH, {**valid_answers(requested_date=later), **open_form(browser)})

    browser.post_form(PATH, [*confirm, ("early_start", "on")])

    [order] = world.orders
    assert order.requested_date.isoformat() == later  # type: ignore[union-attr]
    assert order.agreement is not None and order.agreement.early_start_requested is False


def test_the_confirm_is_checked_again_and_trusts_no_edited_hidden_answer(client, world):
    browser = identified_browser(client, world)
    confirm = reviewed(browser, PATH, {**valid_answers(), **open_form(browser)})

    edited = [(n, "not an email" if n == "email" else v) for n, v in confirm]
    forged = [(n, "x" * 32 if n == "submission_id" else v) for n, v in confirm]

    assert browser.post_form(PATH, edited).status_code == 422
    assert browser.post_form(PATH, forged).status_code == 400
    assert world.orders == [] and world.city_network.count("service_order") == 0


def test_an_english_order_keeps_the_language_in_its_agreement(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    browser.get("/offers?lang=en")
    review_and_confirm(browser, PATH, {**valid_answers(), **open_form(browser)})
    [order] = world.orders
    assert order.agreement is not None and order.agreement.language == "en"


# --- the agreement never changes ----------------------------------------------------------


def test_the_agreement_is_returned_unchanged_after_activation_and_status_changes(
    client: Client, world: World
):
    world.city_network.order_outcome = "refused"
    world.city_network.order_code = "500"
    browser = identified_browser(client, world)
    review_and_confirm(browser, PATH, {**valid_answers(), **open_form(browser)})
    [order] = world.orders
    assert order.activation.state == ActivationState.REFUSED
    key, _ = issue_api_key(world.adapters.api_keys, PROVIDER_ID, "test", world.adapters.clock)
    headers = {"x-api-key": key, "content-type": "application/json"}

    def api(method: str, path: str, body: Any = None) -> Any:
        raw = json.dumps(body) if body is not None else b""
        response = client.http.request(method, f"/tl/v1{path}", headers=headers, body=raw)
        assert response.status_code in (200, 202), response.body
        return json.loads(response.body)

    first = api("GET", f"/orders/{order.id}")["agreement"]
    assert first == order.agreement.model_dump(mode="json")  # type: ignore[union-attr]
    api("POST", f"/orders/{order.id}/status", {"status": "received"})
    world.city_network.order_outcome = "ok"
    api("POST", f"/orders/{order.id}/activation", {})
    # The activation worker's step, as the queue would hand it over
    for message, _ in world.adapters.activation_queue.take():  # type: ignore[attr-defined]
        process_activation(message, world.adapters, claims=world.adapters.tokens)
    api("POST", f"/orders/{order.id}/status", {"status": "delivered"})

    after = api("GET", f"/orders/{order.id}")
    assert after["activation"]["state"] == "activated" and after["status"] == "delivered"
    assert after["agreement"] == first
    listed = api("GET", "/orders")["items"]
    assert [o["agreement"] for o in listed if o["id"] == order.id] == [first]
    # The order.created webhook carried the same agreement
    [created] = [
        e for e in world.adapters.orders.list_events(order.id)
        if e.kind == OrderEventKind.ORDER_CREATED
    ]  # fmt: skip
    assert created.order_snapshot is not None
    assert created.order_snapshot.agreement == world.adapters.orders.get(order.id).agreement


# --- the provider documents ---------------------------------------------------------------


def test_a_text_document_has_its_own_page_escaped(client: Client, world: World):
    response = Browser(client, OUT_OF_RANGE).get(f"/documents/{PROVIDER_ID}/terms/2")

    assert response.status_code == 200
    page = response.body.decode()
    assert "Villkor för Test TL" in page and "Version 2" in page
    assert "&lt;b&gt;Test TL&lt;/b&gt;" in page and "<b>Test TL</b>" not in page
    assert "Uppsägning sker skriftligen." in page


@pytest.mark.parametrize(
    "path",
    [
        f"/documents/{PROVIDER_ID}/terms/9",
        f"/documents/{PROVIDER_ID}/privacy/1",  # published at a URL: linked there
        f"/documents/{PROVIDER_ID}/secrets/1",
        f"/documents/{PROVIDER_ID}/terms/x",
        "/documents/no-such-provider/terms/1",
    ],
)
def test_a_document_that_is_not_kept_as_text_is_a_404(client: Client, path: str):
    assert Browser(client, OUT_OF_RANGE).get(path).status_code == 404


def test_the_old_version_of_a_document_stays_readable(client: Client):
    page = Browser(client, OUT_OF_RANGE).get(f"/documents/{PROVIDER_ID}/terms/1")
    assert page.status_code == 200 and "old" in page.body.decode()
