"""The 14-day right of withdrawal (ångerrätt, distansavtalslagen 2 kap. 10 §) in dates.

The period starts the day after the order: an order placed on day 0 may be withdrawn up
to and including day 14 and is refused on day 15. A customer who does not ask for the
service to start during the period has it start on day 15, the first day after it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .clock import STOCKHOLM

WITHDRAWAL_DAYS = 14


def ordered_on(created_at: datetime) -> date:
    """The Swedish calendar day an order was placed on (day 0)."""
    return created_at.astimezone(STOCKHOLM).date()


def last_day_to_withdraw(order_day: date) -> date:
    return order_day + timedelta(days=WITHDRAWAL_DAYS)


def first_day_after_withdrawal_period(order_day: date) -> date:
    return order_day + timedelta(days=WITHDRAWAL_DAYS + 1)


def may_withdraw(order_day: date, today: date) -> bool:
    return today <= last_day_to_withdraw(order_day)


def starts_inside_withdrawal_period(requested: date | None, order_day: date) -> bool:
    """True when the service would start during the period: as soon as possible (None)
    or on a date up to its last day. Only then is the customer asked about an early start."""
    return requested is None or requested <= last_day_to_withdraw(order_day)


def start_date(requested: date | None, order_day: date, *, early_start: bool) -> date | None:
    """The date to ask the city network for: the customer's own unless it falls inside the
    withdrawal period without their explicit request to start early; then day 15."""
    if early_start or not starts_inside_withdrawal_period(requested, order_day):
        return requested
    return first_day_after_withdrawal_period(order_day)
