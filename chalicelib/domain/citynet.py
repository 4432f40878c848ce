"""Protocol-neutral city-network interface and its typed results.

Every call returns a result with its outcome and timing; no call raises for anything the
city network answers or fails to answer. `refused` means the city network said no (a
well-formed refusal); `transient` means we do not know (timeout, connection error,
502/503/504, unparseable reply) and may retry (docs/protocols/direct-activation.md).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from .models import CityNetworkCall, PortStatus

Outcome = Literal["ok", "refused", "transient"]


class CallResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: str
    outcome: Outcome
    code: str | None = None  # the city network's code (HTTP status mirrored), or a fault name
    message: str | None = None  # the city network's text for the customer, or what failed
    duration_ms: int

    @property
    def transient(self) -> bool:
        return self.outcome == "transient"

    def as_call(self) -> CityNetworkCall:
        return CityNetworkCall(
            method=self.method,
            outcome=self.outcome,
            code=self.code,
            message=self.message,
            duration_ms=self.duration_ms,
        )


class PortStatusResult(CallResult):
    port: PortStatus | None = None  # set when outcome == "ok"


class DeliverableResult(CallResult):
    extra: dict[str, str] = {}  # e.g. {"hardware": "CPE"} for 428


class ServiceOrderResult(CallResult):
    # Set on success when the city network names an activation date of its own.
    activation_date: date | None = None
    # An `ok` with `completed` False: the city network took the order and finishes it later
    # (ON-API's RECEIVED), under its own `network_order_id`. Direct Activation answers at once.
    completed: bool = True
    network_order_id: str | None = None


class CityNetworkClient(Protocol):
    def port_status(self, access_id: str) -> PortStatusResult: ...

    def service_deliverable(self, access_id: str, service_uid: str) -> DeliverableResult: ...

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
        """`forced_takeover`: the customer consented to take the service over from the
        provider that has it (moving in); only a network that says it is possible (ON-API's
        forcedTakeoverPossible) is asked, and a network without takeovers ignores it."""
        ...

    def service_deactivate(
        self, access_id: str, service_uid: str, deactivation_date: date
    ) -> CallResult: ...

    def network_order(self, network_order_id: str) -> ServiceOrderResult:
        """How an order the network took for later stands now (asynchronous networks)."""
        ...


class NetworkOrderUpdate(BaseModel):
    """What an asynchronous city network reports about one of our orders."""

    model_config = ConfigDict(frozen=True)

    order_id: str  # ours
    result: ServiceOrderResult


class OrderUpdates(CallResult):
    """One pull of a network's order events: the updates in the network's order, and the
    cursor the next pull starts from (to be stored only once the updates are applied)."""

    updates: tuple[NetworkOrderUpdate, ...] = ()
    cursor: str | None = None


@runtime_checkable
class OrderUpdatesFeed(Protocol):
    """A city network that reports order outcomes later, as a feed (ON-API orderevents)."""

    def order_updates(self, since: str | None) -> OrderUpdates: ...


class CityNetworkClients(Protocol):
    """Gives the client for one city network (one pooled session each)."""

    def for_city_network(self, city_network_id: str) -> CityNetworkClient: ...
