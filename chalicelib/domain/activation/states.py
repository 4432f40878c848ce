"""The activation state machine (docs/architecture.md, "Activation states").

Beside the provider's workflow status (`domain/status.py`), an order's activation moves
only along this table. `pending` may be written again while an attempt retries.
"""

from __future__ import annotations

from ..errors import InvalidTransition
from ..models import ActivationState as A

TRANSITIONS: dict[A, frozenset[A]] = {
    # Not identified: no city-network call is ever made; the provider activates by hand.
    A.MANUAL: frozenset(),
    # An attempt is under way: its outcome, or another retry of it.
    A.PENDING: frozenset({A.PENDING, A.ACTIVATED, A.SCHEDULED, A.REFUSED, A.FAILED}),
    # The city network said no, or we gave up: the provider may ask again (scenario 2).
    A.REFUSED: frozenset({A.PENDING}),
    A.FAILED: frozenset({A.PENDING}),
    A.SCHEDULED: frozenset(),
    A.ACTIVATED: frozenset(),
    # Ordered by a chosen address: nothing is asked of the city network until the provider,
    # having checked the customer, asks for the activation (as in scenario 2).
    A.AWAITING_PROVIDER: frozenset({A.PENDING}),
}

# Where a provider's request for activation may start from.
RETRIGGERABLE: frozenset[A] = frozenset(
    state for state, targets in TRANSITIONS.items() if state != A.PENDING and A.PENDING in targets
)


def allowed_next(current: A) -> list[str]:
    return sorted(s.value for s in TRANSITIONS[current])


def check_activation_transition(current: A, target: A) -> None:
    if target not in TRANSITIONS[current]:
        allowed = allowed_next(current)
        hint = ", ".join(allowed) if allowed else f"none: {current.value} is final"
        raise InvalidTransition(
            f"activation cannot go from {current.value} to {target.value}; allowed: {hint}",
            details={"activation_state": current.value, "allowed": allowed},
        )
