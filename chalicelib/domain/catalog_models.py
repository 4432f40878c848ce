"""The catalogue's vocabulary (docs/architecture.md, "Vocabulary"): providers and their
documents, city networks, offers and their price terms; and the frozen base every model of
the broker shares. `chalicelib.domain.models` re-exports all of it: import from there."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Category(StrEnum):
    INTERNET = "internet"
    TELEPHONY = "telephony"
    TV = "tv"


# --- catalogue -------------------------------------------------------------------------


class LegalIdentity(Frozen):
    """Who the customer makes the contract with, as distansavtalslagen asks it shown before
    the order: company name, organisation number, address and how to reach customer service."""

    company_name: str = Field(min_length=1, max_length=200)
    organisation_number: str = Field(pattern=r"^[0-9]{6}-[0-9]{4}$")
    address: str = Field(min_length=1, max_length=300)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str = Field(pattern=r"^\+?[0-9 -]{6,20}$")


class Provider(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    # None only for providers stored before the checkout asked for it; such a provider's
    # offers show "identity not published" rather than nothing.
    legal_identity: LegalIdentity | None = None


DocumentKind = Literal["terms", "privacy"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("terms", "privacy")


class ProviderDocument(Frozen):
    """One immutable version of a provider's terms (villkor) or privacy policy
    (integritetspolicy): its text or the URL it is published at, and the SHA-256 of its
    content (of the text; of the document's bytes for a URL). A new version is a new item;
    an order's agreement names the version and hash it was placed under."""

    provider_id: str = Field(pattern=ID_PATTERN)
    kind: DocumentKind
    version: int = Field(ge=1)
    text: str | None = Field(default=None, max_length=200_000)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https://")
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: dt.datetime

    @model_validator(mode="after")
    def _text_or_url(self) -> ProviderDocument:
        if (self.text is None) == (self.url is None):
            raise ValueError("a document has either its text or its URL")
        return self


Protocol = Literal["direct-activation-1.1", "on-api-2.6"]
DIRECT_ACTIVATION: Protocol = "direct-activation-1.1"
ON_API: Protocol = "on-api-2.6"


class CityNetwork(Frozen):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    api_url: str
    # Where visitors are sent to be identified: Direct Activation's bounce server, or an
    # ON-API network's web portal (docs/protocols/on-api.md, "The web-portal hand-over").
    bounce_url: str = ""
    portal_url: str | None = None
    ip_ranges: tuple[str, ...] = ()
    # Names of secrets, never the secrets: "<ref>" resolves to "user:password" for the API,
    # "<ref>/bounce" to the bounce HMAC key and "<ref>/portal" to the portal's pre-shared key
    # through the Secrets adapter.
    credentials_ref: str
    protocol: Protocol = DIRECT_ACTIVATION
    # ON-API's `ko`: the network's own id in the hand-over (defaults to our id).
    co_id: str | None = None

    @field_validator("ip_ranges")
    @classmethod
    def _valid_networks(cls, ranges: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(ipaddress.ip_network(r, strict=False)) for r in ranges)

    def contains(self, address: str) -> bool:
        return self.match_length(address) is not None

    def match_length(self, address: str) -> int | None:
        """The prefix length of this network's most specific range holding `address`."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        lengths = [
            network.prefixlen
            for network in map(ipaddress.ip_network, self.ip_ranges)
            if ip in network
        ]
        return max(lengths) if lengths else None


def city_network_at(address: str, city_networks: Sequence[CityNetwork]) -> CityNetwork | None:
    """The city network whose range holds `address`; when several do, the one with the
    most specific range (a /24 carved out of another network's /8 is that /24's)."""
    best: tuple[int, CityNetwork] | None = None
    for city_network in city_networks:
        length = city_network.match_length(address)
        if length is not None and (best is None or length > best[0]):
            best = (length, city_network)
    return best[1] if best else None


# Lagen om elektronisk kommunikation (2022:482) 7 kap.: a consumer is bound for at most
# 24 months and gives at most one month's notice.
MAX_BINDING_MONTHS = 24
MAX_NOTICE_MONTHS = 1


class Campaign(Frozen):
    """An introductory price: `monthly_price_sek` for the first `months`, then the offer's."""

    monthly_price_sek: int = Field(ge=0)
    months: int = Field(ge=1, le=MAX_BINDING_MONTHS)
    # A code the customer types on the form to get the campaign price; None: everyone gets
    # it. Only orders placed from `valid_from` up to and including `valid_to` (Swedish days)
    # get it (domain/campaigns.py).
    code: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _valid_period(self) -> Campaign:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class PriceTerms(Frozen):
    """An offer's whole price and term, in SEK including VAT: what the customer agrees to."""

    monthly_price_sek: int = Field(ge=0)
    start_fee_sek: int = Field(default=0, ge=0)
    campaign: Campaign | None = None
    binding_months: int = Field(ge=0, le=MAX_BINDING_MONTHS)
    notice_months: int = Field(default=MAX_NOTICE_MONTHS, ge=0, le=MAX_NOTICE_MONTHS)


class Offer(PriceTerms):
    id: str = Field(pattern=ID_PATTERN)
    provider_id: str = Field(pattern=ID_PATTERN)
    city_network_id: str = Field(pattern=ID_PATTERN)
    service_uid: str = Field(min_length=1, max_length=100)
    category: Category
    name: str = Field(min_length=1, max_length=200)
    extension_form_id: str | None = None
    # Speeds as the contract summary states them (optional: not every service has one).
    download_mbit: int | None = Field(default=None, ge=1, le=100_000)
    upload_mbit: int | None = Field(default=None, ge=1, le=100_000)
    # Every change is a new version (provider self-service); a version with `valid_from` in
    # the future waits, the one before it stays in force until then. A retired offer takes
    # no new orders; orders placed earlier keep the version in their agreement.
    version: int = Field(default=1, ge=1)
    valid_from: dt.datetime | None = None
    retired: bool = False

    def price_terms(self) -> PriceTerms:
        return PriceTerms.model_validate(self.model_dump(include=set(PriceTerms.model_fields)))
