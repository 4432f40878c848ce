"""Every HTTP request starts a new catalog-cache request: a change written by another
process (straight to the store, past this process's cache) is on the next page view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.cached_catalog import CachedCatalog
from chalicelib.adapters.memory import InMemoryCatalog
from chalicelib.composition import InMemoryAdapters, use
from tests.fakes import NETWORK_ID, FixedClock, catalog_offers, seed_test_catalog

from .provider_factories import T0


@pytest.fixture
def store() -> Iterator[InMemoryCatalog]:
    clock = FixedClock(T0)
    shared = InMemoryCatalog(clock)
    seed_test_catalog(shared)
    # This process's catalog: cached for an hour, so only the generation can explain a
    # change seen sooner.
    use(InMemoryAdapters(clock=clock, catalog=CachedCatalog(shared, ttl_s=3600)))
    try:
        yield shared
    finally:
        use(None)


def test_a_change_made_elsewhere_is_on_the_next_page_view(store: InMemoryCatalog) -> None:
    with Client(app) as client:
        page = f"/offers?city_network={NETWORK_ID}"
        assert "Renamed by another process" not in client.http.get(page).body.decode()
        offer = catalog_offers()[0]
        store.put_offer(offer.model_copy(update={"name": "Renamed by another process"}))
        assert "Renamed by another process" in client.http.get(page).body.decode()
