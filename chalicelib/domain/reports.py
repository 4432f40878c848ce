"""The monthly order report of a provider (issue 13, item 5): one row per order created in
a month, and totals per offer. Pure: the store hands in the orders (a key range of the
provider index, oldest first), this module says what a row and a total are.

A month is a Swedish calendar month: it begins at midnight in Stockholm, so an order placed
at 23:30 UTC on 31 January (00:30 on 1 February in Stockholm) belongs to February. Which
month an order is in is read from its id: an order id is a ULID made at the instant the
order was created, so a month is the key range between the ids of its first and last
millisecond (ids.order_id_range) and no Scan or filter is needed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from .clock import STOCKHOLM
from .models import ActivationState, DeactivationState, Order
from .ports import OrderStore

# Years 2000-2999: a month an order can have been placed in, and one a datetime can hold.
MONTH_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)
REFUSED_STATES = frozenset({ActivationState.REFUSED, ActivationState.FAILED})


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """YYYY-MM, or None for anything else."""
        if not _MONTH.fullmatch(text):
            return None
        return cls(int(text[:4]), int(text[5:]))

    @classmethod
    def of(cls, at: dt.datetime) -> Month:
        """The Swedish month of an instant."""
        local = at.astimezone(STOCKHOLM)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.datetime:
        """Midnight in Stockholm on the month's first day, as a UTC instant."""
        return dt.datetime(self.year, self.month, 1, tzinfo=STOCKHOLM).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The next month's start (exclusive)."""
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return Month(year, month).start


class Row(BaseModel):
    """One order of the month. Dates are Swedish days; instants are UTC."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    created_at: dt.datetime
    access_id: str | None
    city_network_id: str | None
    offer_id: str
    service_uid: str
    service_name: str
    activation_state: ActivationState
    activation_date: dt.date | None
    # Refused or failed activation: the city network's code and message.
    refusal_code: str | None
    refusal_message: str | None
    # From the order to when we learnt it was activated, in hours (one decimal).
    hours_to_activation: float | None
    deactivation_state: DeactivationState | None
    deactivation_date: dt.date | None
    withdrawal_date: dt.date | None
    # The price terms the customer agreed to (None for orders without an agreement).
    monthly_price_sek: int | None
    start_fee_sek: int | None
    campaign_price_sek: int | None
    campaign_months: int | None
    binding_months: int | None
    notice_months: int | None
    campaign_code: str | None


class OfferTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    offer_id: str
    orders: int
    activated: int
    withdrawn: int
    # Refused or failed activations.
    refused: int


def _swedish_day(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(STOCKHOLM).date() if at is not None else None


def _hours_to_activation(order: Order) -> float | None:
    activation = order.activation
    if activation.state != ActivationState.ACTIVATED:
        return None
    seconds = (activation.updated_at - order.created_at).total_seconds()
    return round(max(seconds, 0.0) / 3600, 1)


def row(order: Order) -> Row:
    activation, deactivation = order.activation, order.deactivation
    refused = activation.state in REFUSED_STATES and activation.reason is not None
    agreement = order.agreement
    price = agreement.price if agreement else None
    campaign = price.campaign if price else None
    done = deactivation is not None and deactivation.state == DeactivationState.DONE
    return Row(
        order_id=order.id,
        created_at=order.created_at.astimezone(dt.UTC),
        access_id=order.access_id,
        city_network_id=order.city_network_id,
        offer_id=order.offer_id,
        service_uid=order.service.uid,
        service_name=order.service.name,
        activation_state=activation.state,
        activation_date=activation.date if activation.state == ActivationState.ACTIVATED else None,
        refusal_code=activation.reason.code if refused and activation.reason else None,
        refusal_message=activation.reason.message if refused and activation.reason else None,
        hours_to_activation=_hours_to_activation(order),
        deactivation_state=deactivation.state if deactivation else None,
        deactivation_date=_swedish_day(deactivation.updated_at) if done and deactivation else None,
        withdrawal_date=_swedish_day(order.withdrawal.at) if order.withdrawal else None,
        monthly_price_sek=price.monthly_price_sek if price else None,
        start_fee_sek=price.start_fee_sek if price else None,
        campaign_price_sek=campaign.monthly_price_sek if campaign else None,
        campaign_months=campaign.months if campaign else None,
        binding_months=price.binding_months if price else None,
        notice_months=price.notice_months if price else None,
        campaign_code=agreement.campaign_code if agreement else None,
    )


class Totals:
    """Totals per offer, added to one order at a time (a month is read page by page)."""

    def __init__(self) -> None:
        self._counts: dict[str, list[int]] = {}

    def add(self, order: Order) -> None:
        counts = self._counts.setdefault(order.offer_id, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += order.activation.state == ActivationState.ACTIVATED
        counts[2] += order.withdrawal is not None
        counts[3] += order.activation.state in REFUSED_STATES

    def add_all(self, orders: Iterable[Order]) -> Totals:
        for order in orders:
            self.add(order)
        return self

    def per_offer(self) -> list[OfferTotals]:
        """Sorted by offer id."""
        return [
            OfferTotals(offer_id=offer_id, orders=o, activated=a, withdrawn=w, refused=r)
            for offer_id, (o, a, w, r) in sorted(self._counts.items())
        ]


# --- reading a month ---------------------------------------------------------------------

# Totals read the whole month in pages of this many orders, and stop after MAX_TOTALS
# orders (a Lambda has seconds, not minutes): `complete` then says the totals are partial.
TOTALS_PAGE = 500
MAX_TOTALS = 50_000


@dataclass(frozen=True)
class RowsPage:
    rows: list[Row]
    next_cursor: str | None


@dataclass(frozen=True)
class MonthTotals:
    per_offer: list[OfferTotals]
    orders: int
    complete: bool


def rows_page(
    store: OrderStore, provider_id: str, month: Month, *, limit: int, cursor: str | None
) -> RowsPage:
    page = store.created_between(provider_id, month.start, month.end, limit=limit, cursor=cursor)
    return RowsPage([row(order) for order in page.items], page.next_cursor)


def month_totals(
    store: OrderStore, provider_id: str, month: Month, *, max_orders: int = MAX_TOTALS
) -> MonthTotals:
    totals, read, cursor = Totals(), 0, None
    while True:
        page = store.created_between(
            provider_id, month.start, month.end, limit=TOTALS_PAGE, cursor=cursor
        )
        totals.add_all(page.items)
        read += len(page.items)
        cursor = page.next_cursor
        if cursor is None or read >= max_orders:
            return MonthTotals(totals.per_offer(), read, complete=cursor is None)
