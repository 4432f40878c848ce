"""One activation queue message: one step of an activation attempt (the worker's use case).

The rules (docs/architecture.md, "Activation"; docs/protocols/direct-activation.md):

- a message for another attempt, for an activation no longer `pending`, or for a cancelled
  order is stale: dropped without any call;
- a step calls `service_order` at most once, whatever the queue does: the step is claimed
  in `OneTimeTokens` before the call, and the claim remembers how far the step got, so a
  duplicate or a redelivery after a crash finishes the step from there instead of ordering
  again (and reconciles through `port_status` when the outcome of the call is unknown);
- a retry after a transient fault asks `port_status` first: a service already on the port
  went through earlier and is recorded, not ordered again;
- transient faults retry on `ACTIVATION_RETRIES`; a wait beyond the queue's delay cap
  travels in the message (`not_before`); when the budget is spent the activation fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from ..citynet import CallResult, CityNetworkClient, ServiceOrderResult
from ..clock import today_in_sweden
from ..errors import InvalidInput, NotFound
from ..models import Activation, ActivationState, Order, OrderStatus
from ..ports import Deps, OneTimeTokens
from ..queues import MAX_QUEUE_DELAY_S, still_waiting
from ..retry import RandomSource
from .deactivation import DeactivationResult, process_deactivation
from .events import call_events
from .messages import ActivationMessage
from .recording import record_activation
from .replies import (
    activation_after_network_outcome,
    activation_after_reply,
    activation_failed,
    on_date,
)
from .retries import queue_next_step, wait_after
from .service_orders import order_service

logger = logging.getLogger(__name__)

# Long enough to outlive every redelivery of a step (retries span about 11 hours).
CLAIM_TTL = timedelta(days=7)
ACTOR = "worker"

AttemptKind = Literal[
    "skipped_stale",
    "deferred",
    "activated",
    "scheduled",
    "refused",
    "retry_scheduled",
    "failed",
    "reconciled_activated",
    "waiting_on_network",
]

# How far a claimed step got; stored as the claim's value.
_CALLING = "calling"  # claimed; a call may be in flight, its outcome unknown
_CALLED = "called"  # the replies are known (kept in the claim) but maybe not recorded
_RECORDED = "recorded"  # the order is written; the next step may not be queued yet
_DONE = "done"


@dataclass(frozen=True)
class AttemptResult:
    """What one message led to. `order` is the order as written, when this step wrote it."""

    kind: AttemptKind
    order_id: str
    order: Order | None = None
    next_message: ActivationMessage | None = None
    delay_seconds: int | None = None
    detail: str | None = None


def claim_key(message: ActivationMessage) -> str:
    return f"activation-call:{message.attempt_id}:{message.retry_number}"


def process_activation(
    message: ActivationMessage,
    deps: Deps,
    *,
    claims: OneTimeTokens,
    rng: RandomSource | None = None,
) -> AttemptResult | DeactivationResult:
    """Process one step. Raises only for infrastructure faults (store or queue down, or an
    order that kept changing): the message then comes back and the claim resumes the step."""
    if message.kind == "deactivate":  # a withdrawal's step (deactivation.py)
        return process_deactivation(message, deps, rng=rng)
    try:
        order = deps.orders.get(message.order_id)
    except NotFound:
        logger.warning("activation message for an unknown order", extra=_ids(message))
        return AttemptResult("skipped_stale", message.order_id, detail="unknown order")
    stale = _stale_because(order, message)
    if stale is not None:
        logger.info("stale activation message dropped: %s", stale, extra=_ids(message))
        return AttemptResult("skipped_stale", order.id, detail=stale)

    now = deps.clock.now()
    wait = still_waiting(message.not_before, now)
    if wait is not None:
        deps.activation_queue.send(message, delay_seconds=wait)
        return AttemptResult(
            "deferred", order.id, next_message=message, delay_seconds=wait, detail="not due"
        )

    step = _Step(message, deps, claims, rng)
    key = claim_key(message)
    if order.activation.network_order_id is not None:
        # The network took the order to finish later: ask how it stands, never order again
        # (no claim needed: a read cannot activate twice).
        result = step.follow_network_order(order)
    elif claims.claim(key, now + CLAIM_TTL, {"stage": _CALLING}):
        result = step.run(order)
    else:
        result = step.resume(order, claims.get(key) or {})
    step.mark(_DONE)
    written = result.order or order
    logger.info(
        "activation step: %s",
        result.kind,
        extra={**_ids(message), "activation_state": written.activation.state.value},
    )
    return result


def _ids(message: ActivationMessage) -> dict[str, Any]:
    return {
        "order_id": message.order_id,
        "attempt_id": message.attempt_id,
        "retry_number": message.retry_number,
    }


def _stale_because(order: Order, message: ActivationMessage) -> str | None:
    if order.status == OrderStatus.CANCELLED:
        return "order cancelled"
    if order.activation.attempt_id != message.attempt_id:
        return "another attempt is current"
    if order.activation.state != ActivationState.PENDING:
        return f"activation already {order.activation.state.value}"
    return None


class _Step:
    """One claimed step of one attempt."""

    def __init__(
        self,
        message: ActivationMessage,
        deps: Deps,
        claims: OneTimeTokens,
        rng: RandomSource | None,
    ) -> None:
        self.message = message
        self.deps = deps
        self.claims = claims
        self.rng = rng
        self.key = claim_key(message)

    # --- the claim's progress ------------------------------------------------------------

    def mark(self, stage: str, **extra: Any) -> None:
        """Best effort: a lost mark only makes a redelivery redo more of the step, and the
        order's own state (and version) keep that from ordering twice."""
        try:
            self.claims.put_value(self.key, {"stage": stage, **extra})
        except Exception:
            logger.warning("could not note the step's progress", extra=_ids(self.message))

    # --- entering the step ---------------------------------------------------------------

    def run(self, order: Order) -> AttemptResult:
        """First delivery of this step: port_status first on a retry, then service_order."""
        client = self._client(order)
        calls: list[CallResult] = []
        if self.message.retry_number >= 1:
            status = client.port_status(_access_id(order))
            calls.append(status)
            on_port = status.port.service(order.service.uid) if status.port else None
            if status.outcome == "ok" and on_port is not None:
                return self._found_on_port(order, calls, on_port.date)
            if status.transient:
                # We cannot tell whether the earlier order went through: ordering now could
                # activate twice, so this step counts as a transient fault.
                return self._after_transient(order, calls, last=status, activation=None)
            # A refused port_status (e.g. the access is unknown) leaves service_order to
            # give the city network's reason.

        today = today_in_sweden(self.deps.clock)
        activation_date = max(self.message.activation_date or today, today)
        reply = order_service(client, order, activation_date, origin=self.message.origin)
        calls.append(reply)
        logger.info(
            "service_order %s in %s ms",
            reply.outcome,
            reply.duration_ms,
            extra={**_ids(self.message), "code": reply.code},
        )
        self.mark(
            _CALLED,
            calls=[c.model_dump(mode="json") for c in calls],
            reply=reply.model_dump(mode="json"),
            activation_date=activation_date.isoformat(),
        )
        return self._apply_reply(order, calls, reply, activation_date)

    def follow_network_order(self, order: Order) -> AttemptResult:
        """The city network has the order (ON-API: RECEIVED): its outcome, if it has one.
        Usually the network's events bring it first; this look catches a lost event."""
        network_order_id = order.activation.network_order_id
        assert network_order_id is not None
        reply = self._client(order).network_order(network_order_id)
        if reply.transient:
            return self._after_transient(order, [reply], last=reply, activation=None)
        now = self.deps.clock.now()
        activation = activation_after_network_outcome(
            order.activation, reply, today=today_in_sweden(self.deps.clock), now=now
        )
        if activation is None:
            self.deps.orders.append_events(call_events(order, [reply], now, ACTOR))
            return AttemptResult("waiting_on_network", order.id, detail="still under way")
        written = self._write(order, [reply], lambda _: activation)
        if written is None:
            return AttemptResult("skipped_stale", order.id, detail="superseded")
        kind: AttemptKind = "refused"
        if written.activation.state == ActivationState.ACTIVATED:
            kind = "activated"
        elif written.activation.state == ActivationState.SCHEDULED:
            kind = "scheduled"
        return AttemptResult(kind, order.id, order=written)

    def resume(self, order: Order, progress: dict[str, Any]) -> AttemptResult:
        """The step was claimed before: a duplicate delivery, or a redelivery after a crash.
        Never order again here; finish from where the step got."""
        stage = progress.get("stage", _CALLING)
        if stage == _DONE:
            return AttemptResult("skipped_stale", order.id, detail="step already done")
        if stage == _RECORDED:
            # Only a transient outcome leaves the order pending after it was written.
            return self._schedule_next(order, order)
        if stage == _CALLED:
            try:
                calls = [CallResult.model_validate(c) for c in progress["calls"]]
                reply = ServiceOrderResult.model_validate(progress["reply"])
                activation_date = date.fromisoformat(progress["activation_date"])
            except (KeyError, TypeError, ValueError, ValidationError):
                logger.warning("unreadable step progress; reconciling", extra=_ids(self.message))
            else:
                return self._apply_reply(order, calls, reply, activation_date)
        return self._reconcile(order)

    def _reconcile(self, order: Order) -> AttemptResult:
        """The outcome of this step's call is unknown: ask the port, do not order."""
        status = self._client(order).port_status(_access_id(order))
        on_port = status.port.service(order.service.uid) if status.port else None
        if status.outcome == "ok" and on_port is not None:
            return self._found_on_port(order, [status], on_port.date)
        last: CallResult = status
        if not status.transient:
            last = CallResult(
                method="service_order",
                outcome="transient",
                code="unknown_outcome",
                message="the outcome of an earlier service_order is unknown",
                duration_ms=0,
            )
        return self._after_transient(order, [status], last=last, activation=None)

    # --- outcomes --------------------------------------------------------------------------

    def _apply_reply(
        self,
        order: Order,
        calls: list[CallResult],
        reply: ServiceOrderResult,
        activation_date: date,
    ) -> AttemptResult:
        outcome = activation_after_reply(
            order.activation,
            reply,
            requested=activation_date,
            today=today_in_sweden(self.deps.clock),
            now=self.deps.clock.now(),
        )
        if outcome.transient:
            return self._after_transient(order, calls, last=reply, activation=outcome.activation)
        written = self._write(order, calls, lambda _: outcome.activation)
        if written is None:
            return AttemptResult("skipped_stale", order.id, detail="superseded during the call")
        kind: AttemptKind = "refused"
        if written.activation.state == ActivationState.ACTIVATED:
            kind = "activated"
        elif written.activation.state == ActivationState.SCHEDULED:
            kind = "scheduled"
        return AttemptResult(kind, order.id, order=written)

    def _found_on_port(
        self, order: Order, calls: list[CallResult], service_date: date | None
    ) -> AttemptResult:
        now = self.deps.clock.now()
        today = today_in_sweden(self.deps.clock)
        written = self._write(
            order,
            calls,
            lambda current: on_date(current.activation, service_date or today, today, now),
        )
        if written is None:
            return AttemptResult("skipped_stale", order.id, detail="superseded during the call")
        return AttemptResult(
            "reconciled_activated", order.id, order=written, detail="already on the port"
        )

    def _after_transient(
        self,
        order: Order,
        calls: list[CallResult],
        *,
        last: CallResult,
        activation: Activation | None,
    ) -> AttemptResult:
        """A transient fault in this step: the next step, or `failed` when the budget is spent.
        `activation` is the activation after the reply (attempts counted), None if no
        service_order was made."""
        now = self.deps.clock.now()
        if wait_after(self.message, self.rng) is None:

            def failed(current: Order) -> Activation:
                return activation_failed(activation or current.activation, last, now)

            written = self._write(order, calls, failed)
            if written is None:
                return AttemptResult("skipped_stale", order.id, detail="superseded")
            return AttemptResult("failed", order.id, order=written)

        if activation is not None:
            written = self._write(order, calls, lambda _: activation)
            if written is None:
                return AttemptResult("skipped_stale", order.id, detail="superseded")
        else:
            # Nothing about the activation changed: the calls go in the trail only.
            self.deps.orders.append_events(call_events(order, calls, now, ACTOR))
            written = order
        self.mark(_RECORDED)
        return self._schedule_next(order, written)

    def _schedule_next(self, order: Order, written: Order) -> AttemptResult:
        wait = wait_after(self.message, self.rng)
        if wait is None:  # only reachable when resuming a step that recorded a fault
            wait = MAX_QUEUE_DELAY_S
        following = queue_next_step(self.message, wait, self.deps)
        return AttemptResult(
            "retry_scheduled",
            order.id,
            order=written,
            next_message=following,
            delay_seconds=wait,
        )

    # --- writing -----------------------------------------------------------------------------

    def _write(
        self,
        order: Order,
        calls: list[CallResult],
        activation_for: Callable[[Order], Activation],
    ) -> Order | None:
        return record_activation(
            order,
            activation_for,
            calls=calls,
            attempt_id=self.message.attempt_id,
            actor=ACTOR,
            deps=self.deps,
        )

    def _client(self, order: Order) -> CityNetworkClient:
        if order.city_network_id is None:
            # An unidentified order is `manual` and never queued; reaching here is a bug.
            raise InvalidInput("order has no city network", details={"order_id": order.id})
        return self.deps.city_networks.for_city_network(order.city_network_id)


def _access_id(order: Order) -> str:
    if order.access_id is None:
        raise InvalidInput("order has no access", details={"order_id": order.id})
    return order.access_id
