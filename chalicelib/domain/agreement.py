"""The evidence of what the customer agreed to (issue 12, item 4): built once, when the
customer confirms the review page, and stored with the order; nothing writes it again.

Pure: the web hands in the review page's text hash (it alone knows the page), the catalog
gives the offer, the provider and its current documents.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Literal

from .campaigns import asks_for_code, code_gives_campaign, normalised_code, price_terms_for
from .clock import STOCKHOLM
from .contract_summary import contract_summary
from .models import (
    Agreement,
    DocumentKind,
    DocumentRef,
    Offer,
    PriceTerms,
    Provider,
    ProviderDocument,
)
from .ports import Catalog
from .withdrawal_period import start_date, starts_inside_withdrawal_period

_SPACE = re.compile(r"\s+")


def document_ref(document: ProviderDocument | None) -> DocumentRef | None:
    if document is None:
        return None
    return DocumentRef(
        kind=document.kind,
        version=document.version,
        content_sha256=document.content_sha256,
        url=document.url,
    )


def current_documents(
    catalog: Catalog, provider_id: str
) -> dict[DocumentKind, ProviderDocument | None]:
    """The provider's terms and privacy policy as the customer is shown them now."""
    return {
        "terms": catalog.current_document(provider_id, "terms"),
        "privacy": catalog.current_document(provider_id, "privacy"),
    }


def text_sha256(visible_text: str) -> str:
    """SHA-256 of a page's visible text, whitespace runs made one space: the same words
    give the same hash whatever the markup's line breaks."""
    normalised = _SPACE.sub(" ", visible_text).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def asks_about_early_start(requested: date | None, order_day: date) -> bool:
    """The review asks whether to start during the withdrawal period only when the service
    would otherwise start inside it."""
    return starts_inside_withdrawal_period(requested, order_day)


def agreed_start_date(requested: date | None, order_day: date, *, early_start: bool) -> date | None:
    """The date the order asks for: the customer's, or day 15 without their early start."""
    return start_date(requested, order_day, early_start=early_start)


def build_agreement(
    offer: Offer,
    provider: Provider,
    city_network_name: str,
    documents: dict[DocumentKind, ProviderDocument | None],
    *,
    language: Literal["sv", "en"],
    accepted_at: datetime,
    early_start: bool,
    review_text_sha256: str,
    campaign_code: str | None = None,
    price: PriceTerms | None = None,
) -> Agreement:
    """The agreement of one order, as the customer confirmed it at `accepted_at`.

    `price` is the price the review page showed (None: the one `campaign_code` gives on
    the day of `accepted_at`); the code is kept only when it gave the campaign, normalised.
    """
    order_day = accepted_at.astimezone(STOCKHOLM).date()
    summary = contract_summary(offer, provider, city_network_name, order_day)
    code = normalised_code(campaign_code)
    gave = asks_for_code(offer, order_day) and code_gives_campaign(offer, code, order_day)
    kept_code = code if gave else None
    return Agreement(
        price=price if price is not None else price_terms_for(offer, kept_code, order_day),
        campaign_code=kept_code,
        terms=document_ref(documents.get("terms")),
        privacy=document_ref(documents.get("privacy")),
        contract_summary_sha256=summary.content_sha256,
        language=language,
        terms_accepted_at=accepted_at,
        early_start_requested=early_start,
        early_start_requested_at=accepted_at if early_start else None,
        review_text_sha256=review_text_sha256,
        offer_version=offer.version,
    )
