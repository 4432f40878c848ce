"""The catalogue in memory: the same contract as adapters/dynamodb/catalog.py (versioned
offers, provider offers, documents, the generation), for unit tests and the fast path. One
lock per store, frozen models handed out as stored (adapters/memory/store.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.errors import AlreadyExists, ConcurrentModification, NotFound
from chalicelib.domain.models import (
    CityNetwork,
    DocumentKind,
    Offer,
    Provider,
    ProviderDocument,
)
from chalicelib.domain.offer_versions import in_force, latest_by_id
from chalicelib.domain.provider_offer import ProviderOffer


class InMemoryCatalog:
    def __init__(self, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._providers: dict[str, Provider] = {}
        self._city_networks: dict[str, CityNetwork] = {}
        self._offers: dict[str, dict[int, Offer]] = {}  # id -> version -> offer
        self._provider_offers: dict[str, list[ProviderOffer]] = {}
        self._documents: dict[tuple[str, str], list[ProviderDocument]] = {}
        self._generation = 0
        self._clock = clock or SystemClock()

    def put_provider(self, provider: Provider) -> None:
        with self._lock:
            self._providers[provider.id] = provider
            self._generation += 1

    def get_provider(self, provider_id: str) -> Provider:
        with self._lock:
            provider = self._providers.get(provider_id)
        if provider is None:
            raise NotFound(f"provider {provider_id} not found")
        return provider

    def list_providers(self) -> list[Provider]:
        with self._lock:
            return sorted(self._providers.values(), key=lambda p: p.id)

    def put_city_network(self, city_network: CityNetwork) -> None:
        with self._lock:
            self._city_networks[city_network.id] = city_network
            self._generation += 1

    def get_city_network(self, city_network_id: str) -> CityNetwork:
        with self._lock:
            city_network = self._city_networks.get(city_network_id)
        if city_network is None:
            raise NotFound(f"city network {city_network_id} not found")
        return city_network

    def list_city_networks(self) -> list[CityNetwork]:
        with self._lock:
            return sorted(self._city_networks.values(), key=lambda c: c.id)

    def put_offer(self, offer: Offer) -> None:
        with self._lock:
            self._offers.setdefault(offer.id, {})[offer.version] = offer
            self._generation += 1

    def _in_force(self) -> list[Offer]:
        with self._lock:
            versions = [v for vs in self._offers.values() for v in vs.values()]
        return latest_by_id(versions, self._clock.now())

    def get_offer(self, offer_id: str) -> Offer:
        with self._lock:
            versions = list(self._offers.get(offer_id, {}).values())
        offer = in_force(versions, self._clock.now())
        if offer is None:
            raise NotFound(f"offer {offer_id} not found")
        return offer

    def offer_versions(self, offer_id: str) -> list[Offer]:
        with self._lock:
            versions = self._offers.get(offer_id, {})
            return [versions[n] for n in sorted(versions)]

    def offers_in_city_network(self, city_network_id: str) -> list[Offer]:
        return [
            o for o in self._in_force() if o.city_network_id == city_network_id and not o.retired
        ]

    def offers_of_provider(self, provider_id: str) -> list[Offer]:
        return [o for o in self._in_force() if o.provider_id == provider_id]

    def publish_offer(self, offer: ProviderOffer, catalog_offers: Sequence[Offer]) -> None:
        with self._lock:
            versions = self._provider_offers.setdefault(offer.id, [])
            taken = any(v.version == offer.version for v in versions) or any(
                o.version in self._offers.get(o.id, {}) for o in catalog_offers
            )
            if taken:
                raise ConcurrentModification(f"offer {offer.id} changed meanwhile")
            versions.append(offer)
            versions.sort(key=lambda v: v.version)
            for o in catalog_offers:
                self._offers.setdefault(o.id, {})[o.version] = o
            self._generation += 1

    def provider_offer_versions(self, offer_id: str) -> list[ProviderOffer]:
        with self._lock:
            return list(self._provider_offers.get(offer_id, []))

    def provider_offers(self, provider_id: str) -> list[ProviderOffer]:
        with self._lock:
            newest = [vs[-1] for vs in self._provider_offers.values() if vs]
        return sorted((o for o in newest if o.provider_id == provider_id), key=lambda o: o.id)

    def generation(self) -> int:
        with self._lock:
            return self._generation

    def add_document(self, document: ProviderDocument) -> None:
        with self._lock:
            versions = self._documents.setdefault((document.provider_id, document.kind), [])
            if any(d.version == document.version for d in versions):
                raise AlreadyExists(f"{document.kind} version {document.version} exists")
            versions.append(document)
            self._generation += 1
            versions.sort(key=lambda d: d.version)

    def documents(self, provider_id: str, kind: DocumentKind) -> list[ProviderDocument]:
        with self._lock:
            return list(self._documents.get((provider_id, kind), []))

    def current_document(self, provider_id: str, kind: DocumentKind) -> ProviderDocument | None:
        versions = self.documents(provider_id, kind)
        return versions[-1] if versions else None
