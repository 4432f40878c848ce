"""Builders shared by the provider API tests: valid orders, stored one after another on a
`tests.fakes.FixedClock`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.ids import new_order_id
from chalicelib.domain.models import (
    Activation,
    ActivationState,
    Category,
    Customer,
    Order,
    OrderStatus,
    Reason,
    Service,
)
from chalicelib.domain.ports import OrderStore
from tests.fakes import ACCESS_ID, NETWORK_ID, FixedClock

# The provider API tests' "now" (their dates in the past and future are relative to it).
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def customer() -> Customer:
    return Customer(
        first_name="Anna",
        last_name="Andersson",
        personal_number="199001011234",
        email="anna@example.se",
        phone="+46701234567",
        street_address="Storgatan 1",
        postal_code="12345",
        city="Umeå",
    )


def make_order(
    provider_id: str,
    at: datetime,
    *,
    activation_state: ActivationState = ActivationState.REFUSED,
    status: OrderStatus = OrderStatus.NEW,
    identified: bool = True,
    **changes: Any,
) -> Order:
    reason = (
        Reason(code="409", message="CPE must be configured")
        if activation_state in (ActivationState.REFUSED, ActivationState.FAILED)
        else None
    )
    data: dict[str, Any] = {
        "id": new_order_id(at),
        "provider_id": provider_id,
        "offer_id": f"{provider_id}-internet-100",
        "city_network_id": NETWORK_ID if identified else None,
        "access_id": ACCESS_ID if identified else None,
        "identified": identified,
        "service": Service(uid="BB100", category=Category.INTERNET, name="Bredband 100/100"),
        "customer": customer(),
        "details": {"speed": "100/100"},
        "extra": {},
        "activation": Activation(
            state=activation_state,
            reason=reason,
            attempts=1,
            updated_at=at,
            attempt_id="att_01J0000000000000000000000A",
        ),
        "status": status,
        "created_at": at,
        "updated_at": at,
        "receipt_token_hash": "ab" * 32,
    }
    data.update(changes)
    return Order.model_validate(data)


def store_order(orders: OrderStore, clock: FixedClock, provider_id: str, **kwargs: Any) -> Order:
    """A new order one millisecond after the previous one, so ids sort by creation."""
    order = make_order(provider_id, clock.advance(milliseconds=1), **kwargs)
    orders.create(order, [])
    return order
