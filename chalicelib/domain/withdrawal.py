"""The customer's right of withdrawal (ångerrätt, docs/architecture.md, "Withdrawal").

Allowed up to and including the 14th day after the order (`withdrawal_period`), once, and
not for an order the provider has cancelled. One conditional write cancels the order
(provider status `cancelled`, from any status, `delivered` included), records who withdrew
and why, and decides the deactivation:

- nothing reached the city network (`manual`, `awaiting_provider`, `refused`, `failed`):
  `not_needed`, no call;
- the city network has the service (`activated`, `scheduled`) or may get it (`pending`):
  `pending`, with a new attempt id. The WITHDRAWN event written in the same transaction is
  the deactivation's intent: the table stream's relay queues its first step
  (`activation/intents.py`), and `activation/deactivation.py` makes the one
  `service_deactivate`.

A lost race re-reads and decides again, so a withdrawal raced by another one changes
nothing the second time (it is refused as `already_withdrawn`).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime

from .activation.events import increasing_stamps
from .clock import today_in_sweden
from .errors import ConcurrentModification, WithdrawalRefused
from .ids import new_attempt_id, new_event_id
from .models import (
    ActivationState,
    Deactivation,
    DeactivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Withdrawal,
)
from .ports import Deps
from .status import check_withdrawal_cancel
from .webhooks import ORDER_STATUS_CHANGED, ORDER_WITHDRAWN
from .withdrawal_period import last_day_to_withdraw, may_withdraw, ordered_on

logger = logging.getLogger(__name__)

WRITE_ATTEMPTS = 5
MAX_REASON = 500

# Activation states where the city network has (or may get) the service on the outlet.
_ON_THE_NETWORK = frozenset(
    {ActivationState.ACTIVATED, ActivationState.SCHEDULED, ActivationState.PENDING}
)


def refusal(order: Order, deps: Deps) -> WithdrawalRefused | None:
    """Why `order` cannot be withdrawn today; None when it can."""
    if order.withdrawal is not None:
        return WithdrawalRefused("already_withdrawn", f"order {order.id} is already withdrawn")
    if order.status == OrderStatus.CANCELLED:
        return WithdrawalRefused("cancelled", f"order {order.id} is cancelled")
    order_day = ordered_on(order.created_at)
    if not may_withdraw(order_day, today_in_sweden(deps.clock)):
        return WithdrawalRefused(
            "period_over",
            f"the withdrawal period of order {order.id} ended",
            details={"last_day": last_day_to_withdraw(order_day).isoformat()},
        )
    return None


def withdraw(
    order_id: str, deps: Deps, *, actor: str = "customer", reason: str | None = None
) -> Order:
    """Withdraw the order; the order as written. WithdrawalRefused when it may not be."""
    text = _clean(reason)
    for _ in range(WRITE_ATTEMPTS):
        order = deps.orders.get(order_id)
        refused = refusal(order, deps)
        if refused is not None:
            raise refused
        updated, events = _withdrawn(order, actor, text, deps)
        try:
            deps.orders.replace(updated, expected_version=order.version, events=events)
        except ConcurrentModification:
            continue  # decide again on what is stored now
        logger.info(
            "order withdrawn",
            extra={
                "order_id": order.id,
                "deactivation_state": updated.deactivation.state.value
                if updated.deactivation
                else None,
            },
        )
        return updated
    raise ConcurrentModification(f"order {order_id} kept changing during the withdrawal")


def _clean(reason: str | None) -> str | None:
    """One plain line: no control or format characters (a bidirectional override would
    make the text read otherwise wherever a provider shows it), at most MAX_REASON."""
    if reason is None:
        return None
    visible = "".join(
        c for c in reason if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace()
    )
    text = " ".join(visible.split())[:MAX_REASON]
    return text or None


def first_deactivation(activation: ActivationState, now: datetime) -> Deactivation:
    """What the withdrawal does to the service on the outlet (see the module text)."""
    if activation in _ON_THE_NETWORK:
        return Deactivation(
            state=DeactivationState.PENDING, updated_at=now, attempt_id=new_attempt_id()
        )
    return Deactivation(state=DeactivationState.NOT_NEEDED, updated_at=now)


def _withdrawn(
    order: Order, actor: str, reason: str | None, deps: Deps
) -> tuple[Order, list[OrderEvent]]:
    check_withdrawal_cancel(order.status)
    # Two distinct milliseconds: event ids are ULIDs and the trail keeps this order.
    first, second = increasing_stamps(order.stamp_after(deps.clock.now()), 2)
    now = order.stamp_after(second)
    deactivation = first_deactivation(order.activation.state, now)
    updated = order.next_version(
        status=OrderStatus.CANCELLED,
        updated_at=now,
        withdrawal=Withdrawal(at=now, by=actor, reason=reason).model_dump(),
        deactivation=deactivation.model_dump(),
    )
    trail = f"Withdrawn by the {actor} (right of withdrawal)"
    if reason:
        trail += f": {reason}"
    common = {"order_id": order.id, "provider_id": order.provider_id, "actor": actor}
    status_changed = OrderEvent(
        id=new_event_id(first),
        kind=OrderEventKind.STATUS_CHANGED,
        at=first,
        status_from=order.status,
        status_to=OrderStatus.CANCELLED,
        text=trail,
        webhook_type=ORDER_STATUS_CHANGED,
        order_snapshot=updated,
        **common,
    )
    # The deactivation's intent (activation/intents.py): relayed from the table stream
    # into its first queued step whenever the snapshot's deactivation is pending.
    withdrawn = OrderEvent(
        id=new_event_id(now),
        kind=OrderEventKind.WITHDRAWN,
        at=now,
        status_from=order.status,
        status_to=OrderStatus.CANCELLED,
        text=trail,
        webhook_type=ORDER_WITHDRAWN,
        order_snapshot=updated,
        **common,
    )
    return updated, [status_changed, withdrawn]
