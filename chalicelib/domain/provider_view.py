"""An order as its provider sees it: what the provider API returns and what a webhook
carries (docs/architecture.md, "The order model").

Built from the domain order by `from_order`, which picks fields explicitly, so internal
fields (the receipt token hash, attempt ids) never leave through either door.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from .models import (
    ActivationState,
    Agreement,
    Customer,
    Deactivation,
    DeactivationState,
    DocumentRef,
    IdentifiedBy,
    Order,
    OrderStatus,
    PriceTerms,
    Reason,
    Service,
    Withdrawal,
)


class ActivationView(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: ActivationState
    date: dt.date | None
    reason: Reason | None
    attempts: int
    updated_at: dt.datetime


class WithdrawalView(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: dt.datetime
    by: str = Field(description='Who withdrew: "customer".')
    reason: str | None = Field(description="The customer's own words, if any.")

    @classmethod
    def of(cls, withdrawal: Withdrawal | None) -> WithdrawalView | None:
        if withdrawal is None:
            return None
        return cls(at=withdrawal.at, by=withdrawal.by, reason=withdrawal.reason)


class DeactivationView(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: DeactivationState = Field(
        description=(
            '"pending": one service_deactivate is on its way (after a pending activation '
            'ends); "done": the city network took the service off the outlet; "not_needed": '
            'the activation never put it there; "failed": see reason (e.g. the network '
            "does not support deactivation through us: end the service with the network)."
        )
    )
    attempts: int = Field(description="Deactivation steps that called (or may have called).")
    updated_at: dt.datetime
    reason: Reason | None

    @classmethod
    def of(cls, deactivation: Deactivation | None) -> DeactivationView | None:
        if deactivation is None:
            return None
        d = deactivation
        return cls(state=d.state, attempts=d.attempts, updated_at=d.updated_at, reason=d.reason)


class AgreementView(BaseModel):
    """What the customer agreed to on the review page, kept with the order as evidence
    (docs/provider-guide.md, "The agreement"). Set when the order is created; never
    changed afterwards."""

    model_config = ConfigDict(frozen=True)

    price: PriceTerms = Field(
        description=(
            "The offer's price terms as the customer was shown them, in SEK including VAT: "
            "monthly_price_sek, start_fee_sek, campaign ({monthly_price_sek, months} or "
            "null), binding_months, notice_months."
        )
    )
    terms: DocumentRef | None = Field(
        description=(
            "The version of your terms the customer accepted (kind, version, "
            "content_sha256, url); null when you had published none."
        )
    )
    privacy: DocumentRef | None = Field(
        description="The version of your privacy policy linked; null when you had none."
    )
    contract_summary_sha256: str = Field(
        description="SHA-256 of the contract summary (avtalssammanfattning) shown: its version."
    )
    language: Literal["sv", "en"] = Field(description="The language of the pages shown.")
    terms_accepted_at: dt.datetime = Field(
        description="When the customer ticked the acceptance of your terms and confirmed."
    )
    early_start_requested: bool = Field(
        description=(
            "The customer asked for the service to start during the 14-day withdrawal "
            "period. False: the requested date is at the earliest the 15th day after the order."
        )
    )
    early_start_requested_at: dt.datetime | None = Field(
        description="When they asked for it; null when they did not."
    )
    review_text_sha256: str = Field(
        description="SHA-256 of the review page's visible text, whitespace normalised."
    )
    campaign_code: str | None = Field(
        description=(
            "The campaign code the customer typed, when it gave the campaign in price; null "
            "otherwise."
        )
    )
    offer_version: int | None = Field(
        default=None, description="The version of your offer the order was placed under."
    )

    @classmethod
    def from_agreement(cls, agreement: Agreement) -> Self:
        return cls.model_validate(agreement.model_dump())


class OrderView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    provider_id: str
    offer_id: str
    city_network_id: str | None
    access_id: str | None
    identified: bool
    identified_by: IdentifiedBy | None = Field(
        description=(
            'How the outlet was identified: "bounce" (the city network\'s bounce server, '
            'Direct Activation) or "portal" (the city network\'s web-portal hand-over, '
            "ON-API); null when the customer was not identified."
        )
    )
    service: Service
    customer: Customer
    details: dict[str, Any]
    extra: dict[str, Any]
    requested_date: dt.date | None
    forced_takeover: bool = Field(
        description=(
            "The customer takes the service over from the provider that has it on the "
            "outlet (moving in), and consented to it; sent to the city network with the "
            "activation (ON-API's forcedTakeover)."
        )
    )
    activation: ActivationView
    status: OrderStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    withdrawal: WithdrawalView | None = Field(
        default=None,
        description=(
            "Set when the customer used the 14-day right of withdrawal (the order is then "
            "cancelled; webhook order.withdrawn)."
        ),
    )
    deactivation: DeactivationView | None = Field(
        default=None, description="What the withdrawal did to the service on the outlet."
    )
    agreement: AgreementView | None = Field(
        description=(
            "What the customer agreed to before ordering (the review step); null for orders "
            "placed before that step existed. Never changes after the order is created."
        ),
    )

    @classmethod
    def from_order(cls, order: Order) -> Self:
        a = order.activation
        return cls(
            id=order.id,
            provider_id=order.provider_id,
            offer_id=order.offer_id,
            city_network_id=order.city_network_id,
            access_id=order.access_id,
            identified=order.identified,
            identified_by=order.identified_by,
            service=order.service,
            customer=order.customer,
            details=order.details,
            extra=order.extra,
            requested_date=order.requested_date,
            forced_takeover=order.forced_takeover,
            activation=ActivationView(
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
            withdrawal=WithdrawalView.of(order.withdrawal),
            deactivation=DeactivationView.of(order.deactivation),
            agreement=AgreementView.from_agreement(order.agreement) if order.agreement else None,
        )


def order_view(order: Order) -> dict[str, Any]:
    """The order as JSON data, for a webhook payload."""
    return OrderView.from_order(order).model_dump(mode="json")
