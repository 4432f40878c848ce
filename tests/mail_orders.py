"""Orders with an agreement for the mail tests, placed through `place_order`.

The review step (another part of issue 12) decides how `place_order` is handed the
agreement; until then this places the order as it is and adds the agreement in the same
create (the order and its snapshot in the `order_created` event both carry it), so the
mail tests do not depend on how the web form posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.models import (
    Agreement,
    Campaign,
    DocumentRef,
    LegalIdentity,
    Order,
    PriceTerms,
    Provider,
)
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.ports import Catalog

TERMS_SHA = "a1b2c3d4e5f6" + "0" * 52
PRIVACY_SHA = "0f1e2d3c4b5a" + "1" * 52
SUMMARY_SHA = "9a8b7c6d5e4f" + "2" * 52
REVIEW_SHA = "3" * 64

PROVIDER_IDENTITY = LegalIdentity(
    company_name="Test TL AB",
    organisation_number="556677-8899",
    address="Fibervägen 2, 222 22 Lund",
    email="kundtjanst@testtl.example",
    phone="+46 46 123 45 67",
)


def an_agreement(
    language: Literal["sv", "en"] = "sv",
    *,
    # The customer asked to start at once: the order is activated (scenario 1) rather than
    # scheduled for the 15th day.
    early_start: bool = True,
    at: datetime | None = None,
    with_documents: bool = True,
) -> Agreement:
    accepted = at or datetime.fromisoformat("2026-11-26T09:00:00+00:00")
    return Agreement(
        price=PriceTerms(
            monthly_price_sek=299,
            start_fee_sek=495,
            campaign=Campaign(monthly_price_sek=99, months=3),
            binding_months=12,
            notice_months=1,
        ),
        terms=DocumentRef(
            kind="terms", version=3, content_sha256=TERMS_SHA, url="https://testtl.example/villkor"
        )
        if with_documents
        else None,
        privacy=DocumentRef(
            kind="privacy",
            version=2,
            content_sha256=PRIVACY_SHA,
            url="https://testtl.example/integritet",
        )
        if with_documents
        else None,
        contract_summary_sha256=SUMMARY_SHA,
        language=language,
        terms_accepted_at=accepted,
        early_start_requested=early_start,
        early_start_requested_at=accepted if early_start else None,
        review_text_sha256=REVIEW_SHA,
    )


def give_provider_identity(catalog: Catalog, provider_id: str) -> Provider:
    provider = catalog.get_provider(provider_id).model_copy(
        update={"legal_identity": PROVIDER_IDENTITY}
    )
    catalog.put_provider(provider)
    return provider


def place_with_agreement(
    request: OrderRequest,
    access: Access | None,
    deps: Any,
    agreement: Agreement | None,
    **kwargs: Any,
) -> Order:
    """`place_order` with `agreement` (None: an order from before the review step)."""
    return place_order(request, access, deps, agreement=agreement, **kwargs)
