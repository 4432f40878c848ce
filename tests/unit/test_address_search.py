"""The address search's domain: reading a typed address, the directory's keys, the sync of
a network's access list (only changed rows written, Last-Modified kept) and the search."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.adapters.memory.access_directory import InMemoryAccessDirectory
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.accesses import listed_access, search_accesses, sync_accesses
from chalicelib.domain.addresses import (
    AccessListing,
    ListedAccess,
    address_key,
    fold,
    parse_address_query,
)
from chalicelib.domain.errors import NotFound

NETWORK = "adress-natet"


def access(access_id: str, street: str = "Storgatan", number: str | None = "3", **more: str):
    return ListedAccess(access_id=access_id, street_name=street, street_number=number, **more)


# --- reading what was typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Storgatan 3", {"street": "storgatan", "number": "3"}),
        ("storgatan", {"street": "storgatan"}),
        ("  Ängsvägen   10 ", {"street": "angsvagen", "number": "10"}),
        ("Björkgatan 12B", {"street": "bjorkgatan", "number": "12", "littera": "b"}),
        (
            "Björkgatan 12 b, Demostad",
            {"street": "bjorkgatan", "number": "12", "littera": "b", "city": "demostad"},
        ),
        ("Storgatan 3 lgh 1101", {"street": "storgatan", "number": "3", "apartment": "1101"}),
        (
            "Storgatan 3, 1101, 123 45 Demostad",
            {
                "street": "storgatan",
                "number": "3",
                "apartment": "1101",
                "postal_code": "12345",
                "city": "demostad",
            },
        ),
        (
            "Sankt Eriksgatan 05 12345",
            {"street": "sankt eriksgatan", "number": "5", "postal_code": "12345"},
        ),
        ("Storgatan, Demostad", {"street": "storgatan", "city": "demostad"}),
    ],
)
def test_a_typed_address_is_read_as_street_number_apartment_postal_code_and_city(typed, expected):
    query = parse_address_query(typed)
    assert query is not None
    assert query.model_dump(exclude_none=True) == expected


@pytest.mark.parametrize("typed", ["", "   ", "12345", "3 Storgatan", ", Storgatan"])
def test_an_address_without_a_street_first_is_not_read(typed):
    assert parse_address_query(typed) is None


def test_keys_fold_accents_and_case_and_sort_numbers_as_numbers():
    assert fold("  Ängs-VÄGEN ") == "angs vagen"
    keys = sorted(address_key(access(f"A{n}", number=n)) for n in ("12", "5", "100"))
    assert [k.split("#")[1] for k in keys] == ["000005", "000012", "000100"]


def test_a_prefix_with_a_number_does_not_find_other_numbers_that_begin_alike():
    query = parse_address_query("Storgatan 1")
    assert query is not None
    assert address_key(access("A", number="1")).startswith(query.key_prefix())
    assert not address_key(access("B", number="12")).startswith(query.key_prefix())


# --- the sync ----------------------------------------------------------------------------------


@dataclass
class ScriptedList:
    """A network's access list: each read returns the next listing, and records `since`."""

    listings: list[AccessListing]
    asked: list[str | None] = field(default_factory=list)

    def access_rows(self, since: str | None) -> AccessListing:
        self.asked.append(since)
        return self.listings.pop(0)


def listing(*rows: ListedAccess, last_modified: str | None = "Sun, 01 Jun 2025 08:00:00 GMT",
            outcome: str = "ok", modified: bool = True) -> AccessListing:  # fmt: skip
    return AccessListing.model_validate(
        {
            "method": "accesses",
            "outcome": outcome,
            "duration_ms": 3,
            "modified": modified,
            "last_modified": last_modified,
            "accesses": rows,
        }
    )


@pytest.fixture
def deps() -> InMemoryAdapters:
    return InMemoryAdapters()


def directory(deps: InMemoryAdapters) -> InMemoryAccessDirectory:
    found = deps.access_directory
    assert isinstance(found, InMemoryAccessDirectory)
    return found


def test_the_first_sync_writes_every_row_and_keeps_the_last_modified(deps):
    rows = [access("A1"), access("A2", number="5"), access("A3", street="Kyrkvägen")]
    feed = ScriptedList([listing(*rows)])
    result = sync_accesses(NETWORK, feed, deps)
    assert (result.outcome, result.received, result.written) == ("ok", 3, 3)
    assert feed.asked == [None]
    assert deps.access_directory.last_modified(NETWORK) == "Sun, 01 Jun 2025 08:00:00 GMT"
    assert listed_access(NETWORK, "A3", deps) == rows[2]


def test_the_next_sync_asks_if_modified_since_and_writes_only_the_changed_rows(deps):
    first = [access("A1"), access("A2", number="5"), access("A3", number="7")]
    moved = access("A2", number="9")  # the network corrected the number
    again = [first[0], moved, first[2], access("A4", number="11")]
    feed = ScriptedList(
        [listing(*first), listing(*again, last_modified="Mon, 02 Jun 2025 08:00:00 GMT")]
    )
    sync_accesses(NETWORK, feed, deps)
    writes_before = directory(deps).writes

    result = sync_accesses(NETWORK, feed, deps)

    assert feed.asked == [None, "Sun, 01 Jun 2025 08:00:00 GMT"]
    assert (result.received, result.written) == (4, 2)
    assert directory(deps).writes - writes_before == 2
    assert deps.access_directory.last_modified(NETWORK) == "Mon, 02 Jun 2025 08:00:00 GMT"
    # The moved access is found at its new number only
    found = search_accesses(NETWORK, "Storgatan 9", deps).matches
    assert [a.access_id for a in found] == ["A2"]
    assert search_accesses(NETWORK, "Storgatan 5", deps).matches == ()


def test_nothing_is_written_when_the_network_says_nothing_changed(deps):
    feed = ScriptedList([listing(access("A1")), listing(modified=False, last_modified=None)])
    sync_accesses(NETWORK, feed, deps)
    writes = directory(deps).writes
    result = sync_accesses(NETWORK, feed, deps)
    assert (result.outcome, result.modified, result.written) == ("ok", False, 0)
    assert directory(deps).writes == writes
    assert deps.access_directory.last_modified(NETWORK) == "Sun, 01 Jun 2025 08:00:00 GMT"


@pytest.mark.parametrize("outcome", ["transient", "refused"])
def test_a_failed_read_writes_nothing_and_keeps_the_last_modified(deps, outcome):
    feed = ScriptedList([listing(access("A1")), listing(outcome=outcome, last_modified=None)])
    sync_accesses(NETWORK, feed, deps)
    result = sync_accesses(NETWORK, feed, deps)
    assert result.outcome == outcome
    assert deps.access_directory.last_modified(NETWORK) == "Sun, 01 Jun 2025 08:00:00 GMT"
    assert directory(deps).writes == 1


def test_a_sync_that_fails_writing_is_read_whole_again_next_time(deps):
    class FailsOnce(InMemoryAccessDirectory):
        failed = False

        def put(self, city_network_id, entries, *, replacing):
            if not self.failed:
                self.failed = True
                raise RuntimeError("the table is down")
            super().put(city_network_id, entries, replacing=replacing)

    failing = deps.replaced(access_directory=FailsOnce())
    feed = ScriptedList([listing(access("A1")), listing(access("A1"))])
    with pytest.raises(RuntimeError):
        sync_accesses(NETWORK, feed, failing)
    assert failing.access_directory.last_modified(NETWORK) is None
    assert sync_accesses(NETWORK, feed, failing).written == 1
    assert feed.asked == [None, None]


def test_a_row_listed_twice_counts_as_its_last_row(deps):
    feed = ScriptedList([listing(access("A1", number="1"), access("A1", number="2"))])
    sync_accesses(NETWORK, feed, deps)
    assert listed_access(NETWORK, "A1", deps).street_number == "2"


# --- the search --------------------------------------------------------------------------------


@pytest.fixture
def listed(deps) -> InMemoryAdapters:
    rows = [
        access("S1", number="1", postal_code="12345", city="Demostad"),
        access("S3-1101", number="3", apartment="1101", postal_code="12345", city="Demostad"),
        access("S3-1102", number="3", apartment="1102", postal_code="12345", city="Demostad"),
        access("S5", number="5", street_littera="B", postal_code="12345", city="Demostad"),
        access("S12", number="12", postal_code="54321", city="Annanstad"),
        access("K4", street="Kyrkvägen", number="4", postal_code="12341", city="Demostad"),
    ]
    sync_accesses(NETWORK, ScriptedList([listing(*rows)]), deps)
    return deps


@pytest.mark.parametrize(
    ("typed", "ids"),
    [
        ("Storgatan 3", ["S3-1101", "S3-1102"]),
        ("storgatan 3 lgh 1102", ["S3-1102"]),
        ("STORGATAN 1", ["S1"]),  # not 12
        ("Storgatan 5B", ["S5"]),
        ("Storgatan 5", ["S5"]),
        ("Storgatan 5 A", []),
        ("Storgatan, Annanstad", ["S12"]),
        ("Storgatan 12 123 45", []),  # the postal code does not match
        ("Storg", ["S1", "S3-1101", "S3-1102", "S5", "S12"]),
        ("Kyrkvagen 4", ["K4"]),  # without the accent
        ("Parkvägen 8", []),
    ],
)
def test_a_search_finds_the_accesses_at_the_typed_address(listed, typed, ids):
    result = search_accesses(NETWORK, typed, listed)
    assert [a.access_id for a in result.matches] == ids
    assert not result.unreadable and not result.more


def test_a_search_without_a_street_asks_for_one(listed):
    result = search_accesses(NETWORK, "123 45", listed)
    assert result.unreadable and result.matches == ()


def test_another_networks_accesses_are_not_found(listed):
    assert search_accesses("annat-nat", "Storgatan 3", listed).matches == ()
    with pytest.raises(NotFound):
        listed_access("annat-nat", "S1", listed)


def test_too_many_matches_are_cut_and_said_so(deps):
    rows = [access(f"M{n}", number=str(n)) for n in range(1, 41)]
    sync_accesses(NETWORK, ScriptedList([listing(*rows)]), deps)
    result = search_accesses(NETWORK, "Storgatan", deps)
    assert result.more and len(result.matches) == 30


# --- the ON-API network's rows, protocol-neutral ------------------------------------------------


def test_an_on_api_networks_rows_become_listed_accesses():
    from chalicelib.adapters.citynet.on_api.models import AccessesResult, AccessRow
    from chalicelib.adapters.citynet.on_api.network import OnApiCityNetwork

    class Client:
        city_network_id = NETWORK

        def __init__(self) -> None:
            self.asked: list[str | None] = []

        def accesses(self, since: str | None) -> AccessesResult:
            self.asked.append(since)
            rows = (
                AccessRow(access_id="A1", street_name="Storgatan", street_number="3",
                          street_littera="B", mdu_apartment_number="1101",
                          postal_code="123 45", city="Demostad"),
                AccessRow(access_id="A2", postal_code="12345"),  # no street: not findable
            )  # fmt: skip
            return AccessesResult(
                method="accesses", outcome="ok", duration_ms=3, last_modified="LM",
                accesses=rows, skipped=1,
            )  # fmt: skip

    client = Client()
    listing = OnApiCityNetwork(client).access_rows("LM-0")  # type: ignore[arg-type]
    assert client.asked == ["LM-0"]
    assert (listing.outcome, listing.last_modified, listing.skipped) == ("ok", "LM", 2)
    [row] = listing.accesses
    assert row == ListedAccess(
        access_id="A1", street_name="Storgatan", street_number="3", street_littera="B",
        apartment="1101", postal_code="12345", city="Demostad",
    )  # fmt: skip
