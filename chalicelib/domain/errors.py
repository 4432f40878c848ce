"""Typed domain exceptions. Entry points map them to HTTP in one place each."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. `code` is stable and machine-readable; the message is for humans."""

    code = "domain_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """Unknown id, or an id that belongs to another tenant (never distinguishable)."""

    code = "not_found"


class InvalidInput(DomainError):
    """The caller sent something we cannot accept; `details` names the fields."""

    code = "invalid_input"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it."""

    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ConcurrentModification(Conflict):
    """A conditional write lost against another writer (optimistic `version`)."""

    code = "concurrent_modification"


class AlreadyExists(Conflict):
    code = "already_exists"


class WithdrawalRefused(Conflict):
    """The right of withdrawal cannot be used on this order; `reason` says why:
    `already_withdrawn`, `period_over` (after the 14th day) or `cancelled`."""

    code = "withdrawal_refused"

    def __init__(self, reason: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.reason = reason


class CityNetworkUnavailable(DomainError):
    """A transient city-network fault where no order exists yet to keep (e.g. a check)."""

    code = "city_network_unavailable"


class Unauthorized(DomainError):
    code = "unauthorized"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
