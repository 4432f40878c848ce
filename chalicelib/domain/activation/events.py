"""The entries an activation writes into an order's audit trail (and its outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..citynet import CallResult
from ..ids import new_event_id
from ..models import Order, OrderEvent, OrderEventKind


def call_event(order: Order, result: CallResult, at: datetime, actor: str) -> OrderEvent:
    return OrderEvent(
        id=new_event_id(at),
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.CITY_NETWORK_CALL,
        at=at,
        actor=actor,
        call=result.as_call(),
    )


def activation_changed_event(
    order: Order, at: datetime, actor: str, text: str | None = None
) -> OrderEvent:
    """Announces the order's (new) activation; the outbox entry for the webhook. The text
    is the activation's reason unless the caller says why."""
    activation = order.activation
    if text is None and activation.reason:
        text = activation.reason.message
    return OrderEvent(
        id=new_event_id(at),
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.ACTIVATION_CHANGED,
        at=at,
        actor=actor,
        activation_state=activation.state,
        text=text,
        webhook_type="order.activation_changed",
        order_snapshot=order,
    )


def increasing_stamps(start: datetime, count: int) -> list[datetime]:
    """Distinct millisecond stamps from `start`: event ids are ULIDs, which order only by
    millisecond, and the trail must keep port_status before service_order before the
    state change they led to."""
    base = start.replace(microsecond=(start.microsecond // 1000) * 1000)
    return [base + timedelta(milliseconds=i) for i in range(count)]


def call_events(
    order: Order, calls: Sequence[CallResult], start: datetime, actor: str
) -> list[OrderEvent]:
    stamps = increasing_stamps(start, len(calls))
    return [call_event(order, call, at, actor) for call, at in zip(calls, stamps, strict=True)]
