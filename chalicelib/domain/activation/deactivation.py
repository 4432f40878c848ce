"""One deactivation queue message: one step of a withdrawal's deactivation.

The rules (docs/architecture.md, "Withdrawal"):

- a message for another deactivation attempt, or for a deactivation no longer `pending`,
  is stale: dropped without any call;
- while the activation is still `pending` the step waits on the activation retry
  schedule. The withdrawal cancelled the order, so the activation's own queued retries are
  dropped: only a call already in flight (or an ON-API network order) can still end it.
  After one wait a Direct Activation order is settled by `port_status`: the service on
  the outlet is deactivated, an outlet without it needs nothing;
- an activation that never reached the outlet (`refused`, `failed`, ...) needs nothing;
- otherwise the step is claimed by a conditional write of `attempts` = step + 1 before the
  one `service_deactivate`, so a duplicate message, a raced delivery or a repeated
  withdrawal finds the step claimed and makes no call. It looks again after
  `CLAIM_FRESH`: a claim of that same step still pending by then belongs to a process that
  died, and the next step (which asks `port_status` first) takes over; once a later step
  is claimed, the look is stale;
- every call goes into the audit trail; transient faults retry on `ACTIVATION_RETRIES`;
  a refusal, or a spent budget, is `failed` with the reason; `ok` is `done`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..citynet import CallResult, CityNetworkClient
from ..clock import today_in_sweden
from ..errors import ConcurrentModification, InvalidInput, NotFound
from ..ids import new_event_id
from ..models import (
    ActivationState,
    Deactivation,
    DeactivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    Reason,
)
from ..ports import Deps
from ..queues import still_waiting
from ..retry import RandomSource
from .events import call_event, call_events, increasing_stamps
from .messages import ActivationMessage
from .retries import queue_next_step, wait_after

logger = logging.getLogger(__name__)

ACTOR = "worker"
WRITE_ATTEMPTS = 5
# A claimed step younger than this may still be calling: a duplicate looks again later.
# Far above a call's deadline and the queue's visibility timeout.
CLAIM_FRESH = timedelta(minutes=10)

DeactivationKind = Literal[
    "skipped_stale",
    "deferred",
    "waiting_for_activation",
    "claimed_elsewhere",
    "not_needed",
    "done",
    "failed",
    "retry_scheduled",
]

_ON_THE_OUTLET = frozenset({ActivationState.ACTIVATED, ActivationState.SCHEDULED})


@dataclass(frozen=True)
class DeactivationResult:
    """What one message led to. `order` is the order as written, when this step wrote it."""

    kind: DeactivationKind
    order_id: str
    order: Order | None = None
    next_message: ActivationMessage | None = None
    delay_seconds: int | None = None
    detail: str | None = None


def process_deactivation(
    message: ActivationMessage, deps: Deps, *, rng: RandomSource | None = None
) -> DeactivationResult:
    """Process one step. Raises only for infrastructure faults (the message comes back)."""
    try:
        order = deps.orders.get(message.order_id)
    except NotFound:
        return DeactivationResult("skipped_stale", message.order_id, detail="unknown order")
    stale = _stale_because(order, message)
    if stale is not None:
        logger.info("stale deactivation message dropped: %s", stale, extra=_ids(message))
        return DeactivationResult("skipped_stale", order.id, detail=stale)
    wait = still_waiting(message.not_before, deps.clock.now())
    if wait is not None:
        deps.activation_queue.send(message, delay_seconds=wait)
        return DeactivationResult("deferred", order.id, next_message=message, delay_seconds=wait)

    step = _Step(message, deps, rng)
    activation = order.activation
    if activation.state == ActivationState.PENDING:
        if activation.network_order_id is not None or message.retry_number == 0:
            result = step.wait_for_activation(order)
        else:
            result = step.claim_and_call(order)
    elif activation.state in _ON_THE_OUTLET:
        result = step.claim_and_call(order)
    else:
        result = step.finish(order, [], DeactivationState.NOT_NEEDED, None, "not_needed")
    logger.info("deactivation step: %s", result.kind, extra=_ids(message))
    return result


def _ids(message: ActivationMessage) -> dict[str, object]:
    return {
        "order_id": message.order_id,
        "attempt_id": message.attempt_id,
        "retry_number": message.retry_number,
    }


def _stale_because(order: Order, message: ActivationMessage) -> str | None:
    deactivation = order.deactivation
    if deactivation is None:
        return "no deactivation"
    if deactivation.attempt_id != message.attempt_id:
        return "another deactivation is current"
    if deactivation.state != DeactivationState.PENDING:
        return f"deactivation already {deactivation.state.value}"
    return None


def deactivation_event(order: Order, at: datetime, text: str) -> OrderEvent:
    """Announces the order's (new) deactivation in the audit trail."""
    return OrderEvent(
        id=new_event_id(at),
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.DEACTIVATION_CHANGED,
        at=at,
        actor=ACTOR,
        text=text,
        order_snapshot=order,
    )


class _Step:
    def __init__(self, message: ActivationMessage, deps: Deps, rng: RandomSource | None) -> None:
        self.message = message
        self.deps = deps
        self.rng = rng

    # --- waiting for the activation -------------------------------------------------------

    def wait_for_activation(self, order: Order) -> DeactivationResult:
        wait = wait_after(self.message, self.rng)
        if wait is None:
            reason = Reason(
                code="activation_unfinished",
                message="the activation never ended; nothing was deactivated",
            )
            return self.finish(order, [], DeactivationState.FAILED, reason, "failed")
        following = queue_next_step(self.message, wait, self.deps)
        return DeactivationResult(
            "waiting_for_activation",
            order.id,
            next_message=following,
            delay_seconds=wait,
            detail="the activation is still pending",
        )

    # --- the claimed call ------------------------------------------------------------------

    def claim_and_call(self, order: Order) -> DeactivationResult:
        claimed = self._claim(order)
        if isinstance(claimed, DeactivationResult):
            return claimed
        client = self._client(claimed)
        access_id, uid = _access_id(claimed), claimed.service.uid
        calls: list[CallResult] = []
        if self.message.retry_number >= 1:
            status = client.port_status(access_id)
            calls.append(status)
            if status.transient:
                return self._after_transient(claimed, calls, status)
            if status.outcome == "ok" and status.port and not status.port.has_service(uid):
                # Nothing on the outlet: an earlier call took it off, or it never got there.
                if claimed.activation.state in _ON_THE_OUTLET:
                    return self.finish(claimed, calls, DeactivationState.DONE, None, "done")
                return self.finish(claimed, calls, DeactivationState.NOT_NEEDED, None, "not_needed")
        reply = client.service_deactivate(access_id, uid, today_in_sweden(self.deps.clock))
        calls.append(reply)
        logger.info(
            "service_deactivate %s in %s ms",
            reply.outcome,
            reply.duration_ms,
            extra={**_ids(self.message), "code": reply.code},
        )
        if reply.outcome == "ok":
            return self.finish(claimed, calls, DeactivationState.DONE, None, "done")
        if reply.transient:
            return self._after_transient(claimed, calls, reply)
        return self.finish(claimed, calls, DeactivationState.FAILED, _reason(reply), "failed")

    def _claim(self, order: Order) -> Order | DeactivationResult:
        """The order with this step claimed, or the result when it may not be."""
        current = order
        step = self.message.retry_number
        for _ in range(WRITE_ATTEMPTS):
            stale = _stale_because(current, self.message)
            if stale is not None:
                return DeactivationResult("skipped_stale", order.id, detail=stale)
            deactivation = current.deactivation
            assert deactivation is not None
            now = self.deps.clock.now()
            if deactivation.attempts > step + 1:
                # A later step was claimed: this one's outcome is known and followed up.
                return DeactivationResult("skipped_stale", order.id, detail="a later step ran")
            if deactivation.attempts > step:
                return self._claimed_elsewhere(current, deactivation, now)
            stamp = current.stamp_after(now)
            claimed = current.next_version(
                deactivation=deactivation.model_copy(
                    update={"attempts": step + 1, "updated_at": stamp}
                ).model_dump(),
                updated_at=stamp,
            )
            try:
                self.deps.orders.replace(claimed, expected_version=current.version, events=[])
            except ConcurrentModification:
                current = self.deps.orders.get(order.id)
                continue
            return claimed
        raise ConcurrentModification(f"order {order.id} kept changing while claiming")

    def _claimed_elsewhere(
        self, order: Order, deactivation: Deactivation, now: datetime
    ) -> DeactivationResult:
        if now - deactivation.updated_at < CLAIM_FRESH:
            # Maybe calling right now: look again once the claim would be stale.
            delay = int(CLAIM_FRESH.total_seconds())
            self.deps.activation_queue.send(self.message, delay_seconds=delay)
            return DeactivationResult(
                "claimed_elsewhere",
                order.id,
                next_message=self.message,
                delay_seconds=delay,
                detail="step claimed by another delivery",
            )
        # The claimer died before it finished: the next step asks the outlet first.
        last_claimed = self.message.model_copy(update={"retry_number": deactivation.attempts - 1})
        following = queue_next_step(last_claimed, 0, self.deps)
        return DeactivationResult(
            "retry_scheduled",
            order.id,
            next_message=following,
            delay_seconds=0,
            detail="stale claim taken over",
        )

    def _after_transient(
        self, order: Order, calls: list[CallResult], last: CallResult
    ) -> DeactivationResult:
        wait = wait_after(self.message, self.rng)
        if wait is None:
            return self.finish(order, calls, DeactivationState.FAILED, _reason(last), "failed")
        self.deps.orders.append_events(call_events(order, calls, self.deps.clock.now(), ACTOR))
        following = queue_next_step(self.message, wait, self.deps)
        return DeactivationResult(
            "retry_scheduled", order.id, next_message=following, delay_seconds=wait
        )

    # --- writing -----------------------------------------------------------------------------

    def finish(
        self,
        order: Order,
        calls: Sequence[CallResult],
        state: DeactivationState,
        reason: Reason | None,
        kind: DeactivationKind,
    ) -> DeactivationResult:
        """Write the deactivation's outcome with the calls that led to it (one conditional
        write; a lost race re-reads while the step's deactivation is still current)."""
        current = order
        for _ in range(WRITE_ATTEMPTS):
            now = self.deps.clock.now()
            if _stale_because(current, self.message) is not None:
                self.deps.orders.append_events(call_events(current, calls, now, ACTOR))
                return DeactivationResult("skipped_stale", order.id, detail="superseded")
            deactivation = current.deactivation
            assert deactivation is not None
            stamps = increasing_stamps(now, len(calls) + 1)
            stamp = current.stamp_after(stamps[-1])
            updated = current.next_version(
                deactivation=deactivation.model_copy(
                    update={"state": state, "reason": reason, "updated_at": stamp}
                ).model_dump(),
                updated_at=stamp,
            )
            pairs = zip(calls, stamps[:-1], strict=True)
            events = [call_event(current, c, at, ACTOR) for c, at in pairs]
            text = f"Deactivation {state.value}" + (f": {reason.message}" if reason else "")
            events.append(deactivation_event(updated, stamp, text))
            try:
                self.deps.orders.replace(updated, expected_version=current.version, events=events)
            except ConcurrentModification:
                current = self.deps.orders.get(order.id)
                continue
            return DeactivationResult(kind, order.id, order=updated)
        raise ConcurrentModification(f"order {order.id} kept changing while deactivating")

    def _client(self, order: Order) -> CityNetworkClient:
        if order.city_network_id is None:
            raise InvalidInput("order has no city network", details={"order_id": order.id})
        return self.deps.city_networks.for_city_network(order.city_network_id)


def _reason(reply: CallResult) -> Reason:
    return Reason(
        code=reply.code or reply.outcome,
        message=reply.message or f"service_deactivate {reply.outcome}",
    )


def _access_id(order: Order) -> str:
    if order.access_id is None:
        raise InvalidInput("order has no access", details={"order_id": order.id})
    return order.access_id
