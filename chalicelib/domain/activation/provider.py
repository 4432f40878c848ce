"""The provider asking for activation again after the city network refused it or we gave
up (scenario 2): a new attempt, run by the worker through the activation queue."""

from __future__ import annotations

import logging
from datetime import date

from ..clock import today_in_sweden
from ..errors import ConcurrentModification, Conflict, DomainError, InvalidInput
from ..ids import new_attempt_id, new_event_id
from ..models import Activation, ActivationState, Order, OrderEvent, OrderEventKind, OrderStatus
from ..ports import Deps
from ..requested_dates import checked_requested_date
from .events import activation_changed_event
from .messages import ActivationMessage
from .states import RETRIGGERABLE

logger = logging.getLogger(__name__)

_FINAL_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.DELIVERED})


class ActivationQueueUnavailable(DomainError):
    """The activation request could not be queued and was rolled back: safe to retry."""

    code = "queue_unavailable"


def actor_of(provider_id: str) -> str:
    return f"provider:{provider_id}"


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
        allowed = sorted(s.value for s in RETRIGGERABLE)
        raise Conflict(
            f"activation is {state.value}; it can be requested again only when "
            f"{' or '.join(allowed)}",
            details={"activation_state": state.value, "allowed_from": allowed},
        )


def _check_activation_date(activation_date: date | None, deps: Deps) -> None:
    """The customer's bounds (domain/requested_dates.py), as a field error of the body."""
    try:
        checked_requested_date(activation_date, today_in_sweden(deps.clock), field="date")
    except InvalidInput as refused:
        raise InvalidInput(
            refused.message,
            details=[
                {
                    "field": "body.date",
                    "loc": ["body", "date"],
                    "message": refused.message,
                    "type": "date_out_of_range",
                }
            ],
        ) from None


def request_activation(
    order_id: str, provider_id: str, activation_date: date | None, deps: Deps
) -> Order:
    """Put a refused or failed activation back on the activation queue as a new attempt."""
    order = deps.orders.get_for_provider(order_id, provider_id)
    _check_retriggerable(order)
    _check_activation_date(activation_date, deps)
    now = order.stamp_after(deps.clock.now())
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
        activation_intent=True,
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
    now = pending.stamp_after(deps.clock.now())
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
