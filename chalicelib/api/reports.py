"""Provider API: the monthly order report (issue 13, item 5).

`GET /reports/orders?month=YYYY-MM` pages through the month's orders oldest first (`limit`,
`cursor`; JSON pages carry `next_cursor`, CSV pages an `X-Next-Cursor` header), and
`GET /reports/orders/totals?month=YYYY-MM` gives the totals per offer over the whole month
(read page by page in one request, bounded: `complete` says whether every order was
counted). Totals are a separate operation so that every page of rows costs the same
whatever the month's size. Both answer JSON, or CSV when `Accept` asks for text/csv before
application/json. The rows and totals are the domain's (domain/reports.py); the CSV and its
formula guard domain/report_csv.py's.
"""

from __future__ import annotations

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.composition import adapters
from chalicelib.domain import reports
from chalicelib.domain.report_csv import to_csv

from .errors import ApiError
from .openapi import Call
from .registry import api, json_response

CSV = "text/csv"
NEXT_CURSOR_HEADER = "X-Next-Cursor"
MAX_REPORT_LIMIT = 500
DEFAULT_REPORT_LIMIT = 200
_MONTH_FIELD = Field(
    description="A Swedish calendar month, YYYY-MM (orders by their creation in Stockholm time).",
    # Documented, not enforced by the model: a wrong month is a 400 naming the field.
    json_schema_extra={"pattern": reports.MONTH_PATTERN, "examples": ["2025-03"]},
)


class MonthQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    month: str = _MONTH_FIELD


class ReportQuery(MonthQuery):
    limit: int = Field(
        default=DEFAULT_REPORT_LIMIT,
        ge=1,
        le=MAX_REPORT_LIMIT,
        description=f"Orders per page, 1 to {MAX_REPORT_LIMIT}.",
    )
    cursor: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="`next_cursor` of the previous page (for the same month); opaque.",
    )


class ReportPageOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: str
    items: list[reports.Row]
    next_cursor: str | None = Field(description="null on the month's last page.")


class ReportTotalsOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: str
    orders: int = Field(description="Orders counted.")
    complete: bool = Field(
        description="False when the month had more orders than one report counts."
    )
    offers: list[reports.OfferTotals]


def _month(text: str) -> reports.Month:
    month = reports.Month.parse(text)
    if month is None:
        raise ApiError(
            400,
            "invalid_month",
            "month must be a month as YYYY-MM, e.g. 2025-03",
            details=[
                {
                    "field": "query.month",
                    "loc": ["query", "month"],
                    "message": f"must match {reports.MONTH_PATTERN}",
                    "type": "string_pattern_mismatch",
                }
            ],
        )
    return month


def wants_csv(accept: str | None) -> bool:
    """CSV when Accept names text/csv before (or without) application/json; JSON else."""
    media = [part.split(";", 1)[0].strip().lower() for part in (accept or "").split(",")]
    if CSV not in media:
        return False
    return "application/json" not in media or media.index(CSV) < media.index("application/json")


def _csv_response(text: str, name: str, next_cursor: str | None = None) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": f"{CSV}; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    if next_cursor is not None:
        headers[NEXT_CURSOR_HEADER] = next_cursor
    return Response(body=text, status_code=200, headers=headers)


@api.operation(
    "GET",
    "/reports/orders",
    summary="The month's orders, oldest first, one row each (JSON, or CSV by Accept)",
    description=(
        "Each order created in the Swedish month: access, service, activation and "
        "deactivation, withdrawal, refusal reason, hours from order to activation, and the "
        "price terms of its agreement. Paged: pass next_cursor (CSV: the X-Next-Cursor "
        "header) as cursor for the next page. A month not given as YYYY-MM is a 400."
    ),
    status=200,
    response=ReportPageOut,
    errors=(400, 422),
    query=ReportQuery,
    csv=True,
)
def report_orders(call: Call) -> Response:
    q = call.query_as(ReportQuery)
    month = _month(q.month)
    page = reports.rows_page(
        adapters().orders, call.provider_id, month, limit=q.limit, cursor=q.cursor
    )
    if wants_csv(call.header("accept")):
        text = to_csv(list(reports.Row.model_fields), page.rows)
        return _csv_response(text, f"orders-{month}.csv", page.next_cursor)
    body = ReportPageOut(month=str(month), items=page.rows, next_cursor=page.next_cursor)
    return json_response(200, body)


@api.operation(
    "GET",
    "/reports/orders/totals",
    summary="Totals per offer for the month's orders (JSON, or CSV by Accept)",
    description=(
        "Orders, activated, withdrawn and refused (refused or failed activation) per offer, "
        "over every order created in the Swedish month. A month not given as YYYY-MM is a "
        "400."
    ),
    status=200,
    response=ReportTotalsOut,
    errors=(400, 422),
    query=MonthQuery,
    csv=True,
)
def report_totals(call: Call) -> Response:
    month = _month(call.query_as(MonthQuery).month)
    totals = reports.month_totals(adapters().orders, call.provider_id, month)
    if wants_csv(call.header("accept")):
        text = to_csv(list(reports.OfferTotals.model_fields), totals.per_offer)
        return _csv_response(text, f"order-totals-{month}.csv")
    body = ReportTotalsOut(
        month=str(month), orders=totals.orders, complete=totals.complete, offers=totals.per_offer
    )
    return json_response(200, body)
