"""The one way an activation result is written, for the customer's first attempt and every
queued step alike.

A conditional write of the new activation together with the calls that led to it (audit
trail) and, when the state changed, the `order.activation_changed` outbox entry. A lost
race (a provider changing the status meanwhile) re-reads and re-applies, as long as the
activation still belongs to the attempt that made the calls; once another attempt is
current or the activation is no longer pending, the result is not written (the calls are
still kept in the trail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ..citynet import CallResult
from ..errors import ConcurrentModification
from ..models import Activation, ActivationState, Order
from ..ports import Deps
from .events import activation_changed_event, call_event, call_events, increasing_stamps
from .states import check_activation_transition

logger = logging.getLogger(__name__)

# Re-reads after a lost conditional write before giving up (the caller's message or
# request then comes back, and nothing was written).
WRITE_ATTEMPTS = 5


def attempt_is_current(order: Order, attempt_id: str | None) -> bool:
    return (
        order.activation.attempt_id == attempt_id
        and order.activation.state == ActivationState.PENDING
    )


def record_activation(
    order: Order,
    next_activation: Callable[[Order], Activation],
    *,
    calls: Sequence[CallResult],
    attempt_id: str | None,
    actor: str,
    deps: Deps,
) -> Order | None:
    """Write `next_activation(current order)`; the order as written, or None when the
    attempt was superseded."""
    current = order
    for _ in range(WRITE_ATTEMPTS):
        if not attempt_is_current(current, attempt_id):
            deps.orders.append_events(call_events(current, calls, deps.clock.now(), actor))
            logger.info("activation attempt superseded", extra={"order_id": order.id})
            return None
        activation = next_activation(current)
        check_activation_transition(current.activation.state, activation.state)
        stamps = increasing_stamps(deps.clock.now(), len(calls) + 1)
        updated = current.next_version(
            activation=activation.model_dump(), updated_at=current.stamp_after(stamps[-1])
        )
        events = [call_event(current, c, at, actor) for c, at in zip(calls, stamps, strict=False)]
        if updated.activation.state != current.activation.state:
            events.append(activation_changed_event(updated, stamps[-1], actor))
        try:
            deps.orders.replace(updated, expected_version=current.version, events=events)
        except ConcurrentModification:
            current = deps.orders.get(order.id)
            continue
        return updated
    raise ConcurrentModification(f"order {order.id} kept changing while recording activation")
