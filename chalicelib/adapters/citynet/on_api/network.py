"""An ON-API 2.6 city network behind the protocol-neutral interface (domain/citynet.py).

ON-API is asynchronous where Direct Activation answers at once: `POST orders` takes the
order (RECEIVED) and the network reports later, in `orderevents`, how it ended. So an
accepted order is an `ok` that is not `completed`, carrying the network's order id; the
domain keeps the activation pending until the poller (or a look at the order) brings
DONE_SUCCESS or DONE_FAILED. Our order id travels as `spReference`, so ordering again
after a crash finds the same order instead of making a second one (common/responses.md:
a repeated order is not a new order).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Literal

from ....domain.addresses import AccessListing, ListedAccess
from ....domain.citynet import (
    CallResult,
    DeliverableResult,
    NetworkOrderUpdate,
    OrderUpdates,
    PortStatusResult,
    ServiceOrderResult,
)
from ....domain.clock import SystemClock
from ....domain.models import PortStatus
from .client import ORDER_ID_PREFIX, OnApiClient
from .models import AccessRow, OnApiOrder, OrderResult, ServicesResult
from .replies import deliverability

if TYPE_CHECKING:
    from .models import OrderEvent


_LOOKUP_FAILED = object()


# An identified visit asks `services` for its offers page and again for the chosen offer;
# one answer serves both while it is this fresh, so a visit costs one `services` call.
SERVICES_FRESH_S = 60.0
_RECENT_AT_MOST = 1024


class OnApiCityNetwork:
    """CityNetworkClient over one network's OnApiClient."""

    def __init__(
        self,
        client: OnApiClient,
        *,
        fresh_s: float = SERVICES_FRESH_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.city_network_id = client.city_network_id
        self._fresh_s = fresh_s
        self._monotonic = monotonic
        self._clock = SystemClock()
        self._recent: dict[str, tuple[float, ServicesResult]] = {}
        self._lock = threading.Lock()

    def _services(self, access_id: str, *, reuse: bool) -> ServicesResult:
        now = self._monotonic()
        if reuse:
            with self._lock:
                hit = self._recent.get(access_id)
            if hit is not None and now - hit[0] <= self._fresh_s:
                # No call was made for this answer: it costs nothing in the trail either.
                return hit[1].model_copy(update={"duration_ms": 0})
        result = self.client.services(access_id)
        if result.outcome == "ok":
            with self._lock:
                self._recent.pop(access_id, None)
                self._recent[access_id] = (now, result)
                while len(self._recent) > _RECENT_AT_MOST:
                    self._recent.pop(next(iter(self._recent)))
        return result

    def close(self) -> None:
        self.client.close()

    def port_status(self, access_id: str) -> PortStatusResult:
        """ON-API has no port status: `services` says whether the access is known and what
        it can have. The port is reported without services on it (ON-API lists what may be
        ordered, not what is active)."""
        services = self._services(access_id, reuse=False)
        port = PortStatus(access_id=access_id) if services.outcome == "ok" else None
        return PortStatusResult(
            method="port_status",
            outcome=services.outcome,
            code=services.code,
            message=services.message,
            duration_ms=services.duration_ms,
            port=port,
        )

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult:
        services = self._services(access_id, reuse=True)
        return deliverability(services, service_uid, self._clock.now())

    def service_order(
        self,
        access_id: str,
        service_uid: str,
        activation_date: date,
        *,
        origin: Literal["customer", "provider"] = "customer",
        order_ref: str | None = None,
        forced_takeover: bool = False,
    ) -> ServiceOrderResult:
        """`forced_takeover` (the customer's consent, moving in) is sent as forcedTakeover."""
        if order_ref is None:
            raise ValueError("an ON-API order needs our order id (its spReference)")
        placed = self.client.activate(
            access_id,
            service_uid,
            order_id=order_ref,
            requested_at=activation_date,
            forced_takeover=forced_takeover,
        )
        return as_service_order(placed, "service_order")

    def service_deactivate(
        self, access_id: str, service_uid: str, deactivation_date: date
    ) -> CallResult:
        # DEACTIVATE names a subscription, which only a DONE_SUCCESS order carries; until
        # orders keep it (withdrawal), say so instead of sending a request bound to fail.
        return CallResult(
            method="service_deactivate",
            outcome="refused",
            code="unsupported",
            message="deactivation needs the subscription id of the activated order",
            duration_ms=0,
        )

    def network_order(self, network_order_id: str) -> ServiceOrderResult:
        return as_service_order(self.client.order(network_order_id), "network_order")

    def order_updates(self, since: str | None) -> OrderUpdates:
        """One pull of `orderevents`: the activations of our orders, in the network's order.

        An event names the network's order, not ours (the spec's examples carry no
        spReference), so an event without one is looked up with `GET orders/{orderId}`,
        whose order does. If a lookup fails, the page ends before that event: the cursor
        stays where the next pull reads it again. Deactivations are not activation news."""
        page = self.client.order_events(since)
        common = {
            "method": "orderevents",
            "outcome": page.outcome,
            "code": page.code,
            "message": page.message,
            "duration_ms": page.duration_ms,
        }
        if page.outcome != "ok":
            return OrderUpdates.model_validate({**common, "cursor": since})
        updates: list[NetworkOrderUpdate] = []
        cursor = since
        for event in page.events:
            if event.order.operation in (None, "ACTIVATE"):
                reference = self._our_order_id(event)
                if reference is _LOOKUP_FAILED:
                    break
                if reference is not None:
                    result = outcome_of(event.order)
                    updates.append(NetworkOrderUpdate(order_id=str(reference), result=result))
            cursor = event.event_id
        else:
            cursor = page.cursor
        return OrderUpdates.model_validate({**common, "updates": updates, "cursor": cursor})

    def access_rows(self, since: str | None) -> AccessListing:
        """`accesses/` with If-Modified-Since = `since` (the Last-Modified of the previous
        read, as the network wrote it), as the address search keeps them. A row without a
        street name cannot be found by address and is counted in `skipped`."""
        read = self.client.accesses(since)
        listed = [entry for row in read.accesses if (entry := listed_access(row)) is not None]
        return AccessListing(
            method="accesses",
            outcome=read.outcome,
            code=read.code,
            message=read.message,
            duration_ms=read.duration_ms,
            modified=read.modified,
            last_modified=read.last_modified,
            accesses=tuple(listed),
            skipped=read.skipped + len(read.accesses) - len(listed),
        )

    def _our_order_id(self, event: OrderEvent) -> str | object | None:
        if event.order.sp_reference:
            return ORDER_ID_PREFIX + event.order.sp_reference
        if event.order.order_id is None:
            return None
        looked_up = self.client.order(event.order.order_id)
        if looked_up.outcome == "transient":
            return _LOOKUP_FAILED
        found = looked_up.order
        if found is None or not found.sp_reference:
            return None  # not an order of ours (or the network forgot the reference)
        return ORDER_ID_PREFIX + found.sp_reference


def listed_access(row: AccessRow) -> ListedAccess | None:
    """An access row as the address search keeps it; None without a street name."""
    if not row.street_name:
        return None
    postal_code = "".join((row.postal_code or "").split()) or None
    return ListedAccess(
        access_id=row.access_id,
        street_name=row.street_name,
        street_number=row.street_number,
        street_littera=row.street_littera,
        apartment=row.mdu_apartment_number,
        postal_code=postal_code,
        city=row.city,
    )


def as_service_order(result: OrderResult, method: str) -> ServiceOrderResult:
    """An ON-API order reply as the domain reads a service order: refused and transient as
    they are; an order still under way is an `ok` not yet completed."""
    if result.outcome != "ok":
        return ServiceOrderResult(
            method=method,
            duration_ms=result.duration_ms,
            outcome=result.outcome,
            code=result.code,
            message=result.message,
        )
    order = result.order
    if order is None:
        # 200 without an order: the service is already active on the access.
        return ServiceOrderResult(
            method=method, duration_ms=result.duration_ms, outcome="ok", code=result.code
        )
    return outcome_of(order, method=method, duration_ms=result.duration_ms)


def outcome_of(
    order: OnApiOrder, *, method: str = "orderevents", duration_ms: int = 0
) -> ServiceOrderResult:
    """The service-order reading of an ON-API order's state."""
    if order.state == "DONE_FAILED":
        return ServiceOrderResult(
            method=method,
            duration_ms=duration_ms,
            outcome="refused",
            code="done_failed",
            message=order.message,
            network_order_id=order.order_id,
        )
    done = order.state == "DONE_SUCCESS"
    when = order.expected_completion_at.date() if order.expected_completion_at else None
    return ServiceOrderResult(
        method=method,
        duration_ms=duration_ms,
        outcome="ok",
        code=order.state,
        completed=done,
        activation_date=when if done else None,
        network_order_id=order.order_id,
    )
