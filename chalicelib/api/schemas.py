"""The provider API's request and response bodies. The OpenAPI document is generated from
these models, so what is validated, what is returned and what is documented cannot drift.

Requests forbid unknown fields (a typo is a 422 naming the field, not a silent no-op).
Responses are built from domain objects by `from_domain`, which picks fields explicitly:
internal fields (receipt token hash, attempt ids) never leave through the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.domain.models import (
    ActivationState,
    Category,
    CityNetworkCall,
    Customer,
    Offer,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Reason,
    Service,
)
from chalicelib.domain.ports import OrderPage

ORDER_ID_PATTERN = r"^ord_[0-9A-HJKMNP-TV-Z]{26}$"
# Printable ASCII without spaces: safe in a header and in a token store key.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,200}$"
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


def _as_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
        raise ValueError("the instant is out of range") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]


# --- requests --------------------------------------------------------------------------


class ListOrdersQuery(_In):
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


class StatusChangeIn(_In):
    status: OrderStatus
    note: str | None = Field(default=None, max_length=4000)


class MessageIn(_In):
    type: Literal["log", "alert", "error", "system"]
    text: str = Field(min_length=1, max_length=4000)


class ActivationIn(_In):
    date: dt.date | None = Field(
        default=None,
        description=(
            "Activation date (today or later, Swedish time); omitted = as soon as possible."
        ),
    )


# --- responses -------------------------------------------------------------------------


class ErrorBody(_Out):
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="For humans; may change.")
    details: Any = None


class ErrorOut(_Out):
    error: ErrorBody


class ActivationOut(_Out):
    state: ActivationState
    date: dt.date | None
    reason: Reason | None
    attempts: int
    updated_at: dt.datetime


class OrderOut(_Out):
    id: str
    provider_id: str
    offer_id: str
    city_network_id: str | None
    access_id: str | None
    identified: bool
    service: Service
    customer: Customer
    details: dict[str, Any]
    extra: dict[str, Any]
    requested_date: dt.date | None
    activation: ActivationOut
    status: OrderStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def from_domain(cls, order: Order) -> OrderOut:
        a = order.activation
        return cls(
            id=order.id,
            provider_id=order.provider_id,
            offer_id=order.offer_id,
            city_network_id=order.city_network_id,
            access_id=order.access_id,
            identified=order.identified,
            service=order.service,
            customer=order.customer,
            details=order.details,
            extra=order.extra,
            requested_date=order.requested_date,
            activation=ActivationOut(
                state=a.state,
                date=a.date,
                reason=a.reason,
                attempts=a.attempts,
                updated_at=a.updated_at,
            ),
            status=order.status,
            created_at=order.created_at,
            updated_at=order.updated_at,
            version=order.version,
        )


class OrderListOut(_Out):
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


class EventOut(_Out):
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


class EventListOut(_Out):
    items: list[EventOut] = Field(description="Oldest first.")


class OfferOut(_Out):
    id: str
    city_network_id: str
    service_uid: str
    category: Category
    name: str
    monthly_price_sek: int
    binding_months: int
    extension_form_id: str | None

    @classmethod
    def from_domain(cls, offer: Offer) -> OfferOut:
        return cls(
            id=offer.id,
            city_network_id=offer.city_network_id,
            service_uid=offer.service_uid,
            category=offer.category,
            name=offer.name,
            monthly_price_sek=offer.monthly_price_sek,
            binding_months=offer.binding_months,
            extension_form_id=offer.extension_form_id,
        )


class OfferListOut(_Out):
    items: list[OfferOut]
