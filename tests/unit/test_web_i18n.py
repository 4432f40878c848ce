"""Swedish by default; English with ?lang=en or a browser that prefers English (Babel
negotiates the Accept-Language header against the two languages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from chalice.test import Client

from app import app
from chalicelib.web.i18n import LANGUAGES, choose_language, preferred_by_browser, ranked_tags
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
    locale = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "locale"
    for language in ("sv", "en"):
        with (locale / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po)
        assert len(catalog) > 50, language
        # A plural message's translation is a tuple of forms: each must be there.
        forms = [
            f
            for m in catalog
            if m.id
            for f in (m.string if isinstance(m.string, tuple) else (m.string,))
        ]
        assert all(f.strip() for f in forms), language


# --- negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "sv"),  # no header: Swedish
        ("", "sv"),
        ("en", "en"),
        ("en-US", "en"),  # a region of one of ours is ours
        ("EN-gb", "en"),  # tags are case-insensitive
        ("sv-FI,en;q=0.5", "sv"),
        ("sv;q=0.4, en;q=0.8", "en"),  # the higher q wins, wherever it stands
        ("en;q=0.4, sv;q=0.8", "sv"),
        ("en;q=0.8, sv;q=0.8", "en"),  # equal q: the header's order
        ("sv;q=0.8, en;q=0.8", "sv"),
        ("en;q=0", "sv"),  # q=0 means "not this one"
        ("en;q=1.0;level=1", "en"),
        ("fr-FR,de;q=0.9", "sv"),  # only languages we do not have: the default
        ("*", "sv"),
        ("x" * 2000, "sv"),
        ("nonsense;;;,,,q=", "sv"),
    ],
)
def test_negotiation_defaults_to_swedish_and_honours_q_values(header: str | None, expected: str):
    assert choose_language(None, None, header) == expected


def test_the_header_is_ranked_by_q_then_order():
    assert ranked_tags("da, en-GB;q=0.8, sv;q=0.9, fi;q=0") == ["da", "sv", "en-GB"]
    assert ranked_tags(None) == []


def test_only_our_two_languages_are_offered():
    assert LANGUAGES == ("sv", "en")


def test_swedish_by_default(client: Client):
    page = Browser(client, OUT_OF_RANGE).get("/offers").body.decode()
    assert '<html lang="sv">' in page
    assert "Tjänster i" in page


@pytest.mark.parametrize("header", ["fr-FR,fr;q=0.9", "de", "*", "en;q=0"])
def test_an_unknown_or_refused_language_gets_the_swedish_page(client: Client, header: str):
    page = Browser(client, OUT_OF_RANGE).get("/offers", headers={"accept-language": header})
    assert '<html lang="sv">' in page.body.decode()
    assert "Tjänster i" in page.body.decode()


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
    assert "Continue to review" in page
    assert '<html lang="sv">' in browser.get("/offers?lang=sv").body.decode()


def test_language_switch_link_keeps_the_page(client: Client):
    page = Browser(client, OUT_OF_RANGE).get("/offers?city_network=test-stadsnat").body.decode()
    assert 'href="/offers?city_network=test-stadsnat&amp;lang=en"' in page


def test_error_pages_follow_the_language(client: Client):
    response = Browser(client, OUT_OF_RANGE).get("/order/nope?lang=en")
    assert response.status_code == 404
    assert "Page not found" in response.body.decode()
