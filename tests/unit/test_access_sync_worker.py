"""The scheduled access-list sync (workers/network_events.py, its second handler): every
ON-API network's list synced once per run, one network's failure logged without stopping
the others, and the run failing at the end so Lambda's Errors metric sees it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.addresses import AccessListing, ListedAccess
from chalicelib.workers import network_events as worker
from tests.fakes import FakeCityNetwork, FixedClock, seed_test_catalog
from tests.unit.test_network_events_worker import Networks, on_api_network, scheduled_event

BROKEN, WORKING = "onapi-broken", "onapi-working"
ROW = ListedAccess(access_id="A-1", street_name="Storgatan", street_number="1")


@dataclass
class ListingNetwork(FakeCityNetwork):
    listing: AccessListing | None = None
    raises: Exception | None = None
    asked: list[str | None] = field(default_factory=list)

    def access_rows(self, since: str | None) -> AccessListing:
        self.asked.append(since)
        if self.raises is not None:
            raise self.raises
        assert self.listing is not None
        return self.listing


@pytest.fixture
def working() -> ListingNetwork:
    listing = AccessListing(
        method="accesses", outcome="ok", duration_ms=2, last_modified="LM-1", accesses=(ROW,)
    )
    return ListingNetwork(listing=listing)


@pytest.fixture
def broken() -> ListingNetwork:
    return ListingNetwork(raises=RuntimeError("the store is down"))


@pytest.fixture
def networks(broken: ListingNetwork, working: ListingNetwork) -> Networks:
    by_id: dict[str, Any] = {BROKEN: broken, WORKING: working, "test-stadsnat": FakeCityNetwork()}
    return Networks(by_id)


@pytest.fixture
def services(networks: Networks) -> Iterator[InMemoryAdapters]:
    installed = InMemoryAdapters(city_networks=networks, clock=FixedClock())
    seed_test_catalog(installed.catalog)
    for network_id in (BROKEN, WORKING):
        installed.catalog.put_city_network(on_api_network(network_id))
    use(installed)
    yield installed
    use(None)


def test_one_network_failing_does_not_stop_the_others_and_fails_the_run(services, networks):
    import app

    with Client(app.app) as client, pytest.raises(worker.PollFailed, match=BROKEN):
        client.lambda_.invoke("sync_city_network_accesses", scheduled_event(client))

    assert BROKEN in networks.asked and WORKING in networks.asked
    assert services.access_directory.get(WORKING, "A-1") == ROW
    assert services.access_directory.last_modified(WORKING) == "LM-1"
    # The Direct Activation network has no access list to sync
    assert "test-stadsnat" not in networks.asked


def test_a_run_where_every_network_answers_reads_on_from_the_last_modified(
    services, broken: ListingNetwork, working: ListingNetwork
):
    broken.raises = None
    broken.listing = AccessListing(method="accesses", outcome="transient", duration_ms=5000)
    services.access_directory.set_last_modified(WORKING, "LM-0")

    outcomes = worker.sync_city_networks(services, "run-1")

    # A transient read is not a failure: the next run reads again
    assert outcomes == {BROKEN: "transient", WORKING: "ok"}
    assert working.asked == ["LM-0"]


def test_a_client_without_an_access_list_fails_the_run(services, networks):
    networks.by_id[BROKEN] = FakeCityNetwork()
    outcomes = worker.sync_city_networks(services, "run-2")
    assert outcomes[BROKEN] == "no_feed" and outcomes[WORKING] == "ok"
