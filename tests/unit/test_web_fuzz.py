"""Property: whatever is posted to the order route, the answer is a 4xx or the form again
(or, for a body that happens to be a valid order, the redirect to its receipt); never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote_from_bytes, urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from tests.hypothesis_profiles import scaled
from tests.unit.test_forms_properties import assert_plain_text
from tests.unit.web_fakes import (
    OUT_OF_RANGE,
    Browser,
    World,
    build_world,
    hidden,
    identified_browser,
    installed,
    not_deliverable,
    valid_answers,
)

FIELDS = [
    *valid_answers(),
    "apartment_number",
    "requested_date",
    "marketing_consent",
    "static_ip",
    "referral_code",
    "installation_help",
    "keep_number",
    "set_top_boxes",
    "csrf_token",
    "submission_id",
    "lang",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
    "",
]

raw_values = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(quote_from_bytes),
    st.sampled_from(["", "on", "off", "%", "%zz", "%ff%fe", "\x00", "9" * 40, "-1", "1e9"]),
)


@st.composite
def form_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["pairs", "binary", "huge", "mutated", "repeated"]))
    if kind == "binary":
        return draw(st.binary(max_size=3000))
    if kind == "huge":
        size = draw(st.sampled_from([70_000, 200_000]))
        return b"first_name=" + b"A" * size
    names = st.one_of(st.sampled_from(FIELDS), st.text(max_size=20))
    if kind == "repeated":
        name = draw(st.sampled_from(FIELDS))
        count = draw(st.integers(min_value=2, max_value=400))
        return "&".join(f"{name}={i}" for i in range(count)).encode()
    pairs = draw(st.lists(st.tuples(names, raw_values), max_size=25))
    if kind == "mutated":
        base = list(valid_answers().items())
        return (urlencode(base) + "&" + "&".join(f"{k}={v}" for k, v in pairs)).encode(
            "utf-8", errors="surrogatepass"
        )
    return "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", errors="surrogatepass")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with installed(build_world()) as world:
        yield world


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[Client]:
    with Client(app) as client:
        yield client


@pytest.fixture(scope="module")
def visitors(client: Client, world: World) -> dict[str, tuple[Browser, dict[str, str]]]:
    """An unidentified visitor with a form open, an identified one, and one without a session."""
    world.city_network.deliverable_by_uid["TV-BAS"] = not_deliverable("426")
    result = {}
    unidentified = Browser(client, OUT_OF_RANGE)
    identified = identified_browser(client, world)
    for name, browser in (("unidentified", unidentified), ("identified", identified)):
        page = browser.get("/order/tl-internet-100").body.decode()
        result[name] = (browser, {"csrf_token": hidden(page, "csrf_token")})
    result["stranger"] = (Browser(client, OUT_OF_RANGE), {})
    return result


@settings(
    max_examples=scaled(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=form_bodies(),
    content_type=st.one_of(st.sampled_from(CONTENT_TYPES[:2]), st.sampled_from(CONTENT_TYPES)),
    who=st.sampled_from(["unidentified", "identified", "stranger"]),
    with_token=st.booleans(),
    offer_id=st.sampled_from(["tl-internet-100", "tl-tv", "fiber-tel", "no-such-offer"]),
)
def test_order_route_never_answers_5xx(
    world: World,
    visitors,
    body: bytes,
    content_type: str,
    who: str,
    with_token: bool,
    offer_id: str,
):
    browser, tokens = visitors[who]
    if with_token and tokens:
        body = urlencode(tokens).encode() + b"&" + body
    headers = {"content-type": content_type} if content_type else {}
    cookie = browser.cookie
    response = browser.request("POST", f"/order/{offer_id}", headers=headers, body=body)
    browser.cookie = cookie  # every example starts from the same visit

    assert response.status_code < 500, response.body[:500]
    assert response.status_code in (200, 303) or 400 <= response.status_code < 500
    # Whatever got through is plain text: no replacement character, no control or format
    # character (bidi overrides, zero widths) in a stored customer
    for order in world.orders:
        assert_plain_text(order.customer)
    # and a body with a name twice never reaches the form (the same page everywhere)
    if response.status_code in (200, 303) and content_type in CONTENT_TYPES[:2]:
        sent = [pair.split(b"=", 1)[0] for pair in body.split(b"&") if pair]
        assert len(set(sent)) == len(sent), body[:200]
