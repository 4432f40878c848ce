"""Ambiguity is refused, not resolved, on the customer web as on the provider API: a query
parameter or a form field given twice is a 400 page (which of the two would a proxy, a log,
the CSRF check or the validator have seen?), on every route, before anything happens."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from app import app
from tests.unit.test_web_ordering import OFFER, open_form
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    identified_browser,
    installed,
    valid_answers,
)


@pytest.fixture
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


def customer_routes() -> list[tuple[str, str]]:
    """Every page route of the customer web (the stylesheet is a file, not a page)."""
    return sorted(
        (method, path)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if entry.view_function.__module__ == "chalicelib.web.routes"
        and not path.startswith("/static/")
    )


def test_the_customer_web_has_its_pages_here() -> None:
    assert {path for _, path in customer_routes()} >= {
        "/", "/identify/callback", "/offers", "/order/{offer_id}", "/orders/{order_id}",
    }  # fmt: skip


def concrete(path: str) -> str:
    return path.replace("{offer_id}", OFFER).replace("{order_id}", "ord_" + "0" * 26)


@pytest.mark.parametrize(("method", "path"), customer_routes(), ids=lambda r: str(r))
@pytest.mark.parametrize("query", ["lang=sv&lang=sv", "lang=sv&lang=en", "nonce=a&nonce=b"])
def test_a_repeated_query_parameter_is_a_400_page_on_every_route(
    client: Client, world: World, method: str, path: str, query: str
) -> None:
    browser = identified_browser(client, world)
    tokens = open_form(browser)
    world.city_network.calls.clear()
    body = urlencode({**valid_answers(), **tokens}).encode() if method == "POST" else b""
    headers = {"content-type": "application/x-www-form-urlencoded"} if method == "POST" else {}

    response = browser.request(method, f"{concrete(path)}?{query}", headers=headers, body=body)

    assert response.status_code == 400
    page = response.body.decode()
    assert '<html lang="sv">' in page and "Felaktig förfrågan" in page
    assert world.orders == []
    assert world.city_network.calls == []


@pytest.mark.parametrize("name", [*valid_answers(), "csrf_token", "submission_id", "unknown"])
def test_a_repeated_form_field_is_a_400_page_whatever_the_field(
    client: Client, world: World, name: str
) -> None:
    browser = Browser(client, OUT_OF_RANGE)
    fields = [*valid_answers().items(), *open_form(browser).items(), (name, "x"), (name, "x")]

    response = browser.post_form(f"/order/{OFFER}", fields)

    assert response.status_code == 400
    assert "Felaktig förfrågan" in response.body.decode()
    assert world.orders == []
