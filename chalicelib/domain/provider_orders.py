"""What a provider may do to its own orders: move the workflow status, leave messages,
and ask for activation again after a refusal or failure (DESIGN.md, scenario 2).

Every lookup goes through `get_for_provider`, so another provider's order is NotFound,
exactly like an unknown one. Every state change is a conditional write on `version`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Literal

from .activation import activation_changed_event
from .clock import today_in_sweden
from .errors import ConcurrentModification, Conflict, DomainError, InvalidInput
from .ids import new_attempt_id, new_event_id
from .models import (
    Activation,
    ActivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from .ports import ActivationMessage, Deps, OrderFilter, OrderPage
from .status import check_transition

logger = logging.getLogger(__name__)

MessageType = Literal["log", "alert", "error", "system"]

# A provider may ask again only once the city network has said no, or we gave up.
RETRIGGERABLE = frozenset({ActivationState.REFUSED, ActivationState.FAILED})
_FINAL_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.DELIVERED})


# A write stamps updated_at just before its conditional write, so a write stamped earlier
# can commit later than one stamped after it. The change feed therefore only hands out
# changes older than SETTLE, by when every write stamped that early has committed (a write
# is one DynamoDB round trip, far below 5 s). Without it a poller could move past a change
# that became visible only after its poll: the one way the feed could miss an order.
SETTLE = timedelta(seconds=5)


class ChangeFeedPage(OrderPage):
    # Where the next poll starts (updated_since) once this page's next_cursor is null.
    next_updated_since: datetime


class ActivationQueueUnavailable(DomainError):
    """The activation request could not be queued and was rolled back: safe to retry."""

    code = "queue_unavailable"


def actor_of(provider_id: str) -> str:
    return f"provider:{provider_id}"


def _stamp(deps: Deps, order: Order) -> datetime:
    """The change's updated_at. Never earlier than the stored one, even if this process's
    clock lags: the polling feed is ordered by updated_at and must not see time run back."""
    return max(deps.clock.now(), order.updated_at + timedelta(microseconds=1))


def list_orders(
    provider_id: str, *, limit: int, cursor: str | None, filter: OrderFilter, deps: Deps
) -> OrderPage:
    """Newest first; the cursor continues exactly where the last page ended, so orders
    created meanwhile neither repeat nor push others out of the pages still to come."""
    return deps.orders.list_for_provider(provider_id, limit=limit, cursor=cursor, filter=filter)


def poll_changes(
    provider_id: str, since: datetime, *, limit: int, cursor: str | None, deps: Deps
) -> ChangeFeedPage:
    """Orders changed after `since` and settled, oldest change first (the polling feed).

    Delivery is at least once: an order changed again reappears with its newer version.
    """
    horizon = deps.clock.now() - SETTLE
    page = deps.orders.changed_since(provider_id, since, limit=limit, cursor=cursor)
    settled = [o for o in page.items if o.updated_at <= horizon]
    if len(settled) < len(page.items):
        # The rest is too fresh to hand out yet; it comes with the next poll.
        return ChangeFeedPage(
            items=settled, next_cursor=None, next_updated_since=max(since, horizon)
        )
    if page.next_cursor is None:
        # Everything after `since` up to the horizon has now been handed out.
        return ChangeFeedPage(
            items=settled, next_cursor=None, next_updated_since=max(since, horizon)
        )
    # More pages follow. Should the client start over from here instead of following the
    # cursor, one microsecond back re-delivers orders sharing the last timestamp rather
    # than skipping them.
    last = settled[-1].updated_at - timedelta(microseconds=1)
    return ChangeFeedPage(
        items=settled, next_cursor=page.next_cursor, next_updated_since=max(since, last)
    )


def change_status(
    order_id: str, provider_id: str, target: OrderStatus, note: str | None, deps: Deps
) -> Order:
    order = deps.orders.get_for_provider(order_id, provider_id)
    check_transition(order.status, target)
    now = _stamp(deps, order)
    updated = order.next_version(status=target, updated_at=now)
    event = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=provider_id,
        kind=OrderEventKind.STATUS_CHANGED,
        at=now,
        actor=actor_of(provider_id),
        status_from=order.status,
        status_to=target,
        text=note,
        webhook_type="order.status_changed",
        order_snapshot=updated,
    )
    deps.orders.replace(updated, expected_version=order.version, events=[event])
    return updated


def add_message(
    order_id: str, provider_id: str, type: MessageType, text: str, deps: Deps
) -> OrderEvent:
    order = deps.orders.get_for_provider(order_id, provider_id)
    now = deps.clock.now()
    event = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=provider_id,
        kind=OrderEventKind.MESSAGE,
        at=now,
        actor=actor_of(provider_id),
        message_type=type,
        text=text,
    )
    deps.orders.append_events([event])
    return event


def order_events(order_id: str, provider_id: str, deps: Deps) -> list[OrderEvent]:
    """One of the provider's orders' audit trail, oldest first."""
    order = deps.orders.get_for_provider(order_id, provider_id)
    return deps.orders.list_events(order.id)


def _check_retriggerable(order: Order) -> None:
    state = order.activation.state
    if not order.identified or state == ActivationState.MANUAL:
        raise Conflict(
            "this order was placed without identifying the outlet; "
            "its activation must be handled manually with the city network",
            details={"activation_state": state.value},
        )
    if order.status in _FINAL_STATUSES:
        raise Conflict(
            f"the order is {order.status.value}; activation can no longer be requested",
            details={"status": order.status.value},
        )
    if state not in RETRIGGERABLE:
        raise Conflict(
            f"activation is {state.value}; it can be requested again only when "
            f"{' or '.join(sorted(s.value for s in RETRIGGERABLE))}",
            details={
                "activation_state": state.value,
                "allowed_from": sorted(s.value for s in RETRIGGERABLE),
            },
        )


def request_activation(
    order_id: str, provider_id: str, activation_date: date | None, deps: Deps
) -> Order:
    """Put a refused or failed activation back on the activation queue as a new attempt."""
    order = deps.orders.get_for_provider(order_id, provider_id)
    _check_retriggerable(order)
    if activation_date is not None and activation_date < today_in_sweden(deps.clock):
        raise InvalidInput(
            "date must be today or later (Swedish time)",
            details=[{"field": "date", "loc": ["body", "date"], "message": "in the past"}],
        )
    now = _stamp(deps, order)
    attempt_id = new_attempt_id()
    pending = order.next_version(
        activation=Activation(
            state=ActivationState.PENDING,
            attempts=order.activation.attempts,
            updated_at=now,
            requested_date=activation_date,
            attempt_id=attempt_id,
        ),
        updated_at=now,
    )
    requested = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=provider_id,
        kind=OrderEventKind.ACTIVATION_REQUESTED,
        at=now,
        actor=actor_of(provider_id),
        activation_state=ActivationState.PENDING,
        webhook_type="order.activation_changed",
        order_snapshot=pending,
    )
    deps.orders.replace(pending, expected_version=order.version, events=[requested])
    message = ActivationMessage(
        order_id=order.id,
        attempt_id=attempt_id,
        origin="provider",
        activation_date=activation_date,
    )
    try:
        deps.activation_queue.send(message)
    except Exception as exc:
        # Without a queued message nothing would ever move the order out of `pending`, so
        # we put the previous activation back and tell the provider to retry: a retry then
        # starts from the same state as this request did.
        _withdraw(order, pending, deps)
        raise ActivationQueueUnavailable(
            "the activation queue is unavailable; nothing was changed, please retry"
        ) from exc
    return pending


def _withdraw(previous: Order, pending: Order, deps: Deps) -> None:
    now = _stamp(deps, pending)
    restored = pending.next_version(
        activation=previous.activation.model_copy(update={"updated_at": now}),
        updated_at=now,
    )
    event = activation_changed_event(
        restored,
        now,
        "system",
        text="activation request withdrawn: the activation queue was unavailable",
    )
    try:
        deps.orders.replace(restored, expected_version=pending.version, events=[event])
    except ConcurrentModification:
        # Someone changed the order in between; their state wins over our rollback.
        logger.warning("activation rollback lost a race", extra={"order_id": previous.id})
