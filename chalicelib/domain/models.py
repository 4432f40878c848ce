"""The order broker's vocabulary as pydantic models (docs/architecture.md, "Vocabulary")."""

from __future__ import annotations

import datetime as dt
import ipaddress
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

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


# --- city network replies --------------------------------------------------------------


class ServiceOnPort(Frozen):
    service_uid: str
    date: dt.date | None = None
    name: str | None = None
    commitment: dt.date | None = None
    release: dt.date | None = None
    message: str | None = None


class PortStatus(Frozen):
    access_id: str
    message: str | None = None  # for the end user, e.g. "closed for non-payment"
    nettype: str | None = None
    media: str | None = None
    port_capacity_mbit: int | None = None
    cpe_capacity_mbit: int | None = None
    city_network_owns_cpe: bool | None = None
    services: tuple[ServiceOnPort, ...] = ()

    def service(self, service_uid: str) -> ServiceOnPort | None:
        """The service on this port, if it is there (an earlier order went through)."""
        return next((s for s in self.services if s.service_uid == service_uid), None)

    def has_service(self, service_uid: str) -> bool:
        return self.service(service_uid) is not None


class Reason(Frozen):
    code: str
    message: str


class Deliverability(Frozen):
    deliverable: bool
    reason_code: str | None = None  # "404", "426", "428", "500" ...
    customer_message: str | None = None  # Swedish, for the customer page
    customer_message_en: str | None = None

    @classmethod
    def yes(cls) -> Deliverability:
        return cls(deliverable=True)


# --- the order -------------------------------------------------------------------------


class ActivationState(StrEnum):
    MANUAL = "manual"
    PENDING = "pending"
    ACTIVATED = "activated"
    SCHEDULED = "scheduled"
    REFUSED = "refused"
    FAILED = "failed"
    # Ordered for an address the customer chose in the search (identified_by "address"):
    # no city-network call until the provider, having checked the customer, asks for it.
    AWAITING_PROVIDER = "awaiting_provider"


class OrderStatus(StrEnum):
    NEW = "new"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Activation(Frozen):
    state: ActivationState
    date: dt.date | None = None  # activated/scheduled: the activation date
    reason: Reason | None = None  # refused/failed: why
    attempts: int = Field(default=0, ge=0)
    updated_at: dt.datetime
    # The date the activation was asked for (None = as soon as possible).
    requested_date: dt.date | None = None
    # Identifies the current attempt; a worker message for another attempt is stale.
    attempt_id: str | None = None
    # The city network's own id of the order when it took it to finish later (ON-API: the
    # order is RECEIVED); the activation stays pending until the network says how it ended.
    network_order_id: str | None = None


class Service(Frozen):
    uid: str
    category: Category
    name: str


def _plain_line(value: str) -> str:
    """One line of plain text: no control character (NUL, tab, newline...) and no format
    character (bidirectional overrides and isolates, zero widths, the byte order mark),
    which would make a name read as another wherever a provider shows it. Names are in
    Latin script in the population register, so no script needs a joiner."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError("must not contain a control or format character")
    return value


PlainLine = Annotated[str, AfterValidator(_plain_line)]


class Customer(Frozen):
    """The base form's answers. `repr=False` keeps personal data out of accidental logs.

    Numbers are ASCII digits (`[0-9]`: a pattern's `\\d` also takes other scripts' digits).
    """

    first_name: PlainLine = Field(min_length=1, max_length=100)
    last_name: PlainLine = Field(min_length=1, max_length=100)
    personal_number: str = Field(pattern=r"^[0-9]{12}$", repr=False)
    email: PlainLine = Field(max_length=254, repr=False)
    phone: str = Field(pattern=r"^\+[0-9]{7,15}$", repr=False)
    street_address: PlainLine = Field(min_length=1, max_length=200, repr=False)
    postal_code: str = Field(pattern=r"^[0-9]{5}$", repr=False)
    city: PlainLine = Field(min_length=1, max_length=100, repr=False)
    apartment_number: str | None = Field(default=None, pattern=r"^[0-9]{4}$", repr=False)
    marketing_consent: bool = False


class DocumentRef(Frozen):
    """Which version of a provider document an order was placed under."""

    kind: DocumentKind
    version: int = Field(ge=1)
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str | None = None


class Agreement(Frozen):
    """What the customer agreed to, kept with the order as evidence and never changed after
    the order is created: the price terms as shown, the document versions, the contract
    summary's version, the language of the pages, both consents with their time, and the
    SHA-256 of the review page's text."""

    price: PriceTerms
    terms: DocumentRef | None = None
    privacy: DocumentRef | None = None
    contract_summary_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    language: Literal["sv", "en"]
    terms_accepted_at: dt.datetime
    # The customer asked for the service to start inside the 14-day withdrawal period.
    early_start_requested: bool = False
    early_start_requested_at: dt.datetime | None = None
    review_text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # A campaign code the customer typed, and the price it gave (provider self-service):
    # the campaign it gave is in `price`.
    campaign_code: str | None = None
    # The offer version the order was placed under (None before offers were versioned).
    offer_version: int | None = None


class Withdrawal(Frozen):
    """The customer used the right of withdrawal (ångerrätt)."""

    at: dt.datetime
    by: str = "customer"
    reason: str | None = Field(default=None, max_length=500)


class DeactivationState(StrEnum):
    # Asked for: waits until the activation has ended, then one service_deactivate.
    PENDING = "pending"
    DONE = "done"
    # The activation never put the service on the outlet: nothing to turn off.
    NOT_NEEDED = "not_needed"
    FAILED = "failed"


class Deactivation(Frozen):
    state: DeactivationState
    attempts: int = Field(default=0, ge=0)
    updated_at: dt.datetime
    reason: Reason | None = None
    attempt_id: str | None = None


# How an order's outlet was identified: a verified Direct Activation bounce, an ON-API
# portal hand-over, or (to come) an address search.
IdentifiedBy = Literal["bounce", "portal", "address"]


class Order(Frozen):
    id: str = Field(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$")
    provider_id: str
    offer_id: str
    city_network_id: str | None
    access_id: str | None
    identified: bool
    # None exactly when not identified. Orders stored before the field existed were all
    # identified by a bounce: read so.
    identified_by: IdentifiedBy | None = None
    service: Service
    customer: Customer
    details: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)
    requested_date: dt.date | None = None
    # The customer takes the service over from the provider that has it on the outlet
    # (moving in): their consent, sent to the city network with the order (ON-API's
    # forcedTakeover). Only asked where the network says a takeover is possible.
    forced_takeover: bool = False
    activation: Activation
    status: OrderStatus = OrderStatus.NEW
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(default=1, ge=1)
    # Hash of the receipt token (the customer's link to this order); never the token itself.
    receipt_token_hash: str | None = Field(default=None, repr=False)
    # None only for orders placed before the review step existed.
    agreement: Agreement | None = None
    withdrawal: Withdrawal | None = None
    deactivation: Deactivation | None = None

    @model_validator(mode="before")
    @classmethod
    def _identified_by_bounce_before_the_field(cls, data: Any) -> Any:
        missing = isinstance(data, dict) and data.get("identified_by") is None
        if missing and data.get("identified") is True:
            return {**data, "identified_by": "bounce"}
        return data

    @model_validator(mode="after")
    def _identified_by_only_when_identified(self) -> Order:
        if not self.identified and self.identified_by is not None:
            raise ValueError("identified_by is only for an identified order")
        return self

    def stamp_after(self, now: dt.datetime) -> dt.datetime:
        """The `updated_at` of a change made at `now`: never earlier than the stored one,
        even when this process's clock lags, because the providers' change feed is ordered
        by it and must not see time run back."""
        return max(now, self.updated_at + dt.timedelta(microseconds=1))

    def next_version(self, **changes: Any) -> Order:
        """A copy with `changes`, one version later. Validates like construction does."""
        data = self.model_dump()
        data.update(changes)
        data["version"] = self.version + 1
        return Order.model_validate(data)


class OrderEventKind(StrEnum):
    CITY_NETWORK_CALL = "city_network_call"
    ORDER_CREATED = "order_created"
    ACTIVATION_CHANGED = "activation_changed"
    STATUS_CHANGED = "status_changed"
    MESSAGE = "message"
    ACTIVATION_REQUESTED = "activation_requested"
    WITHDRAWN = "withdrawn"
    DEACTIVATION_CHANGED = "deactivation_changed"


class CityNetworkCall(Frozen):
    """What an audit trail keeps of one city-network call (no credentials, no raw body)."""

    method: str
    outcome: Literal["ok", "refused", "transient"]
    code: str | None = None
    message: str | None = None
    duration_ms: int


class OrderEvent(Frozen):
    id: str  # ULID: sortable in time
    order_id: str
    provider_id: str
    kind: OrderEventKind
    at: dt.datetime
    actor: str  # "customer", "system", "worker", "provider:<id>"
    call: CityNetworkCall | None = None
    activation_state: ActivationState | None = None
    status_from: OrderStatus | None = None
    status_to: OrderStatus | None = None
    message_type: Literal["log", "alert", "error", "system"] | None = None
    text: str | None = Field(default=None, max_length=4000)
    # For providers: the webhook event type this entry announces, if any (the outbox).
    webhook_type: str | None = None
    # The order as written with this event (same atomic write), so its webhook describes
    # the order as of this change even when relayed later. Internal: the payload is built
    # from it through the provider-facing representation, never sent as is.
    order_snapshot: Order | None = Field(default=None, repr=False)
    # This event left an activation attempt `pending`: the table stream's relay queues a
    # later look at the attempt, so a crash between this write and the attempt's own step
    # cannot leave the order pending for ever (docs/architecture.md, "No order left behind").
    activation_intent: bool = False
