"""The cached catalog reads each item once per TTL and never hides this process's writes."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chalicelib.adapters.cached_catalog import SETTLE_S, CachedCatalog
from chalicelib.adapters.memory.catalog import InMemoryCatalog
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import Provider
from tests.fakes import NETWORK_ID, OTHER_PROVIDER_ID, PROVIDER_ID, seed_test_catalog


class CountingCatalog(InMemoryCatalog):
    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()

    def __getattribute__(self, name: str) -> Any:
        attribute = object.__getattribute__(self, name)
        if not name.startswith(("get_", "list_", "offers_")):
            return attribute
        reads = object.__getattribute__(self, "reads")

        def counted(*args: Any, **kwargs: Any) -> Any:
            reads[name] += 1
            return attribute(*args, **kwargs)

        return counted


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def inner() -> CountingCatalog:
    catalog = CountingCatalog()
    seed_test_catalog(catalog)
    catalog.reads.clear()
    return catalog


def test_repeated_reads_within_the_ttl_reach_the_store_once(inner):
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=Ticker())
    for _ in range(5):
        assert catalog.get_offer("tl-internet-100").provider_id == PROVIDER_ID
        assert len(catalog.offers_in_city_network(NETWORK_ID)) == 4
        assert catalog.get_city_network(NETWORK_ID).id == NETWORK_ID
        assert [p.id for p in catalog.list_providers()] == [OTHER_PROVIDER_ID, PROVIDER_ID]
    assert inner.reads == Counter(
        get_offer=1, offers_in_city_network=1, get_city_network=1, list_providers=1
    )


def test_an_expired_entry_is_read_again(inner):
    clock = Ticker()
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=clock)
    catalog.get_offer("tl-tv")
    clock.now += 29
    catalog.get_offer("tl-tv")
    clock.now += 2
    catalog.get_offer("tl-tv")
    assert inner.reads["get_offer"] == 2


def test_this_processs_writes_are_seen_at_once(inner):
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=Ticker())
    # (listed by id: "bredband-ab" < "fiber-ab" < "test-tl")
    assert [p.id for p in catalog.list_providers()] == [OTHER_PROVIDER_ID, PROVIDER_ID]
    catalog.put_provider(Provider(id="bredband-ab", name="Bredband AB"))
    assert [p.id for p in catalog.list_providers()] == [
        "bredband-ab",
        OTHER_PROVIDER_ID,
        PROVIDER_ID,
    ]


def test_a_miss_is_not_remembered(inner):
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=Ticker())
    with pytest.raises(NotFound):
        catalog.get_provider("bredband-ab")
    inner.put_provider(Provider(id="bredband-ab", name="Bredband AB"))  # another process
    assert catalog.get_provider("bredband-ab").name == "Bredband AB"


def test_a_caller_changing_a_returned_list_does_not_change_the_cache(inner):
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=Ticker())
    catalog.offers_in_city_network(NETWORK_ID).clear()
    assert len(catalog.offers_in_city_network(NETWORK_ID)) == 4


def test_each_request_reads_the_generation_once_and_a_change_elsewhere_empties_the_cache(
    inner,
):
    catalog = CachedCatalog(inner, ttl_s=3600, monotonic=Ticker())
    catalog.begin_request()
    for _ in range(3):
        catalog.get_offer("tl-internet-100")
    generation_reads = []
    original = inner.generation

    def counted() -> int:
        generation_reads.append(1)
        return original()

    inner.generation = counted  # type: ignore[method-assign]
    catalog.begin_request()
    catalog.get_offer("tl-internet-100")
    catalog.list_providers()
    assert len(generation_reads) == 1
    assert inner.reads["get_offer"] == 1  # same generation: the cached entry is used
    # Another process writes (straight to the store, past this cache).
    inner.put_provider(Provider(id="new-tl", name="New TL"))
    catalog.list_providers()
    assert "new-tl" not in {p.id for p in catalog.list_providers()}  # same request
    catalog.begin_request()
    assert "new-tl" in {p.id for p in catalog.list_providers()}
    assert len(generation_reads) == 2


def test_without_a_request_no_generation_is_read(inner):
    catalog = CachedCatalog(inner, ttl_s=30, monotonic=Ticker())

    def fail() -> int:
        raise AssertionError("generation read outside a request")

    inner.generation = fail  # type: ignore[method-assign]
    catalog.get_offer("tl-internet-100")


def test_reads_just_after_a_change_are_kept_only_until_the_indexes_settle(inner):
    ticker = Ticker()
    catalog = CachedCatalog(inner, ttl_s=3600, monotonic=ticker)
    catalog.put_provider(Provider(id="new-tl", name="New TL"))  # a change: settling starts
    catalog.list_providers()
    catalog.list_providers()
    assert inner.reads["list_providers"] == 1
    ticker.now += SETTLE_S
    catalog.list_providers()  # read again once the window has passed, then kept for the TTL
    ticker.now += 60
    catalog.list_providers()
    assert inner.reads["list_providers"] == 2
