"""The interfaces the domain is handed. Adapters implement them; tests pass fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from .activation.messages import ActivationMessage
from .addresses import ListedAccess
from .citynet import CityNetworkClients
from .clock import Clock
from .models import (
    ActivationState,
    CityNetwork,
    DocumentKind,
    Offer,
    Order,
    OrderEvent,
    OrderStatus,
    Provider,
    ProviderDocument,
)
from .provider_offer import ProviderOffer
from .queues import Queue
from .retry import RetrySchedule
from .webhooks import WebhookMessage, WebhookStore, WebhookTransport


class OrderPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[Order]
    next_cursor: str | None = None


class OrderFilter(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: OrderStatus | None = None
    activation_state: ActivationState | None = None


class OrderStore(Protocol):
    def create(self, order: Order, events: list[OrderEvent]) -> None:
        """Store a new order and its first events atomically. AlreadyExists if the id is taken."""

    def get(self, order_id: str) -> Order:
        """NotFound if unknown."""

    def get_for_provider(self, order_id: str, provider_id: str) -> Order:
        """NotFound if unknown or another provider's: the two are indistinguishable."""

    def replace(self, order: Order, expected_version: int, events: list[OrderEvent]) -> None:
        """Write `order` (whose version is expected_version + 1) and `events` atomically,
        only if the stored version is still `expected_version`; else ConcurrentModification."""

    def append_events(self, events: list[OrderEvent]) -> None:
        """Audit entries that change no order state (e.g. a provider's message)."""

    def list_events(self, order_id: str) -> list[OrderEvent]:
        """Oldest first."""

    def list_for_provider(
        self, provider_id: str, *, limit: int, cursor: str | None, filter: OrderFilter
    ) -> OrderPage:
        """Newest first through an index; the cursor is signed and bound to the provider
        (a tampered or foreign cursor raises InvalidCursor)."""

    def changed_since(
        self, provider_id: str, since: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        """Orders whose updated_at is after `since`, oldest change first (the polling feed)."""

    def created_between(
        self, provider_id: str, start: datetime, end: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        """Orders created from `start` up to (not including) `end`, oldest first: the key
        range of their ids in the provider index (ids.order_id_range), never a Scan. The
        signed cursor is bound to the provider and to the range."""


class Catalog(Protocol):
    """Providers, city networks and offers: small, read-mostly, written by the admin CLI."""

    def put_provider(self, provider: Provider) -> None: ...
    def get_provider(self, provider_id: str) -> Provider: ...
    def list_providers(self) -> list[Provider]: ...

    def put_city_network(self, city_network: CityNetwork) -> None: ...
    def get_city_network(self, city_network_id: str) -> CityNetwork: ...
    def list_city_networks(self) -> list[CityNetwork]: ...

    def put_offer(self, offer: Offer) -> None: ...
    def get_offer(self, offer_id: str) -> Offer:
        """The version in force now (retired ones too: earlier orders still name them)."""

    def offers_in_city_network(self, city_network_id: str) -> list[Offer]:
        """The versions in force now that take orders (retired ones are left out)."""

    def offers_of_provider(self, provider_id: str) -> list[Offer]:
        """The versions in force now, retired ones included."""

    def offer_versions(self, offer_id: str) -> list[Offer]:
        """Every stored version of one catalog offer, oldest first (`get_offer` gives the one
        in force, domain/offer_versions.py)."""

    def publish_offer(self, offer: ProviderOffer, catalog_offers: Sequence[Offer]) -> None:
        """Store a new version of a provider offer and the catalog offers' versions it makes,
        all or nothing; ConcurrentModification if that version exists (another writer won)."""

    def provider_offer_versions(self, offer_id: str) -> list[ProviderOffer]:
        """Every version of one provider offer, whoever's, oldest first."""

    def provider_offers(self, provider_id: str) -> list[ProviderOffer]:
        """The newest version of each of the provider's offers, by id."""

    def generation(self) -> int:
        """A number every catalog write changes: a cache compares it to know it is current."""

    def add_document(self, document: ProviderDocument) -> None:
        """Store a new version; AlreadyExists if that version is stored (versions are
        immutable: a change is a new version)."""

    def documents(self, provider_id: str, kind: DocumentKind) -> list[ProviderDocument]:
        """Every version of one kind, oldest first."""

    def current_document(self, provider_id: str, kind: DocumentKind) -> ProviderDocument | None:
        """The newest version, which new orders are placed under; None if there is none."""


class ApiKeyRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    key_id: str  # short, public handle for listing and revoking
    key_hash: str  # hex SHA-256 of the key; the key itself is never stored
    provider_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyStore(Protocol):
    def add_key(self, record: ApiKeyRecord) -> None: ...
    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None: ...
    def keys_of_provider(self, provider_id: str) -> list[ApiKeyRecord]: ...
    def revoke(self, provider_id: str, key_id: str, at: datetime) -> None: ...


class FeedCursors(Protocol):
    """Where each city network's order-event feed was read up to."""

    def get(self, city_network_id: str) -> str | None: ...

    def put(self, city_network_id: str, cursor: str) -> None: ...


class AccessDirectory(Protocol):
    """Each city network's accesses by address (ON-API `accesses/`), for the address search
    (domain/addresses.py): one partition per city network, sorted by the address key."""

    def get(self, city_network_id: str, access_id: str) -> ListedAccess | None: ...

    def get_many(self, city_network_id: str, access_ids: Sequence[str]) -> dict[str, ListedAccess]:
        """The stored entries of those of `access_ids` the directory has."""

    def put(
        self,
        city_network_id: str,
        entries: Sequence[ListedAccess],
        *,
        replacing: Mapping[str, ListedAccess],
    ) -> None:
        """Store `entries` (new or changed). `replacing` holds the stored entries they
        replace (from get_many): an entry whose address changed is no longer found by its
        old address. A failure part-way leaves every entry findable by its old or new
        address, and the unfinished ones are written again by the next put."""

    def search(self, city_network_id: str, prefix: str, *, limit: int) -> list[ListedAccess]:
        """Up to `limit` entries whose address key begins with `prefix`, in key order: one
        range read, never a scan."""

    def last_modified(self, city_network_id: str) -> str | None:
        """The network's Last-Modified of the list as last stored (its next If-Modified-Since)."""

    def set_last_modified(self, city_network_id: str, value: str) -> None: ...


class OneTimeTokens(Protocol):
    """Single-use values with an expiry: bounce nonces, idempotency keys, form submissions."""

    def claim(self, key: str, expires_at: datetime, value: dict[str, Any] | None = None) -> bool:
        """True if `key` was unclaimed (and now is claimed); False if already claimed."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The value stored with a claimed, unexpired key."""

    def put_value(self, key: str, value: dict[str, Any]) -> None:
        """Attach a value to a key already claimed (e.g. the answer to remember)."""

    def keep(self, key: str, value: dict[str, Any], expires_at: datetime) -> None:
        """Store `value` under a claimed key and move its expiry to `expires_at` (a short
        claim becomes a long mark, e.g. a mail sent). NotFound if not claimed or expired."""

    def release(self, key: str) -> None:
        """Forget a claim, so the next claim of `key` succeeds (the work it guarded failed)."""


class Counters(Protocol):
    """Counts with an expiry: the customer web's orders per outlet and per address
    (domain/order_limits.py)."""

    def count(self, key: str, *, limit: int, expires_at: datetime) -> bool:
        """Count one more under `key` unless it already holds `limit`; True if counted.
        The first count of a key (or the first after its count expired) starts it afresh,
        to expire at `expires_at`; later counts do not move that end."""


class Secrets(Protocol):
    def get(self, name: str) -> str:
        """The secret's value; NotFound if there is none. Never log the result."""


class Deps(Protocol):
    """Every adapter a use case may be handed: the composition root
    (chalicelib/composition/) builds one object that has them all, each on first use,
    and tests hand in the same object with fakes in place of some."""

    @property
    def orders(self) -> OrderStore: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def city_networks(self) -> CityNetworkClients: ...
    @property
    def activation_queue(self) -> Queue[ActivationMessage]: ...
    @property
    def tokens(self) -> OneTimeTokens: ...
    @property
    def api_keys(self) -> ApiKeyStore: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def feed_cursors(self) -> FeedCursors: ...
    @property
    def access_directory(self) -> AccessDirectory: ...
    @property
    def webhook_store(self) -> WebhookStore: ...
    @property
    def webhook_queue(self) -> Queue[WebhookMessage]: ...
    @property
    def webhook_transport(self) -> WebhookTransport: ...
    @property
    def webhook_retries(self) -> RetrySchedule: ...

    def check_webhook_url(self, url: str) -> None:
        """The SSRF guard at configuration time: InvalidInput for a URL we may not call."""

    def new_webhook_secret(self) -> str: ...
