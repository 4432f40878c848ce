"""Each city network's accesses by address, in memory (the AccessDirectory port; DynamoDB's
twin is adapters/dynamodb/access_directory.py). `writes` counts the entries put, for tests
that check only changed rows are written."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.addresses import ListedAccess


@dataclass
class _Network:
    by_id: dict[str, ListedAccess] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # sorted address keys
    by_key: dict[str, ListedAccess] = field(default_factory=dict)
    last_modified: str | None = None


class InMemoryAccessDirectory:
    def __init__(self) -> None:
        self._networks: dict[str, _Network] = {}
        self._lock = threading.Lock()
        self.writes = 0

    def _network(self, city_network_id: str) -> _Network:
        return self._networks.setdefault(city_network_id, _Network())

    def get(self, city_network_id: str, access_id: str) -> ListedAccess | None:
        with self._lock:
            return self._network(city_network_id).by_id.get(access_id)

    def get_many(self, city_network_id: str, access_ids: Sequence[str]) -> dict[str, ListedAccess]:
        with self._lock:
            stored = self._network(city_network_id).by_id
            return {a: stored[a] for a in access_ids if a in stored}

    def put(
        self,
        city_network_id: str,
        entries: Sequence[ListedAccess],
        *,
        replacing: Mapping[str, ListedAccess],
    ) -> None:
        with self._lock:
            network = self._network(city_network_id)
            for entry in entries:
                # What is stored now wins over what the caller read before.
                old = network.by_id.get(entry.access_id) or replacing.get(entry.access_id)
                if old is not None and old.key != entry.key and old.key in network.by_key:
                    del network.by_key[old.key]
                    network.keys.remove(old.key)
                if entry.key not in network.by_key:
                    bisect.insort(network.keys, entry.key)
                network.by_key[entry.key] = entry
                network.by_id[entry.access_id] = entry
                self.writes += 1

    def search(self, city_network_id: str, prefix: str, *, limit: int) -> list[ListedAccess]:
        with self._lock:
            network = self._network(city_network_id)
            start = bisect.bisect_left(network.keys, prefix)
            found: list[ListedAccess] = []
            for key in network.keys[start:]:
                if not key.startswith(prefix) or len(found) >= limit:
                    break
                found.append(network.by_key[key])
            return found

    def last_modified(self, city_network_id: str) -> str | None:
        with self._lock:
            return self._network(city_network_id).last_modified

    def set_last_modified(self, city_network_id: str, value: str) -> None:
        with self._lock:
            self._network(city_network_id).last_modified = value
