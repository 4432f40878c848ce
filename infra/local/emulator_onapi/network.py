"""What the emulated ON-API city network remembers and how its orders move.

Orders are RECEIVED when placed and become DONE_SUCCESS or DONE_FAILED `order_delay_s`
later (or at their requestedDateTime, if later). Nothing runs in the background: every
request first moves the orders that are due, so a reply always shows the state "now".
Each state change is one order event. One lock guards it all.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import EmulatorConfig, FailFirst, Held

API_PATH = "/onapi/2.6/"
OPEN_STATES = ("RECEIVED", "IN_PROGRESS")


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return uuid.uuid4().hex  # 32 hex digits: an ON-API ID


@dataclass
class Order:
    order_id: str
    operation: str
    state: str
    due: datetime
    access_id: str
    service: str
    subscription_id: str | None = None
    sp_reference: str | None = None
    requested_at: datetime | None = None
    forced_takeover: bool = False
    fails_with: str | None = None  # the DONE_FAILED message it will end with
    message: str = ""

    @property
    def path(self) -> str:
        return f"{API_PATH}orders/{self.order_id}"

    def view(self) -> dict[str, Any]:
        """orders.md's order object; fields that are not set are left out."""
        data: dict[str, Any] = {
            "path": self.path,
            "orderId": self.order_id,
            "accessId": self.access_id,
            "subscriptionId": self.subscription_id,
            "service": self.service,
            "operation": self.operation,
            "state": self.state,
            "forcedTakeover": self.forced_takeover if self.operation == "ACTIVATE" else None,
            "spReference": self.sp_reference,
            "requestedDateTime": iso(self.requested_at) or None,
            "expectedCompletionDate": iso(self.due),
            "message": self.message,
        }
        return {key: value for key, value in data.items() if value is not None}

    def event_view(self) -> dict[str, Any]:
        """The fields orderevents.md copies from the order."""
        keys = ("path", "accessId", "service", "operation", "state", "message")
        view = self.view()
        return {key: view[key] for key in keys if key in view}


@dataclass
class Subscription:
    subscription_id: str
    access_id: str
    service: str


@dataclass
class Network:
    config: EmulatorConfig
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    orders: dict[str, Order] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    ended: dict[str, Subscription] = field(default_factory=dict)  # deactivated
    held: dict[str, dict[str, Held]] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.held = {a: dict(access.held) for a, access in self.config.accesses.items()}

    # --- time ----------------------------------------------------------------------------

    def advance(self) -> None:
        """Finish every order that is due, in the order they were placed."""
        now = self.now()
        with self.lock:
            for order in list(self.orders.values()):
                if order.state in OPEN_STATES and order.due <= now:
                    self._finish(order)

    def _finish(self, order: Order) -> None:
        if order.fails_with is not None:
            order.state, order.message = "DONE_FAILED", order.fails_with
        elif order.operation == "ACTIVATE":
            order.state = "DONE_SUCCESS"
            if order.forced_takeover:
                self.held[order.access_id].pop(self.config.type_of(order.service), None)
            order.subscription_id = new_id()
            self.subscriptions[order.subscription_id] = Subscription(
                order.subscription_id, order.access_id, order.service
            )
        else:  # DEACTIVATE
            order.state = "DONE_SUCCESS"
            ended = self.subscriptions.pop(order.subscription_id or "", None)
            if ended is not None:
                self.ended[ended.subscription_id] = ended
        self._event(order)

    def _event(self, order: Order) -> None:
        self.events.append((new_id(), order.event_view()))

    # --- reads ---------------------------------------------------------------------------

    def active(self, access_id: str) -> dict[str, Subscription]:
        """Service -> our subscription, for the services active on the access."""
        return {s.service: s for s in self.subscriptions.values() if s.access_id == access_id}

    def open_activation(self, access_id: str, service: str) -> Order | None:
        return next(
            (
                o
                for o in self.orders.values()
                if o.operation == "ACTIVATE"
                and o.state in OPEN_STATES
                and (o.access_id, o.service) == (access_id, service)
            ),
            None,
        )

    def open_deactivation(self, subscription_id: str) -> Order | None:
        return next(
            (
                o
                for o in self.orders.values()
                if o.operation == "DEACTIVATE"
                and o.state in OPEN_STATES
                and o.subscription_id == subscription_id
            ),
            None,
        )

    def service_rows(self, access_id: str) -> list[dict[str, Any]]:
        """services.md rows for the access."""
        access = self.config.accesses[access_id]
        now = self.now()
        rows = []
        for service in self.config.offered(access_id):
            held = self.held[access_id].get(self.config.type_of(service))
            available: datetime | None = max(access.connected, now - timedelta(days=1))
            if held is not None:
                available = held.available_from
            rows.append(
                {
                    "service": service,
                    "connectionDateTime": iso(access.connected),
                    "availableDateTime": iso(available),
                    "disconnectionDateTime": "",
                    "forcedTakeoverPossible": bool(held and held.forced_takeover_possible),
                }
            )
        return rows

    # --- writes --------------------------------------------------------------------------

    def place_activation(
        self,
        access_id: str,
        service: str,
        *,
        sp_reference: str | None,
        requested_at: datetime | None,
        forced_takeover: bool,
    ) -> Order:
        behaviour = self.config.accesses[access_id].orders
        key = (access_id, service)
        seen = self.attempts.get(key, 0)
        self.attempts[key] = seen + 1
        fails_with = None
        if isinstance(behaviour, FailFirst):
            fails_with = behaviour.message if seen < behaviour.count else None
        elif behaviour.mode == "always_fail":
            fails_with = behaviour.message
        return self._place(
            Order(
                order_id=new_id(),
                operation="ACTIVATE",
                state="RECEIVED",
                due=self._due(requested_at),
                access_id=access_id,
                service=service,
                sp_reference=sp_reference,
                requested_at=requested_at,
                forced_takeover=forced_takeover,
                fails_with=fails_with,
            )
        )

    def place_deactivation(
        self, subscription: Subscription, requested_at: datetime | None
    ) -> Order:
        return self._place(
            Order(
                order_id=new_id(),
                operation="DEACTIVATE",
                state="RECEIVED",
                due=self._due(requested_at),
                access_id=subscription.access_id,
                service=subscription.service,
                subscription_id=subscription.subscription_id,
                requested_at=requested_at,
            )
        )

    def _due(self, requested_at: datetime | None) -> datetime:
        due = self.now() + timedelta(seconds=self.config.order_delay_s)
        return max(due, requested_at) if requested_at is not None else due

    def _place(self, order: Order) -> Order:
        self.orders[order.order_id] = order
        self._event(order)
        return order

    def cancel(self, order: Order) -> None:
        del self.orders[order.order_id]
