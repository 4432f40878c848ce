"""Which activation dates a customer (or a provider re-triggering) may ask for.

One rule, used by the order form, the ordering service and the provider API: from today
(Swedish time) up to the same day next year. On 29 February next year's last day is the
28th.
"""

from __future__ import annotations

from datetime import date

from .errors import InvalidInput


def requested_date_bounds(today: date) -> tuple[date, date]:
    """The first and last date that may be asked for."""
    try:
        last = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        last = today.replace(year=today.year + 1, day=28)
    return today, last


def is_within_bounds(requested: date, today: date) -> bool:
    first, last = requested_date_bounds(today)
    return first <= requested <= last


def checked_requested_date(requested: date | None, today: date, *, field: str) -> date | None:
    """`requested` when allowed (None = as soon as possible); InvalidInput naming `field`."""
    if requested is None or is_within_bounds(requested, today):
        return requested
    raise InvalidInput(
        f"{field} must be today or later and at most one year ahead (Swedish time)",
        details={"field": field},
    )
