"""What a city network's answer makes of an activation (docs/protocols/direct-activation.md,
"Refused or transient").

The same reading for the customer's first attempt and every queued step, so both treat a
reply alike: `ok` activates (now, or on a later date: scheduled), `refused` keeps the
city network's reason, `transient` leaves the activation pending for a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..citynet import CallResult, ServiceOrderResult
from ..models import Activation, ActivationState, Reason
from ..texts import N_

REFUSED_WITHOUT_REASON = N_("The city network refused the activation without giving a reason.")
UNREACHABLE_AFTER_RETRIES = N_(
    "The city network could not be reached, or did not answer, on any try; "
    "the activation was given up."
)


@dataclass(frozen=True)
class ActivationOutcome:
    activation: Activation
    transient: bool


def on_date(current: Activation, activation_date: date, today: date, now: datetime) -> Activation:
    """Activated today (or earlier), or scheduled for a later date."""
    state = ActivationState.SCHEDULED if activation_date > today else ActivationState.ACTIVATED
    return current.model_copy(
        update={"state": state, "date": activation_date, "reason": None, "updated_at": now}
    )


def activation_after_reply(
    current: Activation, result: ServiceOrderResult, *, requested: date, today: date, now: datetime
) -> ActivationOutcome:
    """The activation after one `service_order` reply; the attempt is counted."""
    counted = current.model_copy(update={"attempts": current.attempts + 1})
    if result.outcome == "ok" and not result.completed:
        # Taken for later: pending, not transient (no retry); the network's events finish it.
        waiting = counted.model_copy(
            update={
                "state": ActivationState.PENDING,
                "network_order_id": result.network_order_id,
                "updated_at": now,
            }
        )
        return ActivationOutcome(waiting, transient=False)
    if result.outcome == "ok":
        activation_date = result.activation_date or requested
        return ActivationOutcome(on_date(counted, activation_date, today, now), transient=False)
    if result.outcome == "refused":
        reason = Reason(
            code=result.code or "refused", message=result.message or REFUSED_WITHOUT_REASON
        )
        refused = counted.model_copy(
            update={"state": ActivationState.REFUSED, "reason": reason, "updated_at": now}
        )
        return ActivationOutcome(refused, transient=False)
    still_pending = counted.model_copy(update={"state": ActivationState.PENDING, "updated_at": now})
    return ActivationOutcome(still_pending, transient=True)


def activation_after_network_outcome(
    current: Activation, result: ServiceOrderResult, *, today: date, now: datetime
) -> Activation | None:
    """The activation once the city network says how an order it took for later ended;
    None while it is not over (still in progress, or the answer is unknown). No attempt
    is counted: this is the same attempt's outcome, not another order."""
    if result.transient or (result.outcome == "ok" and not result.completed):
        return None
    if result.outcome == "ok":
        return on_date(current, result.activation_date or today, today, now)
    reason = Reason(code=result.code or "refused", message=result.message or REFUSED_WITHOUT_REASON)
    return current.model_copy(
        update={"state": ActivationState.REFUSED, "reason": reason, "updated_at": now}
    )


def activation_failed(current: Activation, last: CallResult, now: datetime) -> Activation:
    """The retry budget is spent: `failed`, with the last fault's code (the calls
    themselves, messages included, are in the audit trail)."""
    return current.model_copy(
        update={
            "state": ActivationState.FAILED,
            "reason": Reason(code=last.code or "transient", message=UNREACHABLE_AFTER_RETRIES),
            "updated_at": now,
        }
    )
