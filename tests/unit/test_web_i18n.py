"""Swedish by default; English with ?lang=en or a browser that prefers English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.web.i18n import TEXTS, choose_language, preferred_by_browser
from tests.unit.web_fakes import OUT_OF_RANGE, Browser, build_world, installed


@pytest.fixture
def client() -> Iterator[Client]:
    with installed(build_world()), Client(app) as client:
        yield client


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("en-US,en;q=0.9", "en"),
        ("sv-SE,sv;q=0.9,en;q=0.8", "sv"),
        ("en;q=0.5,sv;q=0.9", "sv"),
        ("de-DE,en;q=0.7", "en"),
        ("fr,de", None),
        ("en;q=0,sv;q=0.1", "sv"),
        ("en;q=banana", None),
    ],
)
def test_browser_preference(header: str | None, expected: str | None):
    assert preferred_by_browser(header) == expected


def test_explicit_choice_wins_over_session_and_browser():
    assert choose_language("en", "sv", "sv") == "en"
    assert choose_language(None, "en", "sv") == "en"
    assert choose_language("xx", None, None) == "sv"


def test_every_text_has_both_languages():
    assert all(sv.strip() and en.strip() for sv, en in TEXTS.values())


def test_swedish_by_default(client: Client):
    page = Browser(client, OUT_OF_RANGE).get("/offers").body.decode()
    assert '<html lang="sv">' in page
    assert "Tjänster i" in page


def test_english_from_accept_language(client: Client):
    browser = Browser(client, OUT_OF_RANGE)
    page = browser.get("/offers", headers={"accept-language": "en-GB,en;q=0.9"}).body.decode()
    assert '<html lang="en">' in page
    assert "Services in" in page


def test_lang_parameter_switches_and_is_remembered(client: Client):
    browser = Browser(client, OUT_OF_RANGE)
    assert '<html lang="en">' in browser.get("/offers?lang=en").body.decode()
    # later pages without the parameter stay English, even for a Swedish browser
    page = browser.get("/order/tl-tv", headers={"accept-language": "sv"}).body.decode()
    assert '<html lang="en">' in page
    assert "Send the order" in page
    assert '<html lang="sv">' in browser.get("/offers?lang=sv").body.decode()


def test_language_switch_link_keeps_the_page(client: Client):
    page = Browser(client, OUT_OF_RANGE).get("/offers?city_network=test-stadsnat").body.decode()
    assert 'href="/offers?city_network=test-stadsnat&amp;lang=en"' in page


def test_error_pages_follow_the_language(client: Client):
    response = Browser(client, OUT_OF_RANGE).get("/order/nope?lang=en")
    assert response.status_code == 404
    assert "Page not found" in response.body.decode()
