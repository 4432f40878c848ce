"""The customer web's unit-test world (the tests' catalog, a scripted city network, a bounce
server that answers or not) and a tiny cookie-keeping browser."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import chalice.local
from chalice.test import Client

from chalicelib.adapters.citynet.bounce_probe import BounceProbe
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.composition import TEST_SECRETS, InMemoryAdapters, use
from chalicelib.domain.clock import Clock
from chalicelib.domain.identification import BounceResult, bounce_signature
from chalicelib.domain.models import ON_API, CityNetwork, Offer, Order
from chalicelib.domain.portal import hand_over_hash
from chalicelib.settings import Settings
from tests.fakes import (
    ACCESS_ID,
    CREDENTIALS_REF,
    IN_RANGE,
    NETWORK_ID,
    OUT_OF_RANGE,
    FakeCityNetwork,
    FakeCityNetworks,
    catalog_offers,
    not_deliverable,
    seed_test_catalog,
)

__all__ = [
    "ACCESS_ID",
    "BOUNCE_SECRET",
    "IN_RANGE",
    "NETWORK_ID",
    "ONAPI_ACCESS_ID",
    "ONAPI_IN_RANGE",
    "ONAPI_KO",
    "ONAPI_NETWORK",
    "OUT_OF_RANGE",
    "PORTAL_KEY",
    "PORTAL_URL",
    "RETURN_URL",
    "Browser",
    "FakeBounceProbe",
    "World",
    "build_world",
    "callback_path",
    "hidden",
    "hidden_inputs",
    "identified_browser",
    "installed",
    "location",
    "not_deliverable",
    "portal_hand_over",
    "portal_path",
    "query_of",
    "review_and_confirm",
    "reviewed",
    "signed_callback",
    "valid_answers",
]

BOUNCE_SECRET = "test-bounce-secret"
# Where the app sends the bounce server back to: the Browser's Host, no PUBLIC_BASE_URL.
RETURN_URL = "http://portal.test/identify/callback"
SECOND_NETWORK = CityNetwork(
    id="andra-natet",
    name="Andra nätet",
    api_url="http://127.0.0.1:9/da",
    bounce_url="http://bounce2.test/bounce",
    ip_ranges=("172.16.0.0/12",),
    credentials_ref="andra-natet/api",
)


# An ON-API network carved out of the Direct Activation network's 10.0.0.0/8: the more
# specific range wins, so its visitors go to its portal (build_world(on_api_network=True)).
PORTAL_URL = "http://portal.onapi.test/portal"
PORTAL_KEY = "test-portal-key"
ONAPI_KO = "test-ko"
ONAPI_IN_RANGE = "10.9.0.5"
ONAPI_ACCESS_ID = "ONAPI-ACC-1"
ONAPI_MAC = "02:00:00:0A:0B:0C"
ONAPI_NETWORK = CityNetwork(
    id="test-onapi",
    name="ON-API-nätet",
    protocol=ON_API,
    api_url="http://127.0.0.1:9/onapi/2.6/",
    portal_url=PORTAL_URL,
    co_id=ONAPI_KO,
    ip_ranges=("10.9.0.0/16",),
    credentials_ref="test-onapi/api",
)


class FakeBounceProbe(BounceProbe):
    """The real probe (its per-network memory included) over a bounce server that answers
    or not, as the test says, without any HTTP."""

    def __init__(self, alive: bool = True) -> None:
        super().__init__(deadline_s=0.1)
        self.alive = alive
        self.probed: list[str] = []

    def probe(self, url: str) -> bool:
        self.probed.append(url)
        return self.alive


@dataclass
class World:
    adapters: InMemoryAdapters
    city_network: FakeCityNetwork
    bounce_probe: FakeBounceProbe

    @property
    def orders(self) -> list[Order]:
        store = self.adapters.orders
        return [store.get(order_id) for order_id in list(store._orders)]  # type: ignore[attr-defined]


def build_world(
    *,
    second_network: bool = False,
    on_api_network: bool = False,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> World:
    """In-memory adapters over the tests' catalog; the system clock unless one is given.
    `on_api_network` adds ONAPI_NETWORK (with the test offers under `onapi-` ids)."""
    fake = FakeCityNetworks()
    probe = FakeBounceProbe()
    given: dict[str, Any] = {"clock": clock} if clock is not None else {}
    adapters = InMemoryAdapters(
        settings,
        city_networks=fake,
        bounce_probe=probe,
        secrets=StaticSecrets(
            {
                **TEST_SECRETS,
                f"{CREDENTIALS_REF}/bounce": BOUNCE_SECRET,
                f"{ONAPI_NETWORK.credentials_ref}/portal": PORTAL_KEY,
            }
        ),
        **given,
    )
    seed_test_catalog(adapters.catalog)
    if second_network:
        adapters.catalog.put_city_network(SECOND_NETWORK)
    if on_api_network:
        adapters.catalog.put_city_network(ONAPI_NETWORK)
        for offer in catalog_offers(ONAPI_NETWORK.id):
            adapters.catalog.put_offer(_renamed(offer, f"onapi-{offer.id}"))
    return World(adapters=adapters, city_network=fake.network, bounce_probe=probe)


def _renamed(offer: Offer, offer_id: str) -> Offer:
    return offer.model_copy(update={"id": offer_id})


@contextmanager
def installed(world: World, *, bounce_alive: bool = True) -> Iterator[World]:
    world.bounce_probe.alive = bounce_alive
    world.bounce_probe.forget()
    use(world.adapters)
    try:
        yield world
    finally:
        use(None)


class Browser:
    """chalice.test.Client with a cookie jar and a chosen source address."""

    def __init__(self, client: Client, address: str = IN_RANGE) -> None:
        self.client = client
        self.address = address
        self.cookie: str | None = None
        self.last: Any = None

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes = b"") -> Any:  # fmt: skip
        all_headers = {"host": "portal.test", **(headers or {})}
        if self.cookie:
            all_headers["cookie"] = f"sf_session={self.cookie}"
        previous = chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP
        chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP = self.address
        try:
            response = self.client.http.request(method, path, headers=all_headers, body=body)
        finally:
            chalice.local.LambdaEventConverter.LOCAL_SOURCE_IP = previous
        set_cookie = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0].split("=", 1)[1]
        self.last = response
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, Any] | list[tuple[str, str]],
                  **kwargs: Any) -> Any:  # fmt: skip
        body = urlencode(fields, doseq=True).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, headers=headers, body=body, **kwargs)

    def text(self) -> str:
        return self.last.body.decode()


def location(response: Any) -> str:
    return response.headers.get("Location") or response.headers.get("location") or ""


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def signed_callback(
    nonce: str,
    *,
    status: str = "ok",
    uid: str = ACCESS_ID,
    message: str = "",
    expires: int | None = None,
    secret: str = BOUNCE_SECRET,
    return_url: str = RETURN_URL,
) -> dict[str, str]:
    """What the bounce server sends back for `nonce` when asked to return to `return_url`."""
    result = BounceResult(
        status=status,
        uid=uid,
        message=message,
        nonce=nonce,
        expires=expires if expires is not None else int(time.time()) + 120,
    )
    return {
        "status": status,
        "uid": uid,
        "message": message,
        "nonce": nonce,
        "expires": str(result.expires),
        "sig": bounce_signature(secret.encode(), result, return_url=return_url),
    }


def callback_path(params: dict[str, str]) -> str:
    return "/identify/callback?" + urlencode(params)


def portal_hand_over(
    nonce: str,
    *,
    ko: str = ONAPI_KO,
    access_id: str = ONAPI_ACCESS_ID,
    mac: str = ONAPI_MAC,
    tid: str | None = None,
    key: str = PORTAL_KEY,
) -> dict[str, str]:
    """What the ON-API portal adds to our return URL (which carries `n`) for `access_id`."""
    moment = datetime.now(UTC)
    stamp = tid or moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return {
        "n": nonce,
        "ko": ko,
        "accessId": access_id,
        "mac": mac,
        "tid": stamp,
        "hash": hand_over_hash(key.encode(), ko, access_id, mac, stamp),
    }


def portal_path(params: dict[str, str]) -> str:
    return "/identify/on-api?" + urlencode(params)


def hidden(page_html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page_html)
    assert match, f"no hidden field {name}"
    return match.group(1)


_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_inputs(page_html: str) -> list[tuple[str, str]]:
    """Every hidden input of a page, in order, as a browser would post them."""
    return [(name, html.unescape(value)) for name, value in _HIDDEN_INPUT.findall(page_html)]


def reviewed(
    browser: Browser,
    path: str,
    fields: dict[str, Any],
    *,
    accept_terms: bool = True,
    early_start: bool = True,
    **kwargs: Any,
) -> list[tuple[str, str]]:
    """Send an order form as a customer does: its POST must show the review page (200);
    the fields that page's own form sends with step=confirm, the consents ticked as asked
    (early_start only where the page asks it)."""
    review = browser.post_form(path, fields, **kwargs)
    assert review.status_code == 200, review.body
    page = review.body.decode()
    assert 'name="step" value="confirm"' in page, "not the review page"
    confirm = [*hidden_inputs(page), ("step", "confirm")]
    if accept_terms:
        confirm.append(("accept_terms", "on"))
    if early_start and 'name="early_start"' in page:
        confirm.append(("early_start", "on"))
    return confirm


def review_and_confirm(browser: Browser, path: str, fields: dict[str, Any], **kwargs: Any) -> Any:
    """The form sent, reviewed and confirmed (reviewed()); the confirm POST's response."""
    return browser.post_form(path, reviewed(browser, path, fields, **kwargs))


def valid_answers(**overrides: str) -> dict[str, str]:
    answers = {
        "first_name": "Anna",
        "last_name": "Svensson",
        "personal_number": "19811218-9876",
        "email": "anna@example.se",
        "phone": "070-123 45 67",
        "street_address": "Storgatan 1",
        "postal_code": "123 45",
        "city": "Storstad",
        "router": "rent",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def identified_browser(client: Client, world: World) -> Browser:
    """A browser that went through a genuine bounce and is identified as ACCESS_ID."""
    browser = Browser(client)
    redirect = browser.get("/")
    assert redirect.status_code == 302, redirect.body
    nonce = query_of(location(redirect))["nonce"]
    response = browser.get(callback_path(signed_callback(nonce)))
    assert location(response) == "/offers"
    return browser
