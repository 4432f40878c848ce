"""An order's audit trail as the customer's timeline on the order page: pure, no store.

Only what the customer should read, in plain words from the catalogs: the order received,
the activation's outcome, the provider's status changes, the withdrawal and what it did to
the service. Never the texts meant for the provider (its notes and messages, the city
network's codes and call details) and never personal data: an entry is a message id and
values we choose (dates), nothing copied from an event's free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.clock import STOCKHOLM
from ..domain.models import (
    ActivationState,
    DeactivationState,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from ..domain.texts import N_


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str  # a message id; the template translates it with `values`
    values: dict[str, str] = field(default_factory=dict)

    @property
    def when(self) -> str:
        """Swedish local time, as the customer's calendar reads it."""
        return self.at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


_FIRST_STATE = {
    ActivationState.MANUAL: N_("The service provider handles the order and will contact you."),
    ActivationState.AWAITING_PROVIDER: N_(
        "The service provider checks the order and then asks the city network to start the service."
    ),
}

_ACTIVATION = {
    ActivationState.PENDING: N_("The activation of the service has started."),
    ActivationState.REFUSED: N_(
        "The city network could not activate the service right now. The service provider "
        "will contact you."
    ),
    ActivationState.FAILED: N_(
        "The activation could not be completed. The service provider will contact you."
    ),
    ActivationState.MANUAL: N_("The service provider handles the activation manually."),
    ActivationState.AWAITING_PROVIDER: N_(
        "The service provider checks the order before the activation."
    ),
}

_STATUS = {
    OrderStatus.RECEIVED: N_("The service provider has received the order."),
    OrderStatus.IN_PROGRESS: N_("The service provider is working on the order."),
    OrderStatus.WAITING: N_("The service provider is waiting for something before going on."),
    OrderStatus.DELIVERED: N_("The service provider reports the order as delivered."),
    OrderStatus.CANCELLED: N_("The service provider cancelled the order."),
}

_DEACTIVATION = {
    DeactivationState.DONE: N_("The city network has turned the service off."),
    DeactivationState.NOT_NEEDED: N_("The service was never started, so nothing was turned off."),
    DeactivationState.FAILED: N_(
        "The service could not be turned off automatically. The service provider ends it "
        "with the city network."
    ),
}


def timeline(events: Sequence[OrderEvent]) -> list[TimelineEntry]:
    """The customer's entries for `events` (oldest first, as the store lists them)."""
    entries: list[TimelineEntry] = []
    for event in events:
        entries.extend(_entries(event))
    return entries


def _entries(event: OrderEvent) -> list[TimelineEntry]:
    at = event.at
    match event.kind:
        case OrderEventKind.ORDER_CREATED:
            first = [TimelineEntry(at, N_("We received your order."))]
            if event.activation_state in _FIRST_STATE:
                first.append(TimelineEntry(at, _FIRST_STATE[event.activation_state]))
            return first
        case OrderEventKind.ACTIVATION_CHANGED:
            return _activation_entry(event)
        case OrderEventKind.STATUS_CHANGED:
            if event.status_to not in _STATUS or event.actor == "customer":
                return []  # the customer's own cancellation is the withdrawal's entry
            return [TimelineEntry(at, _STATUS[event.status_to])]
        case OrderEventKind.WITHDRAWN:
            withdrawn = [TimelineEntry(at, N_("You withdrew the order. It is cancelled."))]
            deactivation = event.order_snapshot.deactivation if event.order_snapshot else None
            if deactivation is not None and deactivation.state == DeactivationState.PENDING:
                withdrawn.append(
                    TimelineEntry(at, N_("We are asking the city network to turn the service off."))
                )
            return withdrawn
        case OrderEventKind.DEACTIVATION_CHANGED:
            deactivation = event.order_snapshot.deactivation if event.order_snapshot else None
            if deactivation is None or deactivation.state not in _DEACTIVATION:
                return []
            return [TimelineEntry(at, _DEACTIVATION[deactivation.state])]
    # City-network calls, provider messages, activation requests: not for the customer.
    return []


def _activation_entry(event: OrderEvent) -> list[TimelineEntry]:
    state = event.activation_state
    snapshot = event.order_snapshot
    day = snapshot.activation.date if snapshot else None
    if state == ActivationState.ACTIVATED:
        if day is None:
            return [TimelineEntry(event.at, N_("The service is activated."))]
        return [
            TimelineEntry(
                event.at, N_("The service is activated from %(date)s."), {"date": day.isoformat()}
            )
        ]
    if state == ActivationState.SCHEDULED:
        if day is None:
            return [TimelineEntry(event.at, N_("The activation of the service is scheduled."))]
        return [
            TimelineEntry(
                event.at,
                N_("The service will be activated on %(date)s."),
                {"date": day.isoformat()},
            )
        ]
    if state in _ACTIVATION:
        return [TimelineEntry(event.at, _ACTIVATION[state])]
    return []
