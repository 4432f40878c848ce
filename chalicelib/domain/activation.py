"""What a `service_order` reply means for an order's activation, and when to retry.

Shared by the ordering service (the customer's first attempt) and the activation worker
(retries and provider-triggered attempts), so both read a reply the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .citynet import CallResult, ServiceOrderResult
from .ids import new_event_id
from .models import (
    Activation,
    ActivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    Reason,
)

# Waits after the 1st, 2nd, ... transient fault (about 1 min, 5 min, 15 min, 1 h, 3 h, 6 h).
# When they are spent the activation is `failed` and the provider is told.
RETRY_DELAYS_S: tuple[int, ...] = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)
JITTER = 0.2


def retry_delay(retries_spent: int, rng: random.Random | None = None) -> int | None:
    """Seconds to wait before retry number `retries_spent + 1`, or None when the budget is spent."""
    if retries_spent >= len(RETRY_DELAYS_S):
        return None
    base = RETRY_DELAYS_S[retries_spent]
    spread = (rng or random).uniform(-JITTER, JITTER)
    return max(1, round(base * (1 + spread)))


@dataclass(frozen=True)
class ActivationOutcome:
    activation: Activation
    transient: bool


def read_service_order_reply(
    current: Activation, result: ServiceOrderResult, *, requested: date, today: date, now: datetime
) -> ActivationOutcome:
    """The activation after one `service_order` reply (direct-activation.md, Our assumptions)."""
    attempts = current.attempts + 1
    if result.outcome == "ok":
        activation_date = result.activation_date or requested
        state = ActivationState.SCHEDULED if activation_date > today else ActivationState.ACTIVATED
        return ActivationOutcome(
            current.model_copy(
                update={
                    "state": state,
                    "date": activation_date,
                    "reason": None,
                    "attempts": attempts,
                    "updated_at": now,
                }
            ),
            transient=False,
        )
    if result.outcome == "refused":
        reason = Reason(
            code=result.code or "refused",
            message=result.message or "Stadsnätet nekade aktiveringen utan att ange skäl.",
        )
        return ActivationOutcome(
            current.model_copy(
                update={
                    "state": ActivationState.REFUSED,
                    "reason": reason,
                    "attempts": attempts,
                    "updated_at": now,
                }
            ),
            transient=False,
        )
    return ActivationOutcome(
        current.model_copy(
            update={"state": ActivationState.PENDING, "attempts": attempts, "updated_at": now}
        ),
        transient=True,
    )


def activation_failed(current: Activation, last: CallResult, now: datetime) -> Activation:
    """The retry budget is spent: say so, with the last fault as the reason."""
    return current.model_copy(
        update={
            "state": ActivationState.FAILED,
            "reason": Reason(
                code=last.code or "transient",
                message=f"City network unreachable after retries: {last.message or last.code}",
            ),
            "updated_at": now,
        }
    )


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


def due_at(now: datetime, delay_s: int) -> datetime:
    return now + timedelta(seconds=delay_s)
