"""Bodies of the provider API's offer operations (api/offers.py). The names are the
catalog's (domain/models.py); the limits are the law's and the catalog's, so a body that
passes here makes valid catalog offers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from chalicelib.domain.models import (
    ID_PATTERN,
    MAX_BINDING_MONTHS,
    MAX_NOTICE_MONTHS,
    Campaign,
    Category,
)
from chalicelib.domain.offer_versions import OfferContent, in_force_version
from chalicelib.domain.provider_offer import (
    MAX_CITY_NETWORKS,
    SERVICE_UID_PATTERN,
    ProviderOffer,
)

from .schemas import In, Out

MAX_PRICE_SEK = 1_000_000


def _plausible(value: dt.datetime) -> dt.datetime:
    # Far-off years overflow when compared across UTC offsets; no offer plans that far.
    if not 2000 <= value.year <= 9000:
        raise ValueError("must be between the years 2000 and 9000")
    return value


class CityNetworkIn(In):
    city_network_id: str = Field(pattern=ID_PATTERN, description="A city network's id.")
    service_uid: str = Field(
        pattern=SERVICE_UID_PATTERN, description="The network's id of the service sold."
    )


class CampaignIn(In):
    monthly_price_sek: int = Field(ge=0, le=MAX_PRICE_SEK)
    months: int = Field(ge=1, le=MAX_BINDING_MONTHS)
    code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$",
        description="A code the customer types to get the campaign; omitted: everyone gets it.",
    )
    valid_from: dt.date | None = Field(default=None, description="First day orders get it.")
    valid_to: dt.date | None = Field(default=None, description="Last day orders get it.")

    @model_validator(mode="after")
    def _period(self) -> CampaignIn:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class OfferIn(In):
    name: str = Field(min_length=1, max_length=200)
    category: Category
    city_networks: list[CityNetworkIn] = Field(min_length=1, max_length=MAX_CITY_NETWORKS)
    monthly_price_sek: int = Field(ge=0, le=MAX_PRICE_SEK)
    start_fee_sek: int = Field(default=0, ge=0, le=MAX_PRICE_SEK)
    binding_months: int = Field(default=0, ge=0, le=MAX_BINDING_MONTHS)
    notice_months: int = Field(default=MAX_NOTICE_MONTHS, ge=0, le=MAX_NOTICE_MONTHS)
    campaign: CampaignIn | None = None
    valid_from: Annotated[AwareDatetime, AfterValidator(_plausible)] | None = Field(
        default=None,
        description=(
            "When this version takes effect; omitted: at once. Until then the version before "
            "stays in force."
        ),
    )
    download_mbit: int | None = Field(default=None, ge=1, le=100_000)
    upload_mbit: int | None = Field(default=None, ge=1, le=100_000)

    def content(self) -> OfferContent:
        return OfferContent(
            name=self.name,
            category=self.category,
            city_networks=tuple((n.city_network_id, n.service_uid) for n in self.city_networks),
            monthly_price_sek=self.monthly_price_sek,
            start_fee_sek=self.start_fee_sek,
            binding_months=self.binding_months,
            notice_months=self.notice_months,
            campaign=Campaign(**self.campaign.model_dump()) if self.campaign else None,
            valid_from=self.valid_from,
            download_mbit=self.download_mbit,
            upload_mbit=self.upload_mbit,
        )


class CityNetworkOut(Out):
    city_network_id: str
    service_uid: str
    catalog_offer_id: str = Field(
        description="The offer customers of this network see: /offers/<catalog_offer_id>."
    )


class CampaignOut(Out):
    monthly_price_sek: int
    months: int
    code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class OfferOut(Out):
    id: str
    version: int
    retired: bool
    name: str
    category: Category
    city_networks: list[CityNetworkOut]
    monthly_price_sek: int
    start_fee_sek: int
    binding_months: int
    notice_months: int
    campaign: CampaignOut | None
    valid_from: dt.datetime | None
    download_mbit: int | None
    upload_mbit: int | None
    created_at: dt.datetime

    @classmethod
    def from_domain(cls, offer: ProviderOffer) -> OfferOut:
        return cls(
            id=offer.id,
            version=offer.version,
            retired=offer.retired,
            name=offer.name,
            category=offer.category,
            city_networks=[
                CityNetworkOut(
                    city_network_id=n.city_network_id,
                    service_uid=n.service_uid,
                    catalog_offer_id=n.catalog_offer_id,
                )
                for n in offer.city_networks
            ],
            monthly_price_sek=offer.monthly_price_sek,
            start_fee_sek=offer.start_fee_sek,
            binding_months=offer.binding_months,
            notice_months=offer.notice_months,
            campaign=CampaignOut(**offer.campaign.model_dump()) if offer.campaign else None,
            valid_from=offer.valid_from,
            download_mbit=offer.download_mbit,
            upload_mbit=offer.upload_mbit,
            created_at=offer.created_at,
        )


class OfferListOut(Out):
    items: list[OfferOut] = Field(description="The newest version of each offer, by id.")


class OfferDetailOut(OfferOut):
    in_force_version: int | None = Field(
        description="The version customers see now; lower than `version` while the newest "
        "waits for its valid_from; null if none is in force yet."
    )

    @classmethod
    def of(cls, versions: list[ProviderOffer], now: dt.datetime) -> OfferDetailOut:
        newest = OfferOut.from_domain(versions[-1])
        return cls(**newest.model_dump(), in_force_version=in_force_version(versions, now))


class OfferVersionListOut(Out):
    items: list[OfferOut] = Field(description="Every version, oldest first.")
