"""A provider's offer as the provider API knows it: one version of what the provider said,
sold in one or more city networks. Each city network's part is a catalog `Offer` of its own
(domain/offer_versions.py derives them), so customer pages keep reading one offer per
network, unchanged."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .models import ID_PATTERN, Category, Frozen, PriceTerms

# No "--": catalog offer ids are "<offer id>--<city network id>", so the first "--" in a
# catalog id tells whose it is; short enough to leave room for the network's id.
PROVIDER_OFFER_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9]|-(?!-)){0,38}[a-z0-9]$"
SERVICE_UID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
MAX_CITY_NETWORKS = 20


class OfferNetwork(Frozen):
    city_network_id: str = Field(pattern=ID_PATTERN)
    service_uid: str = Field(pattern=SERVICE_UID_PATTERN)
    # The catalog offer customers of this city network see (/offers/<catalog_offer_id>).
    catalog_offer_id: str = Field(pattern=ID_PATTERN)


class ProviderOffer(PriceTerms):
    """One immutable version. `valid_from` in the future schedules it; `retired` stops new
    orders. `dropped` names catalog offers of networks an earlier version had (retired)."""

    id: str = Field(pattern=ID_PATTERN)
    provider_id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    category: Category
    city_networks: tuple[OfferNetwork, ...] = Field(min_length=1, max_length=MAX_CITY_NETWORKS)
    download_mbit: int | None = Field(default=None, ge=1, le=100_000)
    upload_mbit: int | None = Field(default=None, ge=1, le=100_000)
    valid_from: dt.datetime | None = None
    retired: bool = False
    created_at: dt.datetime
    dropped: tuple[str, ...] = ()
    # Not in the API body: kept from the offer as the operator loaded it, so a provider's
    # PUT does not take its extension form away.
    extension_form_id: str | None = None
