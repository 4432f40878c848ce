"""The one way an order's activation is asked of its city network: `service_order` with the
order's outlet, service and our id, and the customer's consent to a forced takeover when
the order carries it (the customer's first attempt and every queued step alike)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from ..citynet import CityNetworkClient, ServiceOrderResult
from ..errors import InvalidInput
from ..models import Order


def order_service(
    client: CityNetworkClient,
    order: Order,
    activation_date: date,
    *,
    origin: Literal["customer", "provider"],
) -> ServiceOrderResult:
    if order.access_id is None:
        raise InvalidInput("order has no access", details={"order_id": order.id})
    if not order.forced_takeover:
        # Said only when given: a network client without takeovers need not know the word.
        return client.service_order(
            order.access_id, order.service.uid, activation_date, origin=origin, order_ref=order.id
        )
    return client.service_order(
        order.access_id,
        order.service.uid,
        activation_date,
        origin=origin,
        order_ref=order.id,
        forced_takeover=True,
    )
