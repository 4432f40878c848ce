"""The order form and its submission through the four scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.models import ActivationState
from chalicelib.web.session import decode_session, receipt_token, submission_token
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    hidden,
    hidden_inputs,
    identified_browser,
    installed,
    location,
    not_deliverable,
    review_and_confirm,
    reviewed,
    valid_answers,
)

OFFER = "tl-internet-100"


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def open_form(browser: Browser, offer_id: str = OFFER) -> dict[str, str]:
    response = browser.get(f"/order/{offer_id}")
    assert response.status_code == 200, response.body
    page = response.body.decode()
    return {
        "csrf_token": hidden(page, "csrf_token"),
        "submission_id": hidden(page, "submission_id"),
    }


def form_token_for(browser: Browser, world: World, offer_id: str) -> str:
    """The submission id our form for `offer_id` would carry in this browser's session."""
    adapters = world.adapters
    now = int(adapters.clock.now().timestamp())
    session = decode_session(browser.cookie, adapters.signing_key, now)
    assert session is not None
    return submission_token(session, adapters.signing_key, offer_id, now)


def submit(browser: Browser, offer_id: str = OFFER, **overrides: str):
    """The form sent, reviewed and confirmed (the terms accepted, an early start asked)."""
    tokens = open_form(browser, offer_id)
    return review_and_confirm(
        browser, f"/order/{offer_id}", {**valid_answers(**overrides), **tokens}
    )


# --- scenario 1 and 2 ---------------------------------------------------------------------


def test_identified_order_is_activated_and_shows_an_honest_receipt(client: Client, world: World):
    browser = identified_browser(client, world)
    browser.get("/offers")

    response = submit(browser)

    assert response.status_code == 303
    assert location(response).startswith("/orders/ord_")
    [order] = world.orders
    assert order.identified and order.access_id == "ACC-123-OK"
    assert order.activation.state == ActivationState.ACTIVATED
    assert order.customer.personal_number == "198112189876"
    events = world.adapters.orders.list_events(order.id)
    methods = [e.call.method for e in events if e.call]
    assert methods[:2] == ["port_status", "service_deliverable"]
    assert "service_order" in methods
    receipt = browser.get(location(response)).body.decode()
    assert "Tjänsten är aktiverad i dag" in receipt
    assert order.id in receipt
    assert "9876" not in receipt  # never the personal number


def test_deliverability_is_checked_once_per_offer_per_session(client: Client, world: World):
    browser = identified_browser(client, world)
    open_form(browser)
    open_form(browser)
    open_form(browser, "tl-tv")
    open_form(browser, "tl-tv")

    assert world.city_network.count("service_deliverable") == 2


def test_refused_activation_is_kept_and_the_receipt_says_so(client: Client, world: World):
    world.city_network.order_outcome = "refused"
    world.city_network.order_code = "500"
    world.city_network.order_message = "CPE måste konfigureras"
    browser = identified_browser(client, world)

    response = submit(browser)

    [order] = world.orders
    assert order.activation.state == ActivationState.REFUSED
    receipt = browser.get(location(response)).body.decode()
    assert "kan inte aktiveras just nu" in receipt
    assert "kontaktar dig" in receipt


def test_transient_activation_is_pending_and_the_receipt_says_so(client: Client, world: World):
    world.city_network.order_outcome = "transient"
    world.city_network.order_code = "timeout"
    browser = identified_browser(client, world)

    response = submit(browser)

    [order] = world.orders
    assert order.activation.state == ActivationState.PENDING
    assert "aktiveringen pågår" in browser.get(location(response)).body.decode()


def test_requested_date_in_the_future_is_scheduled(client: Client, world: World):
    from datetime import timedelta

    from chalicelib.domain.clock import today_in_sweden

    day = today_in_sweden(world.adapters.clock) + timedelta(days=10)
    browser = identified_browser(client, world)

    response = submit(browser, requested_date=day.isoformat())

    [order] = world.orders
    assert order.activation.state == ActivationState.SCHEDULED
    assert f"aktiveras {day.isoformat()}" in browser.get(location(response)).body.decode()


# --- scenario 3 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("426", None, "uppgraderas"),
        ("428", None, "behöver bytas"),
        ("404", None, "känner inte igen ditt uttag"),
        ("500", "Bara studenter får beställa", "Bara studenter får beställa"),
    ],
)
def test_not_deliverable_offer_explains_why_and_shows_no_form(
    client: Client, world: World, code: str, message: str | None, expected: str
):
    world.city_network.deliverable_by_uid["BB100"] = not_deliverable(code, message)
    browser = identified_browser(client, world)

    page = browser.get(f"/order/{OFFER}").body.decode()

    assert "Tjänsten kan inte levereras" in page
    assert expected in page
    assert "<form" not in page


def test_post_to_a_not_deliverable_offer_is_refused_and_stores_nothing(client: Client, world):
    world.city_network.deliverable_by_uid["BB100"] = not_deliverable("426")
    browser = identified_browser(client, world)
    page = browser.get("/offers").body.decode()
    assert page
    # A form of ours for this offer, as one rendered before the network's answer was known
    # (the session keeps a dozen answers at most): this session's tokens, for this offer
    tokens = open_form(browser, "tl-tv")
    tokens["submission_id"] = form_token_for(browser, world, OFFER)

    response = browser.post_form(f"/order/{OFFER}", {**valid_answers(), **tokens})

    assert response.status_code == 409
    assert "Tjänsten kan inte levereras" in response.body.decode()
    assert world.orders == []
    assert world.city_network.count("service_order") == 0


def test_city_network_down_during_the_check_is_a_503_page(client: Client, world: World):
    from chalicelib.domain.citynet import DeliverableResult

    world.city_network.deliverable_by_uid["BB100"] = DeliverableResult(
        method="service_deliverable", outcome="transient", code="timeout", duration_ms=5000
    )
    browser = identified_browser(client, world)
    response = browser.get(f"/order/{OFFER}")
    assert response.status_code == 503
    assert "Försök igen om en stund" in response.body.decode()


def test_offer_of_another_network_is_not_found_for_an_identified_visitor(client: Client):
    with installed(build_world(second_network=True)) as world:
        from chalicelib.domain.models import Category, Offer

        world.adapters.catalog.put_offer(
            Offer(
                id="other-offer",
                provider_id="test-tl",
                city_network_id="andra-natet",
                service_uid="X",
                category=Category.INTERNET,
                name="Annat",
                monthly_price_sek=1,
                binding_months=0,
            )
        )
        browser = identified_browser(client, world)
        assert browser.get("/order/other-offer").status_code == 404


# --- scenario 4 --------------------------------------------------------------------------


def test_unidentified_order_makes_no_city_network_call_and_is_manual(client: Client, world):
    browser = Browser(client, OUT_OF_RANGE)
    browser.get("/")
    browser.get("/offers")

    response = submit(browser)

    assert response.status_code == 303
    [order] = world.orders
    assert not order.identified and order.access_id is None
    assert order.city_network_id == "test-stadsnat"
    assert order.activation.state == ActivationState.MANUAL
    assert world.city_network.total_calls == 0
    receipt = browser.get(location(response)).body.decode()
    assert "Tjänsteleverantören hanterar den" in receipt


def test_form_for_unidentified_visitor_says_the_order_is_handled_manually(client: Client):
    page = Browser(client, OUT_OF_RANGE).get(f"/order/{OFFER}").body.decode()
    assert "hanterar beställningen manuellt" in page


# --- the form ----------------------------------------------------------------------------


def test_form_composes_base_category_and_extension_fieldsets(client: Client):
    page = Browser(client, OUT_OF_RANGE).get(f"/order/{OFFER}").body.decode()
    assert page.count("<legend>") >= 3
    for name in ("personal_number", "router", "static_ip", "referral_code"):
        assert f'name="{name}"' in page
    assert 'autocomplete="given-name"' in page
    assert 'inputmode="numeric"' in page
    assert 'aria-describedby="f-personal_number-help"' in page
    assert 'name="csrf_token"' in page and 'name="submission_id"' in page


def test_invalid_answers_re_render_the_form_with_a_summary_and_kept_values(client: Client, world):
    browser = Browser(client, OUT_OF_RANGE)
    tokens = open_form(browser)

    response = browser.post_form(
        f"/order/{OFFER}", {**valid_answers(email="inte-en-adress", postal_code="12"), **tokens}
    )

    assert response.status_code == 422
    page = response.body.decode()
    assert 'role="alert"' in page
    assert 'href="#f-email"' in page and 'href="#f-postal_code"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="inte-en-adress"' in page and 'value="Storgatan 1"' in page
    assert page.count('class="error-message"') == 2
    assert world.orders == []


def test_invalid_answers_in_english(client: Client):
    browser = Browser(client, OUT_OF_RANGE)
    tokens = open_form(browser)
    response = browser.post_form(f"/order/{OFFER}?lang=en", {**valid_answers(email="x"), **tokens})
    assert "Enter a valid email address" in response.body.decode()


def test_missing_csrf_token_is_a_403_and_stores_nothing(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    tokens = open_form(browser)

    missing = browser.post_form(f"/order/{OFFER}", {**valid_answers(), "submission_id": "x" * 32})
    wrong = browser.post_form(
        f"/order/{OFFER}", {**valid_answers(), **tokens, "csrf_token": "forged"}
    )

    assert missing.status_code == 403 and wrong.status_code == 403
    assert "Sidan har gått ut" in wrong.body.decode()
    assert world.orders == []


def test_csrf_token_of_another_session_is_refused(client: Client, world: World):
    alice, mallory = Browser(client, OUT_OF_RANGE), Browser(client, OUT_OF_RANGE)
    open_form(alice)
    mallory_tokens = open_form(mallory)
    response = alice.post_form(f"/order/{OFFER}", {**valid_answers(), **mallory_tokens})
    assert response.status_code == 403
    assert world.orders == []


def test_double_post_creates_exactly_one_order(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    tokens = open_form(browser)
    body = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **tokens})

    first = browser.post_form(f"/order/{OFFER}", body)
    second = browser.post_form(f"/order/{OFFER}", body)

    assert first.status_code == second.status_code == 303
    assert location(first) == location(second)
    assert len(world.orders) == 1


def test_double_post_for_identified_visitor_orders_the_activation_once(client: Client, world):
    browser = identified_browser(client, world)
    tokens = open_form(browser)
    body = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **tokens})
    browser.post_form(f"/order/{OFFER}", body)
    browser.post_form(f"/order/{OFFER}", body)
    assert len(world.orders) == 1
    assert world.city_network.count("service_order") == 1


def test_missing_submission_id_is_a_400(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    tokens = open_form(browser)
    response = browser.post_form(
        f"/order/{OFFER}", {**valid_answers(), "csrf_token": tokens["csrf_token"]}
    )
    assert response.status_code == 400
    assert world.orders == []


def test_unknown_offer_is_a_404_page(client: Client):
    response = Browser(client, OUT_OF_RANGE).get("/order/no-such-offer")
    assert response.status_code == 404
    assert "<html" in response.body.decode()


def test_other_content_type_is_refused_with_a_4xx(client: Client):
    browser = Browser(client, OUT_OF_RANGE)
    response = browser.request(
        "POST", f"/order/{OFFER}", headers={"content-type": "application/json"}, body=b"{}"
    )
    assert 400 <= response.status_code < 500


# --- receipts ----------------------------------------------------------------------------


def test_receipt_requires_its_token(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    receipt_url = location(submit(browser))
    order_id = receipt_url.split("/orders/")[1].split("?")[0]

    assert browser.get(receipt_url).status_code == 200
    assert browser.get(f"/orders/{order_id}").status_code == 404
    assert browser.get(f"/orders/{order_id}?t=wrong").status_code == 404
    assert browser.get(f"/orders/{order_id}?t=%C3%A5%00%FF").status_code == 404
    other = receipt_token(world.adapters.signing_key, "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert browser.get(f"/orders/{order_id}?t={other}").status_code == 404


def test_receipt_of_an_unknown_order_with_a_valid_token_is_a_404(client: Client, world):
    order_id = "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    token = receipt_token(world.adapters.signing_key, order_id)
    assert Browser(client).get(f"/orders/{order_id}?t={token}").status_code == 404


def test_receipt_is_readable_without_the_session(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    receipt_url = location(submit(browser))
    assert Browser(client, OUT_OF_RANGE).get(receipt_url).status_code == 200


# --- strict input ------------------------------------------------------------------------


FORM = "application/x-www-form-urlencoded"


def post_body(browser: Browser, body: bytes, content_type: str = FORM, path: str = ""):
    path = path or f"/order/{OFFER}"
    return browser.request("POST", path, headers={"content-type": content_type}, body=body)


def valid_body(browser: Browser, **overrides: str) -> bytes:
    return urlencode({**valid_answers(**overrides), **open_form(browser)}).encode()


@pytest.mark.parametrize(
    "first_name", [b"An%C3%28na", b"An\xc3(na", b"An%FFna", b"%ED%A0%80", b"An\xe5na"]
)
def test_a_field_that_is_not_utf_8_is_a_field_error_and_nothing_is_stored(
    client: Client, world: World, first_name: bytes
):
    browser = Browser(client, OUT_OF_RANGE)
    body = valid_body(browser, first_name="PLACEHOLDER").replace(b"PLACEHOLDER", first_name)

    response = post_body(browser, body)

    assert response.status_code == 422
    page = response.body.decode()
    assert 'href="#f-first_name"' in page
    assert "Fältet innehåller tecken som inte kunde läsas. Skriv in det igen." in page
    assert page.count('class="error-message"') == 1
    assert world.orders == []


@pytest.mark.parametrize("character", ["\u202e", "\u2066", "\u200b", "\x00"])
def test_a_bidi_override_or_control_character_in_a_name_is_a_field_error(
    client: Client, world: World, character: str
):
    browser = Browser(client, OUT_OF_RANGE)
    response = post_body(browser, valid_body(browser, last_name=f"Svens{character}son"))
    assert response.status_code == 422
    assert "Fältet innehåller tecken som inte är tillåtna" in response.body.decode()
    assert world.orders == []


@pytest.mark.parametrize(
    "charset", ["iso-8859-1", "latin-1", "windows-1252", "utf-16", "utf-7", "x-unknown", ""]
)
def test_a_form_body_in_another_charset_is_a_400_page_and_nothing_is_stored(
    client: Client, world: World, charset: str
):
    browser = Browser(client, OUT_OF_RANGE)
    body = valid_body(browser, city="Ume\xe5").replace(b"Ume%C3%A5", b"Ume%E5")

    response = post_body(browser, body, f"application/x-www-form-urlencoded; charset={charset}")

    assert response.status_code == 400
    assert "Felaktig förfrågan" in response.body.decode()
    assert world.orders == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded; charset=UTF-8",
        'application/x-www-form-urlencoded; charset="utf-8"',
        "application/x-www-form-urlencoded;charset=utf8",
        "Application/X-WWW-Form-Urlencoded",
    ],
)
def test_a_form_body_declared_utf_8_is_read(client: Client, world: World, content_type: str):
    browser = Browser(client, OUT_OF_RANGE)
    review = post_body(browser, valid_body(browser, city="Umeå"), content_type)
    assert review.status_code == 200, review.body
    assert "Umeå" in review.body.decode()
    confirm = [*hidden_inputs(review.body.decode()), ("step", "confirm"), ("accept_terms", "on")]
    response = post_body(browser, urlencode(confirm).encode(), content_type)
    assert response.status_code == 303, response.body
    [order] = world.orders
    assert order.customer.city == "Umeå"


@pytest.mark.parametrize(("name", "value"), [("accept_terms", "on"), ("step", "confirm")])
def test_a_review_field_sent_twice_on_confirm_is_a_400_page_and_nothing_is_stored(
    client: Client, world: World, name: str, value: str
):
    browser = Browser(client, OUT_OF_RANGE)
    confirm = reviewed(browser, f"/order/{OFFER}", {**valid_answers(), **open_form(browser)})

    response = browser.post_form(f"/order/{OFFER}", [*confirm, (name, value)])

    assert response.status_code == 400
    assert world.orders == []


def test_a_form_body_declaring_more_than_one_media_type_is_a_400(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    both = "text/plain, application/x-www-form-urlencoded"
    assert post_body(browser, valid_body(browser), both).status_code == 400
    assert world.orders == []


@pytest.mark.parametrize("name", ["first_name", "email", "router", "lang"])
def test_a_field_sent_twice_is_a_400_page_and_nothing_is_stored(
    client: Client, world: World, name: str
):
    browser = Browser(client, OUT_OF_RANGE)
    body = valid_body(browser, lang="sv")
    value = dict(valid_answers(lang="sv"))[name]

    response = post_body(browser, body + b"&" + urlencode({name: value}).encode())

    assert response.status_code == 400
    page = response.body.decode()
    assert '<html lang="sv">' in page and "Felaktig förfrågan" in page
    assert world.orders == []


@pytest.mark.parametrize("path", ["/offers", f"/order/{OFFER}", "/unidentified"])
def test_a_query_parameter_given_twice_is_a_400_page(client: Client, path: str):
    response = Browser(client, OUT_OF_RANGE).get(f"{path}?lang=sv&lang=en")
    assert response.status_code == 400
    page = response.body.decode()
    assert '<html lang="sv">' in page and "Felaktig förfrågan" in page


def test_a_repeated_query_parameter_on_the_order_post_is_a_400(client: Client, world: World):
    browser = Browser(client, OUT_OF_RANGE)
    path = f"/order/{OFFER}?lang=en&lang=en"
    assert post_body(browser, valid_body(browser), path=path).status_code == 400
    assert world.orders == []
