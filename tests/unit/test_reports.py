"""The monthly order report's rows, totals, months and CSV (domain/reports.py,
domain/report_csv.py), over the in-memory order store."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.adapters.cursor import CursorCodec
from chalicelib.adapters.memory import InMemoryOrderStore
from chalicelib.domain.errors import InvalidCursor
from chalicelib.domain.ids import new_order_id, order_id_range
from chalicelib.domain.models import (
    ActivationState,
    Agreement,
    Campaign,
    Deactivation,
    DeactivationState,
    PriceTerms,
    Withdrawal,
)
from chalicelib.domain.report_csv import cell, to_csv
from chalicelib.domain.reports import Month, Row, Totals, month_totals, row, rows_page
from tests.fakes import FixedClock
from tests.unit.provider_factories import make_order, store_order

A, B = "prov-a", "prov-b"
MARCH = Month(2025, 3)


def store() -> InMemoryOrderStore:
    return InMemoryOrderStore(CursorCodec(b"report-test-cursor-key-0123456789"))


def agreement(code: str | None = None) -> Agreement:
    return Agreement(
        price=PriceTerms(
            monthly_price_sek=299, start_fee_sek=495, binding_months=12, notice_months=1,
            campaign=Campaign(monthly_price_sek=99, months=3, code=code) if code else None,
        ),
        contract_summary_sha256="b" * 64, language="sv",
        terms_accepted_at=datetime(2025, 3, 3, 9, tzinfo=UTC), review_text_sha256="a" * 64,
        campaign_code=code,
    )  # fmt: skip


# --- months ------------------------------------------------------------------------------


def test_a_month_is_the_swedish_month_in_utc():
    assert MARCH.start == datetime(2025, 2, 28, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert MARCH.end == datetime(2025, 3, 31, 22, 0, tzinfo=UTC)  # CEST from 30 March
    assert Month(2025, 12).end == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2025-3", "2025-13", "2025-00", "1999-12", "25-03", "", "2025-03 "]
)
def test_only_yyyy_mm_is_a_month(text):
    assert Month.parse(text) is None


def test_an_order_at_23_30_utc_on_the_last_day_belongs_to_the_next_month_in_stockholm():
    orders, clock = store(), FixedClock(datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    late = store_order(orders, clock, A)
    january, february = Month(2025, 1), Month(2025, 2)

    assert Month.of(late.created_at) == february
    assert rows_page(orders, A, january, limit=10, cursor=None).rows == []
    [only] = rows_page(orders, A, february, limit=10, cursor=None).rows
    assert only.order_id == late.id


def test_the_key_range_holds_the_months_first_and_last_millisecond_and_nothing_else():
    low, high = order_id_range(MARCH.start, MARCH.end)
    last_ms = MARCH.end - timedelta(milliseconds=1)
    assert low <= new_order_id(MARCH.start) <= high
    assert low <= new_order_id(last_ms) <= high
    assert new_order_id(MARCH.start - timedelta(milliseconds=1)) < low
    assert new_order_id(MARCH.end) > high


# --- rows --------------------------------------------------------------------------------


def test_a_row_has_the_order_its_activation_and_its_agreed_price():
    at = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    order = make_order(
        A, at, activation_state=ActivationState.ACTIVATED, agreement=agreement("VINTER25")
    )
    order = order.model_copy(
        update={"activation": order.activation.model_copy(
            update={"date": date(2025, 3, 4), "updated_at": at + timedelta(hours=26, minutes=30)}
        )}
    )  # fmt: skip

    made = row(order)

    assert (made.order_id, made.created_at, made.access_id) == (order.id, at, order.access_id)
    assert (made.service_uid, made.service_name) == ("BB100", "Bredband 100/100")
    assert made.activation_state == ActivationState.ACTIVATED
    assert made.activation_date == date(2025, 3, 4)
    assert made.hours_to_activation == 26.5
    assert (made.refusal_code, made.refusal_message) == (None, None)
    assert (made.monthly_price_sek, made.start_fee_sek) == (299, 495)
    assert (made.campaign_price_sek, made.campaign_months) == (99, 3)
    assert (made.binding_months, made.notice_months, made.campaign_code) == (12, 1, "VINTER25")


def test_a_refused_order_shows_why_and_no_time_to_activation():
    order = make_order(A, datetime(2025, 3, 3, 9, tzinfo=UTC))  # refused, code 409
    made = row(order)
    assert (made.refusal_code, made.refusal_message) == ("409", "CPE must be configured")
    assert made.hours_to_activation is None and made.activation_date is None
    # no agreement (an order from before the review step): no price terms
    assert made.monthly_price_sek is None and made.campaign_code is None


def test_withdrawal_and_deactivation_dates_are_swedish_days():
    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    late_evening = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)  # 11 March in Stockholm
    order = make_order(
        A, at, activation_state=ActivationState.ACTIVATED,
        withdrawal=Withdrawal(at=late_evening),
        deactivation=Deactivation(state=DeactivationState.DONE, updated_at=late_evening),
    )  # fmt: skip
    made = row(order)
    assert made.withdrawal_date == date(2025, 3, 11)
    assert (made.deactivation_state, made.deactivation_date) == ("done", date(2025, 3, 11))

    pending = order.model_copy(
        update={"deactivation": Deactivation(state="pending", updated_at=late_evening)}
    )
    assert row(pending).deactivation_date is None


# --- totals and paging -------------------------------------------------------------------


def test_totals_count_orders_activated_withdrawn_and_refused_per_offer():
    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    orders = [
        make_order(A, at, activation_state=ActivationState.ACTIVATED),
        make_order(A, at, activation_state=ActivationState.ACTIVATED,
                   withdrawal=Withdrawal(at=at)),
        make_order(A, at, activation_state=ActivationState.REFUSED),
        make_order(A, at, activation_state=ActivationState.FAILED, offer_id="tv"),
        make_order(A, at, activation_state=ActivationState.PENDING, offer_id="tv"),
    ]  # fmt: skip
    [internet, tv] = Totals().add_all(orders).per_offer()
    assert (internet.offer_id, internet.orders, internet.activated) == (f"{A}-internet-100", 3, 2)
    assert (internet.withdrawn, internet.refused) == (1, 1)
    assert (tv.offer_id, tv.orders, tv.activated, tv.withdrawn, tv.refused) == ("tv", 2, 0, 0, 1)


def test_pages_walk_the_month_oldest_first_without_repeats_and_only_the_providers_own():
    orders, clock = store(), FixedClock(datetime(2025, 3, 1, 8, tzinfo=UTC))
    mine = [store_order(orders, clock, A) for _ in range(7)]
    store_order(orders, clock, B)
    seen, cursor, pages = [], None, 0
    while True:
        page = rows_page(orders, A, MARCH, limit=3, cursor=cursor)
        seen += [r.order_id for r in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [o.id for o in mine] and pages == 3


def test_a_cursor_is_bound_to_its_provider_and_its_month():
    orders, clock = store(), FixedClock(datetime(2025, 3, 1, 8, tzinfo=UTC))
    for _ in range(3):
        store_order(orders, clock, A)
    cursor = rows_page(orders, A, MARCH, limit=1, cursor=None).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        rows_page(orders, B, MARCH, limit=1, cursor=cursor)
    with pytest.raises(InvalidCursor):
        rows_page(orders, A, Month(2025, 4), limit=1, cursor=cursor)


def test_month_totals_read_every_page_and_say_when_they_stopped_early(monkeypatch):
    from chalicelib.domain import reports

    monkeypatch.setattr(reports, "TOTALS_PAGE", 2)
    orders, clock = store(), FixedClock(datetime(2025, 3, 1, 8, tzinfo=UTC))
    for _ in range(5):
        store_order(orders, clock, A)
    store_order(orders, clock, B)

    whole = month_totals(orders, A, MARCH)
    assert (whole.orders, whole.complete) == (5, True)
    assert [t.orders for t in whole.per_offer] == [5]
    cut = month_totals(orders, A, MARCH, max_orders=3)
    assert cut.complete is False and cut.orders == 4


# --- CSV ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+46701234567", "'+46701234567"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Bredband 100", "Bredband 100"),
        (None, ""),
        (12, "12"),
        (date(2025, 3, 4), "2025-03-04"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(value, written):
    assert cell(value) == written


def test_the_csv_has_a_header_row_and_rfc_4180_quoting():
    order = make_order(A, datetime(2025, 3, 3, 9, tzinfo=UTC))
    tricky = row(order).model_copy(
        update={
            "refusal_message": 'Fel, "port" saknas\nring oss',
            "service_name": "=cmd|' /C calc'!A0",
        }
    )
    text = to_csv(list(Row.model_fields), [tricky])

    assert text.endswith("\r\n")
    assert '"Fel, ""port"" saknas\nring oss"' in text
    [header, values] = list(csv.reader(io.StringIO(text)))
    assert header == list(Row.model_fields) and header[0] == "order_id"
    record = dict(zip(header, values, strict=True))
    assert record["refusal_message"] == 'Fel, "port" saknas\nring oss'
    assert record["service_name"] == "'=cmd|' /C calc'!A0"
    assert record["created_at"] == "2025-03-03T09:00:00+00:00"
    assert record["monthly_price_sek"] == ""
