"""A catalog that remembers what it read for a short while.

Providers, city networks and offers change a few times a year, but every customer page
reads them. A warm Lambda (or the local stack) keeps them for `ttl_s` seconds. Every catalog
write bumps the catalog's generation (one DynamoDB item); `begin_request` (called by the
HTTP middleware for each request) makes the first cached read of the request compare it
once, so a change made in any process is seen on the next page view in every process, for
one small strongly consistent GetItem per request that reads the catalog. Without
`begin_request` (workers) entries live out their TTL. The index listings lag a change by a
moment, so what is read within `SETTLE_S` of a change is kept only until then. A version
scheduled for later comes into force up to `ttl_s` after its time. Misses (NotFound) are
not remembered: a new offer must not wait out a cached "no".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..domain.models import CityNetwork, DocumentKind, Offer, Provider, ProviderDocument
from ..domain.ports import Catalog
from ..domain.provider_offer import ProviderOffer

T = TypeVar("T")

DEFAULT_TTL_S = 30.0
# How long after a catalog change reads are not trusted for a whole TTL (index lag).
SETTLE_S = 2.0


class CachedCatalog:
    def __init__(
        self,
        inner: Catalog,
        ttl_s: float = DEFAULT_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}  # key: (expires, value)
        self._settle_until = float("-inf")
        self._generation: int | None = None
        self._check_generation = False

    def begin_request(self) -> None:
        """A new request: its first cached read checks the generation first."""
        with self._lock:
            self._check_generation = True

    def _current(self) -> None:
        with self._lock:
            check, self._check_generation = self._check_generation, False
        if not check:
            return
        generation = self._inner.generation()
        with self._lock:
            if generation != self._generation:
                self._changed()
                self._generation = generation

    def _changed(self) -> None:
        # Called with the lock held. The listings come from DynamoDB indexes, which are
        # eventually consistent: what is read just after a change may not have it yet, so
        # it is kept only for `SETTLE_S`, never for a whole TTL.
        self._entries.clear()
        self._settle_until = self._monotonic() + SETTLE_S

    def _read(self, key: tuple[str, str], load: Callable[[], T]) -> T:
        self._current()
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            value: T = entry[1]
            return value
        value = load()
        with self._lock:
            settling = now < self._settle_until
            self._entries[key] = (self._settle_until if settling else now + self._ttl_s, value)
        return value

    def _forget(self) -> None:
        # Writes are rare (the admin CLI, seeding): dropping everything keeps it simple.
        with self._lock:
            self._changed()

    # --- reads ---------------------------------------------------------------------------

    def get_provider(self, provider_id: str) -> Provider:
        return self._read(("provider", provider_id), lambda: self._inner.get_provider(provider_id))

    def list_providers(self) -> list[Provider]:
        return list(self._read(("providers", ""), self._inner.list_providers))

    def get_city_network(self, city_network_id: str) -> CityNetwork:
        return self._read(
            ("city_network", city_network_id),
            lambda: self._inner.get_city_network(city_network_id),
        )

    def list_city_networks(self) -> list[CityNetwork]:
        return list(self._read(("city_networks", ""), self._inner.list_city_networks))

    def get_offer(self, offer_id: str) -> Offer:
        return self._read(("offer", offer_id), lambda: self._inner.get_offer(offer_id))

    def offers_in_city_network(self, city_network_id: str) -> list[Offer]:
        return list(
            self._read(
                ("offers_in", city_network_id),
                lambda: self._inner.offers_in_city_network(city_network_id),
            )
        )

    def offers_of_provider(self, provider_id: str) -> list[Offer]:
        return list(
            self._read(
                ("offers_of", provider_id), lambda: self._inner.offers_of_provider(provider_id)
            )
        )

    def documents(self, provider_id: str, kind: DocumentKind) -> list[ProviderDocument]:
        return list(
            self._read(
                (f"documents:{kind}", provider_id),
                lambda: self._inner.documents(provider_id, kind),
            )
        )

    def current_document(self, provider_id: str, kind: DocumentKind) -> ProviderDocument | None:
        return self._read(
            (f"document:{kind}", provider_id),
            lambda: self._inner.current_document(provider_id, kind),
        )

    def offer_versions(self, offer_id: str) -> list[Offer]:
        # The provider API's own reads: always fresh, and rare.
        return self._inner.offer_versions(offer_id)

    def provider_offer_versions(self, offer_id: str) -> list[ProviderOffer]:
        return self._inner.provider_offer_versions(offer_id)

    def provider_offers(self, provider_id: str) -> list[ProviderOffer]:
        return self._inner.provider_offers(provider_id)

    def generation(self) -> int:
        return self._inner.generation()

    def seen_generation(self) -> int | None:
        """The generation as this request checked it (once per request): what the caches
        beside the catalog (providers' extension forms) compare theirs with."""
        self._current()
        with self._lock:
            return self._generation

    def bump_generation(self) -> None:
        bump = getattr(self._inner, "bump_generation", None)
        if bump is not None:
            bump()
        with self._lock:
            self._entries.clear()

    # --- writes --------------------------------------------------------------------------

    def put_provider(self, provider: Provider) -> None:
        self._inner.put_provider(provider)
        self._forget()

    def put_city_network(self, city_network: CityNetwork) -> None:
        self._inner.put_city_network(city_network)
        self._forget()

    def put_offer(self, offer: Offer) -> None:
        self._inner.put_offer(offer)
        self._forget()

    def add_document(self, document: ProviderDocument) -> None:
        self._inner.add_document(document)
        self._forget()

    def publish_offer(self, offer: ProviderOffer, catalog_offers: Sequence[Offer]) -> None:
        self._inner.publish_offer(offer, catalog_offers)
        self._forget()
