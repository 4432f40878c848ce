"""The provider's order workflow (docs/architecture.md, "Provider status")."""

from __future__ import annotations

from .errors import InvalidTransition
from .models import OrderStatus as S

ALLOWED_TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.RECEIVED, S.IN_PROGRESS, S.WAITING, S.DELIVERED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.IN_PROGRESS, S.WAITING, S.DELIVERED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.DELIVERED, S.CANCELLED}),
    S.WAITING: frozenset({S.IN_PROGRESS, S.DELIVERED, S.CANCELLED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}


def allowed_next(current: S) -> list[str]:
    return sorted(s.value for s in ALLOWED_TRANSITIONS[current])


def check_transition(current: S, target: S) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        allowed = allowed_next(current)
        hint = ", ".join(allowed) if allowed else f"none: {current.value} is final"
        raise InvalidTransition(
            f"cannot go from {current.value} to {target.value}; allowed: {hint}",
            details={"current": current.value, "allowed": allowed},
        )


def check_withdrawal_cancel(current: S) -> None:
    """A withdrawal (ångerrätt) cancels the order from any status but `cancelled`, even
    `delivered`: the law gives the customer 14 days whatever the provider has done. The
    provider's own transitions above stay as they are."""
    if current == S.CANCELLED:
        raise InvalidTransition(
            "the order is already cancelled", details={"current": current.value, "allowed": []}
        )
