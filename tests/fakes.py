"""In-memory test doubles shared by the unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.citynet import (
    CallResult,
    DeliverableResult,
    PortStatusResult,
    ServiceOrderResult,
)
from chalicelib.domain.models import Customer, PortStatus


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class FakeCityNetwork:
    """Answers from scripts, counts every call. Defaults: everything works."""

    port: PortStatus | None = None
    deliverable: DeliverableResult = field(
        default_factory=lambda: DeliverableResult(
            method="service_deliverable", outcome="ok", code="200", duration_ms=3
        )
    )
    order_replies: list[ServiceOrderResult] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def port_status(self, access_id: str) -> PortStatusResult:
        self.calls.append(("port_status", {"access_id": access_id}))
        port = self.port or PortStatus(access_id=access_id)
        return PortStatusResult(method="port_status", outcome="ok", duration_ms=2, port=port)

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult:
        self.calls.append(("service_deliverable", {"access_id": access_id, "uid": service_uid}))
        return self.deliverable

    def service_order(
        self,
        access_id: str,
        service_uid: str,
        activation_date: date,
        *,
        origin: str = "customer",
        order_ref: str | None = None,
    ) -> ServiceOrderResult:
        self.calls.append(
            (
                "service_order",
                {"access_id": access_id, "uid": service_uid, "date": activation_date},
            )
        )
        if self.order_replies:
            return self.order_replies.pop(0)
        return ServiceOrderResult(method="service_order", outcome="ok", duration_ms=5)

    def service_deactivate(self, access_id: str, service_uid: str, when: date) -> CallResult:
        self.calls.append(("service_deactivate", {"access_id": access_id, "uid": service_uid}))
        return CallResult(method="service_deactivate", outcome="ok", duration_ms=1)

    def methods_called(self) -> list[str]:
        return [method for method, _ in self.calls]


@dataclass
class FakeCityNetworks:
    network: FakeCityNetwork = field(default_factory=FakeCityNetwork)

    def for_city_network(self, city_network_id: str) -> FakeCityNetwork:
        return self.network


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
