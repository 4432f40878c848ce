"""The operator's offer files (`infra.admin load-offers`) on a catalog whose offers are
versioned: a stored version is never overwritten, and an offer its provider manages through
the API is not the operator's to load."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.models import Category
from chalicelib.domain.offer_versions import OfferContent, put_offer
from infra.admin import InvalidOffers, load_offers
from tests.fakes import NETWORK_ID, PROVIDER_ID, FixedClock, seed_test_catalog


def an_offer_item(offer_id: str = "operator-250", price: int = 249) -> dict[str, Any]:
    return {
        "id": offer_id,
        "provider_id": PROVIDER_ID,
        "city_network_id": NETWORK_ID,
        "service_uid": "BB250",
        "category": "internet",
        "name": "Bredband 250",
        "monthly_price_sek": price,
        "binding_months": 0,
    }


@pytest.fixture
def adapters() -> InMemoryAdapters:
    installed = InMemoryAdapters(clock=FixedClock())
    seed_test_catalog(installed.catalog)
    return installed


def test_a_file_loaded_again_unchanged_stores_no_new_version(adapters: InMemoryAdapters):
    load_offers(adapters, [an_offer_item()])
    load_offers(adapters, [an_offer_item()])
    assert [o.version for o in adapters.catalog.offer_versions("operator-250")] == [1]


def test_a_changed_offer_becomes_the_next_version_and_the_earlier_one_stays(
    adapters: InMemoryAdapters,
):
    load_offers(adapters, [an_offer_item(price=249)])
    [placed] = load_offers(adapters, [an_offer_item(price=199)])
    versions = adapters.catalog.offer_versions("operator-250")
    assert placed.version == 2
    assert [(o.version, o.monthly_price_sek) for o in versions] == [(1, 249), (2, 199)]
    assert adapters.catalog.get_offer("operator-250").monthly_price_sek == 199


def test_an_offer_its_provider_manages_through_the_api_is_refused_and_nothing_is_written(
    adapters: InMemoryAdapters,
):
    # Given a provider's offer made through the API (one catalog offer per network)
    content = OfferContent(
        name="Bredband 250",
        category=Category.INTERNET,
        city_networks=((NETWORK_ID, "BB250"),),
        monthly_price_sek=249,
    )
    put_offer(PROVIDER_ID, "api-250", content, adapters.catalog, FixedClock().now())
    derived = f"api-250--{NETWORK_ID}"
    before = adapters.catalog.offer_versions(derived)
    # When the operator's file names it (beside an offer of its own)
    with pytest.raises(InvalidOffers, match="managed by its provider"):
        load_offers(adapters, [an_offer_item("fresh-100"), an_offer_item(derived, price=1)])
    # Then neither offer of the file is written
    assert adapters.catalog.offer_versions(derived) == before
    assert adapters.catalog.offer_versions("fresh-100") == []
