"""A provider's stored extension form on the customer web: the signed, read-only preview
(web/preview.py) and the order form of the provider's offers (web/form_source.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.form_preview import preview_url
from chalicelib.domain.provider_forms import ProviderForm, add_form_version
from chalicelib.web.i18n import gettext_callables
from tests.fakes import OTHER_PROVIDER_ID, PROVIDER_ID, FixedClock
from tests.unit.test_extension_form_checks import a_form
from tests.unit.test_web_ordering import open_form
from tests.unit.web_fakes import (
    Browser,
    World,
    build_world,
    identified_browser,
    installed,
    review_and_confirm,
    valid_answers,
)

OFFER = "tl-internet-100"  # PROVIDER_ID's, with the demo-tl extension from forms/


@pytest.fixture
def clock() -> FixedClock:
    # Now, not a fixed date: the bounce's signed timestamps are checked against it.
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def world(clock: FixedClock) -> Iterator[World]:
    with installed(build_world(clock=clock)) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def store(world: World, provider_id: str = PROVIDER_ID, **fields: object) -> ProviderForm:
    adapters = world.adapters
    return add_form_version(
        adapters.provider_forms,
        adapters.form_definitions,
        provider_id,
        a_form(**fields),
        now=adapters.clock.now(),
    )


def url_of(world: World, form: ProviderForm) -> str:
    adapters = world.adapters
    return preview_url(adapters.signing_key, form.provider_id, form.version, adapters.clock.now())


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


# --- the preview -----------------------------------------------------------------------


def test_the_preview_shows_the_composed_form_with_the_providers_field(
    client: Client, world: World
) -> None:
    page = Browser(client).get(url_of(world, store(world)))
    assert page.status_code == 200, page.body
    text = page.body.decode()
    # Base, category and the provider's own fieldset, with the provider's fields
    for fieldset in ("group-base", "group-internet", "group-extension"):
        assert f'id="{fieldset}"' in text
    assert 'name="customer_number"' in text and "Kundnummer" in text
    assert 'name="referral_code"' not in text  # the stored form replaces the file's
    assert "Bredband 100/100" in text  # the provider's own offer in that category


def test_the_preview_is_read_only_and_says_so(client: Client, world: World) -> None:
    text = Browser(client).get(url_of(world, store(world))).body.decode()
    sv = gettext_callables("sv")["gettext"]
    assert sv("Preview") == "Förhandsvisning"
    assert 'id="preview-banner"' in text and "Förhandsvisning" in text
    assert 'name="csrf_token"' not in text and 'name="submission_id"' not in text
    assert 'method="post"' not in text
    assert 'value="review" disabled>' in text


def test_the_preview_speaks_english_too(client: Client, world: World) -> None:
    url = with_query(url_of(world, store(world)), lang="en")
    text = Browser(client).get(url).body.decode()
    assert "Preview" in text and "Customer number" in text


def test_the_preview_sets_no_session_cookie(client: Client, world: World) -> None:
    response = Browser(client).get(url_of(world, store(world)))
    assert not (response.headers.get("Set-Cookie") or response.headers.get("set-cookie"))


def test_the_preview_shows_any_category_and_refuses_an_unknown_one(
    client: Client, world: World
) -> None:
    url = url_of(world, store(world))
    tv = Browser(client).get(with_query(url, category="tv")).body.decode()
    assert 'id="group-tv"' in tv and 'name="customer_number"' in tv
    assert Browser(client).get(with_query(url, category="radio")).status_code == 404


def test_a_wrong_tampered_or_expired_signature_is_a_404(
    client: Client, world: World, clock: FixedClock
) -> None:
    form = store(world)
    url = url_of(world, form)
    store(world, referral_two={"type": "boolean", "x-ui": {
        "order": 1, "label": {"sv": "Två", "en": "Two"}, "widget": "checkbox"}})  # fmt: skip
    browser = Browser(client)
    assert browser.get(with_query(url, sig="A" * 43)).status_code == 404
    assert browser.get(with_query(url, version="2")).status_code == 404
    assert browser.get(with_query(url, expires="9999999999")).status_code == 404
    assert browser.get(url.split("&sig=")[0]).status_code == 404
    foreign = url.replace(f"/preview/form/{PROVIDER_ID}", f"/preview/form/{OTHER_PROVIDER_ID}")
    assert browser.get(foreign).status_code == 404
    assert browser.get(url).status_code == 200
    clock.advance(days=8)
    assert browser.get(url).status_code == 404


def test_a_signed_url_of_a_version_never_stored_is_a_404(client: Client, world: World) -> None:
    adapters = world.adapters
    url = preview_url(adapters.signing_key, PROVIDER_ID, 7, adapters.clock.now())
    assert Browser(client).get(url).status_code == 404


# --- the provider's offers use the stored form -----------------------------------------


def test_the_providers_order_form_asks_the_stored_forms_questions(
    client: Client, world: World
) -> None:
    browser = identified_browser(client, world)
    before = browser.get(f"/order/{OFFER}").body.decode()
    assert 'name="referral_code"' in before  # the operator's file, until a form is stored
    store(world)
    after = browser.get(f"/order/{OFFER}").body.decode()
    assert 'name="customer_number"' in after and 'name="referral_code"' not in after
    # Another provider's offers are untouched
    other = browser.get("/order/fiber-internet-1000").body.decode()
    assert 'name="customer_number"' not in other


def test_an_order_keeps_the_answers_to_the_stored_forms_questions(
    client: Client, world: World
) -> None:
    store(world)
    browser = identified_browser(client, world)
    tokens = open_form(browser, OFFER)
    answers = {**valid_answers(), **tokens, "customer_number": "123456", "newsletter": "on"}
    response = review_and_confirm(browser, f"/order/{OFFER}", answers)
    assert response.status_code == 303, response.body
    [order] = world.orders
    assert order.extra == {"customer_number": "123456", "newsletter": True}


def test_a_changed_form_reaches_the_next_page_view(client: Client, world: World) -> None:
    store(world)
    browser = identified_browser(client, world)
    assert 'name="loyalty_id"' not in browser.get(f"/order/{OFFER}").body.decode()
    store(world, loyalty_id={"type": "string", "x-ui": {
        "order": 30, "label": {"sv": "Lojalitets-id", "en": "Loyalty id"},
        "widget": "text"}})  # fmt: skip
    assert 'name="loyalty_id"' in browser.get(f"/order/{OFFER}").body.decode()
