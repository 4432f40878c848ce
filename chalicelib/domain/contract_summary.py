"""The contract summary (avtalssammanfattning, lagen om elektronisk kommunikation 7 kap.
and the EU template PTS points to), generated from the catalog for one offer.

Its sections follow the template's order: the provider and how to reach it; the service
and its speed; the price; the term and what happens after it; switching and termination.
The summary's version is the SHA-256 of its content, so an order's agreement can name
exactly the summary the customer was shown.
"""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict

from .campaigns import price_terms_for
from .models import Category, LegalIdentity, Offer, PriceTerms, Provider

# Bump when the summary's wording (the template) changes in a way the content hash cannot
# see: the version then changes for every offer.
SUMMARY_LAYOUT = "1"


class ContractSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    offer_id: str
    provider_name: str
    provider_identity: LegalIdentity | None
    service_name: str
    category: Category
    city_network_name: str
    download_mbit: int | None = None
    upload_mbit: int | None = None
    price: PriceTerms

    @property
    def content_sha256(self) -> str:
        canonical = self.model_dump_json() + "|layout=" + SUMMARY_LAYOUT
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def contract_summary(
    offer: Offer, provider: Provider, city_network_name: str, today: date
) -> ContractSummary:
    """The summary as published on `today` (a Swedish day): the price everyone gets, a
    campaign that needs a code or is outside its dates left out."""
    return ContractSummary(
        offer_id=offer.id,
        provider_name=provider.name,
        provider_identity=provider.legal_identity,
        service_name=offer.name,
        category=offer.category,
        city_network_name=city_network_name,
        download_mbit=offer.download_mbit,
        upload_mbit=offer.upload_mbit,
        price=price_terms_for(offer, None, today),
    )
