"""The order broker's vocabulary as pydantic models (docs/architecture.md, "Vocabulary"):
the city networks' replies, the order and its audit trail here, the catalogue in
catalog_models.py (re-exported, so every model is imported from this module)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from .catalog_models import (
    DIRECT_ACTIVATION,
    DOCUMENT_KINDS,
    ID_PATTERN,
    MAX_BINDING_MONTHS,
    MAX_NOTICE_MONTHS,
    ON_API,
    Campaign,
    Category,
    CityNetwork,
    DocumentKind,
    Frozen,
    LegalIdentity,
    Offer,
    PriceTerms,
    Protocol,
    Provider,
    ProviderDocument,
    city_network_at,
)

__all__ = [
    "DIRECT_ACTIVATION",
    "DOCUMENT_KINDS",
    "ID_PATTERN",
    "MAX_BINDING_MONTHS",
    "MAX_NOTICE_MONTHS",
    "ON_API",
    "Campaign",
    "Category",
    "CityNetwork",
    "DocumentKind",
    "Frozen",
    "LegalIdentity",
    "Offer",
    "PriceTerms",
    "Protocol",
    "Provider",
    "ProviderDocument",
    "city_network_at",
]


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
