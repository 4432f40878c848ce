"""Offer versions in the catalog stores (memory and DynamoDB on moto): publishing, the
version in force, lost races, and the catalog generation that lets every warm process's
cache see a change on its next request (two adapters, and two OS processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.cached_catalog import CachedCatalog
from chalicelib.domain import offer_versions
from chalicelib.domain.errors import ConcurrentModification
from chalicelib.domain.models import Category
from chalicelib.domain.offer_versions import OfferContent, catalog_offer_id
from chalicelib.domain.ports import Catalog
from tests.fakes import NETWORK_ID, PROVIDER_ID, FixedClock, seed_test_catalog
from tests.unit.provider_factories import T0

ROOT = Path(__file__).resolve().parents[2]
CATALOG_ID = catalog_offer_id("bredband-250", NETWORK_ID)


def content(price: int, **changes: object) -> OfferContent:
    fields: dict[str, object] = {
        "name": "Bredband 250",
        "category": Category.INTERNET,
        "city_networks": ((NETWORK_ID, "BB250"),),
        "monthly_price_sek": price,
    }
    return OfferContent(**{**fields, **changes})


def dynamodb_catalog(table_name: str, clock: FixedClock) -> Catalog:
    from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
    from tests.aws import table

    return DynamoDBCatalog(table(table_name), clock)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Catalog, FixedClock]]:
    from chalicelib.adapters.memory import InMemoryCatalog

    clock = FixedClock(T0)
    if request.param == "memory":
        catalog: Catalog = InMemoryCatalog(clock)
    else:
        catalog = dynamodb_catalog(request.getfixturevalue("table_name"), clock)
    seed_test_catalog(catalog)
    yield catalog, clock


def test_versions_are_kept_and_the_one_in_force_is_read(store: tuple[Catalog, FixedClock]):
    catalog, clock = store
    offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(249), catalog, clock.now())
    later = T0 + timedelta(days=3)
    offer_versions.put_offer(
        PROVIDER_ID, "bredband-250", content(199, valid_from=later), catalog, clock.now()
    )
    assert [v.version for v in catalog.provider_offer_versions("bredband-250")] == [1, 2]
    assert [v.monthly_price_sek for v in catalog.offer_versions(CATALOG_ID)] == [249, 199]
    assert catalog.get_offer(CATALOG_ID).monthly_price_sek == 249
    assert [o.version for o in catalog.provider_offers(PROVIDER_ID)] == [2]
    listed = {o.id: o for o in catalog.offers_in_city_network(NETWORK_ID)}
    assert listed[CATALOG_ID].version == 1
    clock.advance(days=3)
    assert catalog.get_offer(CATALOG_ID).monthly_price_sek == 199
    assert {o.id: o for o in catalog.offers_of_provider(PROVIDER_ID)}[CATALOG_ID].version == 2


def test_a_lost_race_is_a_concurrent_modification_and_writes_nothing(
    store: tuple[Catalog, FixedClock],
):
    catalog, clock = store
    first, _ = offer_versions.put_offer(
        PROVIDER_ID, "bredband-250", content(249), catalog, clock.now()
    )
    racer = first.model_copy(update={"monthly_price_sek": 1})
    with pytest.raises(ConcurrentModification):
        catalog.publish_offer(racer, offer_versions.catalog_offers(racer, None, set()))
    assert catalog.provider_offer_versions("bredband-250") == [first]
    assert catalog.get_offer(CATALOG_ID).monthly_price_sek == 249


def test_retired_offers_leave_the_network_listing_but_stay_readable(
    store: tuple[Catalog, FixedClock],
):
    catalog, clock = store
    offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(249), catalog, clock.now())
    offer_versions.retire(PROVIDER_ID, "bredband-250", catalog, clock.now())
    assert CATALOG_ID not in {o.id for o in catalog.offers_in_city_network(NETWORK_ID)}
    assert catalog.get_offer(CATALOG_ID).retired
    assert catalog.offers_of_provider(PROVIDER_ID)


def test_two_warm_caches_see_a_change_made_through_the_other_on_the_next_request(
    table_name: str,
):
    clock = FixedClock(T0)
    writer = CachedCatalog(dynamodb_catalog(table_name, clock), ttl_s=3600)
    reader = CachedCatalog(dynamodb_catalog(table_name, clock), ttl_s=3600)
    seed_test_catalog(writer)
    offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(249), writer, clock.now())
    reader.begin_request()
    assert reader.get_offer(CATALOG_ID).monthly_price_sek == 249
    offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(199), writer, clock.now())
    # Within one request the cache answers from memory; the next request sees the change.
    assert reader.get_offer(CATALOG_ID).monthly_price_sek == 249
    reader.begin_request()
    assert reader.get_offer(CATALOG_ID).monthly_price_sek == 199


def test_a_warm_cache_in_another_os_process_sees_a_change_on_its_next_view(
    table_name: str, moto_endpoint: str
):
    clock = FixedClock(T0)
    writer = dynamodb_catalog(table_name, clock)
    seed_test_catalog(writer)
    offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(249), writer, clock.now())
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.offer_cache_reader", table_name, CATALOG_ID],
        cwd=ROOT,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    try:

        def view() -> str:
            assert reader.stdin is not None and reader.stdout is not None
            reader.stdin.write("view\n")
            reader.stdin.flush()
            return reader.stdout.readline().strip()

        assert view() == "249"
        assert view() == "249"
        offer_versions.put_offer(PROVIDER_ID, "bredband-250", content(199), writer, clock.now())
        assert view() == "199"
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
