"""The test doubles every test layer shares: one clock, one scripted city network, one test
catalog (the tests' own, not the local stack's demo data) and one polling helper."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.citynet import (
    CallResult,
    DeliverableResult,
    Outcome,
    PortStatusResult,
    ServiceOrderResult,
)
from chalicelib.domain.models import Category, CityNetwork, Customer, Offer, PortStatus, Provider
from chalicelib.domain.ports import Catalog

# --- time ----------------------------------------------------------------------------------


class FixedClock:
    """Stands still until a test moves it."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def wait_until(condition: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or condition}")
        time.sleep(0.05)


# --- the city network ----------------------------------------------------------------------


def deliverable_ok() -> DeliverableResult:
    return DeliverableResult(method="service_deliverable", outcome="ok", code="200", duration_ms=4)


def not_deliverable(code: str, message: str | None = None) -> DeliverableResult:
    return DeliverableResult(
        method="service_deliverable", outcome="refused", code=code, message=message, duration_ms=4
    )


@dataclass
class FakeCityNetwork:
    """Answers from scripts and records every call. By default everything works: the port
    is open with nothing on it, every service is deliverable, every order succeeds."""

    port: PortStatus | None = None
    port_outcome: Outcome = "ok"
    # Replies for the next port_status calls, before `port`/`port_outcome` apply.
    port_replies: list[PortStatusResult] = field(default_factory=list)
    deliverable: DeliverableResult = field(default_factory=deliverable_ok)
    deliverable_by_uid: dict[str, DeliverableResult] = field(default_factory=dict)
    # Replies for the next service_order calls; then one of `order_outcome`.
    order_replies: list[ServiceOrderResult] = field(default_factory=list)
    order_outcome: Outcome = "ok"
    order_code: str | None = None
    order_message: str | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def port_status(self, access_id: str) -> PortStatusResult:
        self.calls.append(("port_status", {"access_id": access_id}))
        if self.port_replies:
            return self.port_replies.pop(0)
        if self.port_outcome != "ok":
            return PortStatusResult(
                method="port_status", outcome=self.port_outcome, code="timeout", duration_ms=5
            )
        port = self.port or PortStatus(access_id=access_id)
        return PortStatusResult(method="port_status", outcome="ok", duration_ms=2, port=port)

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult:
        self.calls.append(("service_deliverable", {"access_id": access_id, "uid": service_uid}))
        return self.deliverable_by_uid.get(service_uid) or self.deliverable

    def service_order(
        self,
        access_id: str,
        service_uid: str,
        activation_date: date,
        *,
        origin: str = "customer",
        order_ref: str | None = None,
        forced_takeover: bool = False,
    ) -> ServiceOrderResult:
        self.calls.append(
            (
                "service_order",
                {
                    "access_id": access_id,
                    "uid": service_uid,
                    "date": activation_date,
                    "origin": origin,
                    "order_ref": order_ref,
                    "forced_takeover": forced_takeover,
                },
            )
        )
        if self.order_replies:
            return self.order_replies.pop(0)
        return ServiceOrderResult(
            method="service_order",
            outcome=self.order_outcome,
            code=self.order_code,
            message=self.order_message,
            duration_ms=5,
        )

    def service_deactivate(self, access_id: str, service_uid: str, when: date) -> CallResult:
        self.calls.append(("service_deactivate", {"access_id": access_id, "uid": service_uid}))
        return CallResult(method="service_deactivate", outcome="ok", duration_ms=1)

    def network_order(self, network_order_id: str) -> ServiceOrderResult:
        # Direct Activation has no orders to follow; scripted networks answer "unknown".
        self.calls.append(("network_order", {"network_order_id": network_order_id}))
        return ServiceOrderResult(
            method="network_order", outcome="transient", code="unscripted", duration_ms=1
        )

    # --- what happened ---------------------------------------------------------------------

    def methods_called(self) -> list[str]:
        return [method for method, _ in self.calls]

    def count(self, method: str) -> int:
        return self.methods_called().count(method)

    @property
    def total_calls(self) -> int:
        return len(self.calls)

    @property
    def accesses(self) -> list[str]:
        return [params["access_id"] for _, params in self.calls]

    def orders_made(self) -> int:
        return self.count("service_order")

    def order_dates(self) -> list[date]:
        return [params["date"] for method, params in self.calls if method == "service_order"]

    @property
    def origins(self) -> list[str]:
        return [p["origin"] for method, p in self.calls if method == "service_order"]

    @property
    def order_refs(self) -> list[str | None]:
        return [p["order_ref"] for method, p in self.calls if method == "service_order"]

    @property
    def takeovers(self) -> list[bool]:
        return [p["forced_takeover"] for method, p in self.calls if method == "service_order"]


@dataclass
class FakeCityNetworks:
    network: FakeCityNetwork = field(default_factory=FakeCityNetwork)

    def for_city_network(self, city_network_id: str) -> FakeCityNetwork:
        return self.network


# --- the tests' catalog ----------------------------------------------------------------------

NETWORK_ID = "test-stadsnat"
CREDENTIALS_REF = "test-stadsnat/api"
IN_RANGE = "10.1.2.3"
OUT_OF_RANGE = "192.0.2.10"
ACCESS_ID = "ACC-123-OK"
PROVIDER_ID = "test-tl"
OTHER_PROVIDER_ID = "fiber-ab"
PROVIDERS = (
    Provider(id=PROVIDER_ID, name="Test TL"),
    Provider(id=OTHER_PROVIDER_ID, name="Fiber AB"),
)
# The extension form every test-tl offer names (forms/providers/demo-tl.json).
EXTENSION_FORM_ID = "demo-tl"


def catalog_offers(city_network_id: str = NETWORK_ID) -> list[Offer]:
    def offer(**fields: Any) -> Offer:
        return Offer.model_validate({"city_network_id": city_network_id, **fields})

    return [
        offer(
            id="tl-internet-100",
            provider_id=PROVIDER_ID,
            service_uid="BB100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=12,
            extension_form_id=EXTENSION_FORM_ID,
        ),
        offer(
            id="tl-tv",
            provider_id=PROVIDER_ID,
            service_uid="TV-BAS",
            category=Category.TV,
            name="TV bas",
            monthly_price_sek=149,
            binding_months=0,
        ),
        offer(
            id="fiber-tel",
            provider_id=OTHER_PROVIDER_ID,
            service_uid="TEL-VOIP",
            category=Category.TELEPHONY,
            name="IP-telefoni",
            monthly_price_sek=99,
            binding_months=0,
        ),
        offer(
            id="fiber-internet-1000",
            provider_id=OTHER_PROVIDER_ID,
            service_uid="BB1000",
            category=Category.INTERNET,
            name="Fiber 1000/1000",
            monthly_price_sek=449,
            binding_months=24,
        ),
    ]


def catalog_city_network(
    api_url: str = "http://127.0.0.1:9/da", bounce_url: str = "http://bounce.test/bounce"
) -> CityNetwork:
    return CityNetwork(
        id=NETWORK_ID,
        name="Teststadsnätet",
        api_url=api_url,
        bounce_url=bounce_url,
        ip_ranges=("10.0.0.0/8",),
        credentials_ref=CREDENTIALS_REF,
    )


def seed_test_catalog(
    catalog: Catalog,
    api_url: str = "http://127.0.0.1:9/da",
    bounce_url: str = "http://bounce.test/bounce",
) -> None:
    catalog.put_city_network(catalog_city_network(api_url, bounce_url))
    for provider in PROVIDERS:
        catalog.put_provider(provider)
    for offer in catalog_offers():
        catalog.put_offer(offer)


def a_customer(**overrides: Any) -> Customer:
    data: dict[str, Any] = {
        "first_name": "Anna",
        "last_name": "Andersson",
        "personal_number": "199001011239",
        "email": "anna@example.se",
        "phone": "+46701234567",
        "street_address": "Storgatan 1",
        "postal_code": "11122",
        "city": "Stockholm",
    }
    data.update(overrides)
    return Customer.model_validate(data)
