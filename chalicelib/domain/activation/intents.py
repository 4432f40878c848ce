"""The activation intent: the promise that a `pending` attempt gets a later look.

Every write that leaves an attempt `pending` (a new identified order, a provider's request
for activation) carries `activation_intent` on the event written in the same transaction.
The table stream's relay turns that event into one queued step, `LOOK_AGAIN_STEP`, some
minutes later. If the attempt ended meanwhile (activated, refused, failed, superseded) the
step is stale and dropped without a call; if the attempt's own step already ran, its claim
makes this one a duplicate; otherwise (the process died during the call, after the reply,
before the enqueue) the worker reconciles through `port_status` and orders only when the
service is not on the port. So a crash at any point ends in one activation or an honest
`failed` (docs/architecture.md, "No order left behind").

A withdrawal's deactivation is promised the same way: the WITHDRAWN event written with
the withdrawal (same transaction) whose snapshot has the deactivation `pending` is its
intent, and the relay turns it into the deactivation's first step (`kind="deactivate"`,
`deactivation.py`). Relayed twice, it queues the same step twice; the step's claim makes
the second a duplicate (docs/architecture.md, "Withdrawal").
"""

from __future__ import annotations

from ..models import ActivationState, DeactivationState, OrderEvent, OrderEventKind
from ..ports import Deps
from ..queues import clamped_delay
from .messages import ActivationMessage

# The look is a retry (it asks `port_status` before ordering), never a first step, and it
# shares its claim with the retry a transient fault of the first step queues.
LOOK_AGAIN_STEP = 1
# The deactivation's first step: no call was made for it yet.
FIRST_DEACTIVATION_STEP = 0


def look_again_step(event: OrderEvent) -> ActivationMessage | None:
    """The step `event`'s intent promises; None when it promises none."""
    order = event.order_snapshot
    if not event.activation_intent or order is None:
        return None
    activation = order.activation
    if activation.state != ActivationState.PENDING or activation.attempt_id is None:
        return None
    return ActivationMessage(
        order_id=order.id,
        attempt_id=activation.attempt_id,
        origin="customer" if event.actor == "customer" else "provider",
        activation_date=activation.requested_date,
        retry_number=LOOK_AGAIN_STEP,
    )


def deactivation_step(event: OrderEvent) -> ActivationMessage | None:
    """The deactivation step a withdrawal's event promises; None when it promises none."""
    order = event.order_snapshot
    if event.kind != OrderEventKind.WITHDRAWN or order is None:
        return None
    deactivation = order.deactivation
    if deactivation is None or deactivation.state != DeactivationState.PENDING:
        return None
    if deactivation.attempt_id is None:
        return None
    return ActivationMessage(
        kind="deactivate",
        order_id=order.id,
        attempt_id=deactivation.attempt_id,
        origin="customer" if event.actor == "customer" else "provider",
        retry_number=FIRST_DEACTIVATION_STEP,
    )


def queue_look_again(event: OrderEvent, after_s: int, deps: Deps) -> ActivationMessage | None:
    """Queue the look `event` promises, `after_s` seconds from now (at most the queue's
    delay cap), or the deactivation a withdrawal promises, at once. Safe to call again for
    the same event: a second look or deactivation step is a duplicate."""
    step = look_again_step(event)
    if step is not None:
        deps.activation_queue.send(step, delay_seconds=clamped_delay(after_s))
        return step
    deactivate = deactivation_step(event)
    if deactivate is not None:
        deps.activation_queue.send(deactivate, delay_seconds=0)
    return deactivate
