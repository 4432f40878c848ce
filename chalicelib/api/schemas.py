"""The provider API's request and response bodies. The OpenAPI document is generated from
these models, so what is validated, what is returned and what is documented cannot drift.

Requests forbid unknown fields (a typo is a 422 naming the field, not a silent no-op).
Responses are built from domain objects by `from_domain`, which picks fields explicitly:
internal fields (receipt token hash, attempt ids) never leave through the API.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.domain.models import (
    ActivationState,
    CityNetworkCall,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from chalicelib.domain.ports import OrderPage
from chalicelib.domain.provider_view import OrderView

ORDER_ID_PATTERN = r"^ord_[0-9A-HJKMNP-TV-Z]{26}$"
# Printable ASCII without spaces: safe in a header and in a token store key.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,200}$"
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


class In(BaseModel):
    """A request body or query: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


def _as_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError("the instant is out of range") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]


# --- requests --------------------------------------------------------------------------


class ListOrdersQuery(In):
    """Query parameters of GET /orders. Unknown query parameters are ignored (proxies and
    cache-busters add them); known ones are validated."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(
        default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size, 1 to 100."
    )
    cursor: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="`next_cursor` of the previous page; opaque.",
    )
    status: OrderStatus | None = Field(
        default=None, description="Only orders in this workflow status (not with updated_since)."
    )
    activation_state: ActivationState | None = Field(
        default=None,
        description="Only orders in this activation state (not with updated_since).",
    )
    updated_since: UtcDatetime | None = Field(
        default=None,
        description=(
            "ISO 8601 instant with a time zone, e.g. 2025-01-31T12:00:00Z. Switches to the "
            "change feed: orders changed after this instant, oldest change first. Pass the "
            "response's `next_updated_since` next time."
        ),
    )


class StatusChangeIn(In):
    status: OrderStatus
    note: str | None = Field(default=None, max_length=4000)


# What a message text may hold besides printable text: it is multi-line.
_LINE_BREAKS_AND_TABS = frozenset("\n\r\t")


def _printable_text(value: str) -> str:
    """No control character but line breaks and tabs (a NUL ends the text for C readers of
    an export), no format character (a bidirectional override makes it read otherwise)."""
    if any(
        unicodedata.category(c) in ("Cc", "Cf") and c not in _LINE_BREAKS_AND_TABS for c in value
    ):
        raise ValueError(
            "must not contain a control or format character (line breaks and tabs are allowed)"
        )
    return value


class MessageIn(In):
    type: Literal["log", "alert", "error", "system"]
    text: Annotated[str, AfterValidator(_printable_text)] = Field(
        min_length=1,
        max_length=4000,
        description=(
            "Up to 4000 characters; line breaks and tabs are allowed, other control "
            "characters (NUL, ESC...) and format characters (bidirectional overrides, zero "
            "widths) are a 422."
        ),
    )


class ActivationIn(In):
    date: dt.date | None = Field(
        default=None,
        description=(
            "Activation date, from today up to the same day next year (Swedish time), as "
            "for the customer's requested date; omitted = as soon as possible."
        ),
    )


# --- responses -------------------------------------------------------------------------


class ErrorBody(Out):
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="For humans; may change.")
    details: Any = None


class ErrorOut(Out):
    error: ErrorBody


class OrderOut(OrderView):
    """The order as its provider sees it (the same representation a webhook carries)."""

    @classmethod
    def from_domain(cls, order: Order) -> OrderOut:
        return cls.from_order(order)


class OrderListOut(Out):
    items: list[OrderOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    next_updated_since: dt.datetime | None = Field(
        default=None,
        description=(
            "Only with updated_since: once next_cursor is null, pass this as updated_since "
            "on the next poll."
        ),
    )

    @classmethod
    def from_page(
        cls, page: OrderPage, next_updated_since: dt.datetime | None = None
    ) -> OrderListOut:
        return cls(
            items=[OrderOut.from_domain(o) for o in page.items],
            next_cursor=page.next_cursor,
            next_updated_since=next_updated_since,
        )


class EventOut(Out):
    id: str
    order_id: str
    kind: OrderEventKind
    at: dt.datetime
    actor: str = Field(description='"customer", "system", "worker" or "provider:<id>".')
    call: CityNetworkCall | None = Field(description="For city-network calls.")
    activation_state: ActivationState | None
    status_from: OrderStatus | None
    status_to: OrderStatus | None
    message_type: Literal["log", "alert", "error", "system"] | None
    text: str | None
    webhook_type: str | None = Field(description="The webhook event this entry announced.")

    @classmethod
    def from_domain(cls, event: OrderEvent) -> EventOut:
        return cls(
            id=event.id,
            order_id=event.order_id,
            kind=event.kind,
            at=event.at,
            actor=event.actor,
            call=event.call,
            activation_state=event.activation_state,
            status_from=event.status_from,
            status_to=event.status_to,
            message_type=event.message_type,
            text=event.text,
            webhook_type=event.webhook_type,
        )


class EventListOut(Out):
    items: list[EventOut] = Field(description="Oldest first.")
