"""Fakes and a tiny cookie-keeping browser for the customer web's unit tests."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import chalice.local
from chalice.test import Client

from chalicelib.domain.citynet import (
    CallResult,
    DeliverableResult,
    PortStatusResult,
    ServiceOrderResult,
)
from chalicelib.domain.identification import BounceResult, bounce_signature
from chalicelib.domain.models import (
    Category,
    CityNetwork,
    Offer,
    PortStatus,
    Provider,
)
from chalicelib.web import identification
from chalicelib.wiring import Services, in_memory_services, use_services

NETWORK_ID = "test-stadsnat"
BOUNCE_SECRET = "test-bounce-secret"
IN_RANGE = "10.1.2.3"
OUT_OF_RANGE = "192.0.2.10"
ACCESS_ID = "ACC-123-OK"


@dataclass
class FakeCityNetwork:
    """Answers like a city network; counts every call by method."""

    port: PortStatus | None = None
    port_outcome: str = "ok"
    deliverable: dict[str, DeliverableResult] = field(default_factory=dict)
    order_outcome: str = "ok"
    order_code: str | None = None
    order_message: str | None = None
    calls: Counter[str] = field(default_factory=Counter)
    accesses: list[str] = field(default_factory=list)

    def port_status(self, access_id: str) -> PortStatusResult:
        self.calls["port_status"] += 1
        self.accesses.append(access_id)
        port = self.port or PortStatus(access_id=access_id)
        if self.port_outcome != "ok":
            return PortStatusResult(
                method="port_status", outcome="transient", code="timeout", duration_ms=5
            )
        return PortStatusResult(method="port_status", outcome="ok", duration_ms=3, port=port)

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult:
        self.calls["service_deliverable"] += 1
        self.accesses.append(access_id)
        return self.deliverable.get(service_uid) or DeliverableResult(
            method="service_deliverable", outcome="ok", code="200", duration_ms=4
        )

    def service_order(
        self,
        access_id: str,
        service_uid: str,
        activation_date: date,
        *,
        origin: str = "customer",
        order_ref: str | None = None,
    ) -> ServiceOrderResult:
        self.calls["service_order"] += 1
        self.accesses.append(access_id)
        return ServiceOrderResult(
            method="service_order",
            outcome=self.order_outcome,  # type: ignore[arg-type]
            code=self.order_code,
            message=self.order_message,
            duration_ms=6,
        )

    def service_deactivate(
        self, access_id: str, service_uid: str, deactivation_date: date
    ) -> CallResult:
        self.calls["service_deactivate"] += 1
        return CallResult(method="service_deactivate", outcome="ok", duration_ms=1)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@dataclass
class FakeCityNetworks:
    network: FakeCityNetwork = field(default_factory=FakeCityNetwork)

    def for_city_network(self, city_network_id: str) -> FakeCityNetwork:
        return self.network


def refused(code: str, message: str | None = None) -> DeliverableResult:
    return DeliverableResult(
        method="service_deliverable", outcome="refused", code=code, message=message, duration_ms=4
    )


OFFERS = (
    Offer(
        id="tl-internet-100",
        provider_id="test-tl",
        city_network_id=NETWORK_ID,
        service_uid="BB100",
        category=Category.INTERNET,
        name="Bredband 100/100",
        monthly_price_sek=299,
        binding_months=12,
        extension_form_id="demo-tl",
    ),
    Offer(
        id="tl-tv",
        provider_id="test-tl",
        city_network_id=NETWORK_ID,
        service_uid="TV-BAS",
        category=Category.TV,
        name="TV bas",
        monthly_price_sek=149,
        binding_months=0,
    ),
    Offer(
        id="fiber-tel",
        provider_id="fiber-ab",
        city_network_id=NETWORK_ID,
        service_uid="TEL-VOIP",
        category=Category.TELEPHONY,
        name="IP-telefoni",
        monthly_price_sek=99,
        binding_months=0,
    ),
)


@dataclass
class World:
    services: Services
    city_network: FakeCityNetwork

    @property
    def orders(self) -> list[Any]:
        store = self.services.deps.orders
        return [store.get(order_id) for order_id in list(store._orders)]  # type: ignore[attr-defined]


def build_world(*, second_network: bool = False) -> World:
    fake = FakeCityNetworks()
    services = in_memory_services(
        city_networks=fake, secrets={"test-stadsnat/api/bounce": BOUNCE_SECRET}
    )
    catalog = services.deps.catalog
    catalog.put_city_network(
        CityNetwork(
            id=NETWORK_ID,
            name="Teststadsnätet",
            api_url="http://127.0.0.1:9/da",
            bounce_url="http://bounce.test/bounce",
            ip_ranges=("10.0.0.0/8",),
            credentials_ref="test-stadsnat/api",
        )
    )
    if second_network:
        catalog.put_city_network(
            CityNetwork(
                id="andra-natet",
                name="Andra nätet",
                api_url="http://127.0.0.1:9/da",
                bounce_url="http://bounce2.test/bounce",
                ip_ranges=("172.16.0.0/12",),
                credentials_ref="andra-natet/api",
            )
        )
    catalog.put_provider(Provider(id="test-tl", name="Test TL"))
    catalog.put_provider(Provider(id="fiber-ab", name="Fiber AB"))
    for offer in OFFERS:
        catalog.put_offer(offer)
    return World(services=services, city_network=fake.network)


@contextmanager
def installed(world: World, *, bounce_alive: bool = True) -> Iterator[World]:
    use_services(world.services)
    original = identification.bounce_probe.probe
    identification.bounce_probe.forget()
    identification.bounce_probe.probe = lambda url, deadline_s: bounce_alive  # type: ignore[method-assign]
    try:
        yield world
    finally:
        identification.bounce_probe.probe = original  # type: ignore[method-assign]
        identification.bounce_probe.forget()
        use_services(None)


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
) -> dict[str, str]:
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
        "sig": bounce_signature(secret.encode(), result),
    }


def callback_path(params: dict[str, str]) -> str:
    return "/identify/callback?" + urlencode(params)


def hidden(page_html: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', page_html)
    assert match, f"no hidden field {name}"
    return match.group(1)


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
        "accept_terms": "on",
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


def now_utc() -> datetime:
    return datetime.now(UTC)
