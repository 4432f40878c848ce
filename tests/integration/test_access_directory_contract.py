"""One contract, two access directories (the address search's store): every test runs in
memory and on DynamoDB (moto), where no code path may Scan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.addresses import ListedAccess, parse_address_query
from chalicelib.domain.ports import AccessDirectory

NET, OTHER = "adress-natet", "annat-nat"


@pytest.fixture(params=["memory", "dynamodb"])
def directory(request: pytest.FixtureRequest) -> Iterator[AccessDirectory]:
    if request.param == "memory":
        from chalicelib.adapters.memory.access_directory import InMemoryAccessDirectory

        yield InMemoryAccessDirectory()
        return
    from chalicelib.adapters.dynamodb.access_directory import DynamoDBAccessDirectory
    from tests.aws import table

    the_table = table(request.getfixturevalue("table_name"))
    client = the_table.client()

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Scan issued against DynamoDB")

    request.getfixturevalue("monkeypatch").setattr(client, "scan", no_scan)
    yield DynamoDBAccessDirectory(the_table)


def entry(access_id: str, street: str = "Storgatan", number: str = "3", **more: str):
    return ListedAccess(access_id=access_id, street_name=street, street_number=number, **more)


def found(directory: AccessDirectory, typed: str, network: str = NET, limit: int = 50):
    query = parse_address_query(typed)
    assert query is not None
    return [a.access_id for a in directory.search(network, query.key_prefix(), limit=limit)]


def test_entries_are_found_by_id_and_by_address(directory: AccessDirectory) -> None:
    rows = [entry("A1", apartment="1101", postal_code="12345", city="Demostad"), entry("A2")]
    directory.put(NET, rows, replacing={})
    assert directory.get(NET, "A1") == rows[0]
    assert directory.get(NET, "nope") is None
    assert directory.get_many(NET, ["A2", "nope", "A1"]) == {"A1": rows[0], "A2": rows[1]}
    assert found(directory, "Storgatan 3") == ["A2", "A1"]  # no apartment first


def test_a_search_reads_in_address_order_up_to_its_limit(directory: AccessDirectory) -> None:
    rows = [entry(f"N{n}", number=str(n)) for n in (12, 3, 100, 1)]
    rows.append(entry("K1", street="Kyrkvägen", number="1"))
    directory.put(NET, rows, replacing={})
    assert found(directory, "Storgatan") == ["N1", "N3", "N12", "N100"]
    assert found(directory, "Storgatan", limit=2) == ["N1", "N3"]
    assert found(directory, "Storgatan 1") == ["N1"]
    assert found(directory, "Kyrkv") == ["K1"]
    assert found(directory, "Kyrkvägen 1") == ["K1"]


def test_a_changed_address_is_found_only_at_its_new_address(directory: AccessDirectory) -> None:
    before = entry("A1", number="3")
    directory.put(NET, [before], replacing={})
    after = entry("A1", street="Hamngatan", number="14")
    directory.put(NET, [after], replacing=directory.get_many(NET, ["A1"]))
    assert directory.get(NET, "A1") == after
    assert found(directory, "Storgatan") == []
    assert found(directory, "Hamngatan 14") == ["A1"]


def test_an_entry_changed_in_place_is_one_entry(directory: AccessDirectory) -> None:
    directory.put(NET, [entry("A1")], replacing={})
    changed = entry("A1", postal_code="12345")
    directory.put(NET, [changed], replacing=directory.get_many(NET, ["A1"]))
    assert directory.search(NET, "storgatan", limit=10) == [changed]


def test_networks_are_apart(directory: AccessDirectory) -> None:
    directory.put(NET, [entry("A1")], replacing={})
    directory.put(OTHER, [entry("B1")], replacing={})
    assert found(directory, "Storgatan 3") == ["A1"]
    assert found(directory, "Storgatan 3", OTHER) == ["B1"]
    assert directory.get(OTHER, "A1") is None
    directory.set_last_modified(NET, "Sun, 01 Jun 2025 08:00:00 GMT")
    assert directory.last_modified(NET) == "Sun, 01 Jun 2025 08:00:00 GMT"
    assert directory.last_modified(OTHER) is None


def test_many_entries_cross_the_batch_sizes(directory: AccessDirectory) -> None:
    rows = [entry(f"M{n:04d}", number=str(n)) for n in range(1, 231)]
    directory.put(NET, rows, replacing={})
    ids = [r.access_id for r in rows]
    assert directory.get_many(NET, ids) == {r.access_id: r for r in rows}
    assert len(directory.search(NET, "storgatan", limit=500)) == 230


def test_names_with_any_letters_round_trip(directory: AccessDirectory) -> None:
    odd = entry("Ø-1", street="Øresundsvägen", number="2", city="Malmö", street_littera="Å")
    directory.put(NET, [odd], replacing={})
    assert directory.get(NET, "Ø-1") == odd
    assert found(directory, "oresundsvagen 2 å") == ["Ø-1"]


@pytest.mark.parametrize("directory", ["dynamodb"], indirect=True)
def test_a_put_failing_part_way_leaves_the_entry_to_the_next_put(
    directory: AccessDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = entry("A1", number="3")
    directory.put(NET, [before], replacing={})
    client = directory._client()  # type: ignore[attr-defined]
    real = client.batch_write_item
    rounds: list[int] = []

    def fails_on_the_id_round(**kwargs: Any) -> Any:
        rounds.append(1)
        if len(rounds) == 3:  # new address, old address removed, then the id item
            raise RuntimeError("connection reset")
        return real(**kwargs)

    monkeypatch.setattr(client, "batch_write_item", fails_on_the_id_round)
    after = entry("A1", number="5")
    with pytest.raises(RuntimeError):
        directory.put(NET, [after], replacing=directory.get_many(NET, ["A1"]))
    # The id item is as it was: the sync sees the entry as still changed
    assert directory.get(NET, "A1") == before
    assert found(directory, "Storgatan 5") == ["A1"]
    monkeypatch.setattr(client, "batch_write_item", real)
    directory.put(NET, [after], replacing=directory.get_many(NET, ["A1"]))
    assert directory.get(NET, "A1") == after
    assert found(directory, "Storgatan") == ["A1"]
