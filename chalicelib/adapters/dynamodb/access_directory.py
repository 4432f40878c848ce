"""Each city network's accesses by address (key schema: schema.py): one partition per
city network, ``ACCESSES#<city network id>``, holding per access an id item (``ID#<access
id>``, to find it by id) and an address item (``ADDR#<address key>``, to find it by address
with one Query on ``begins_with``), and the list's Last-Modified (``SYNC``). Nothing Scans.

A put writes in three rounds of BatchWriteItem: the new address items, then the deletion of
address items an address change left behind, then the id items. The id item is written
last, so a put that fails part-way leaves the entry's id item as it was: the next sync finds
that entry changed and puts it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chalicelib.domain.addresses import ListedAccess

from .attributes import Item, query_items, s, text
from .client import DynamoDBTable

ID_PREFIX = "ID#"
ADDRESS_PREFIX = "ADDR#"
SYNC_SK = "SYNC"
_BATCH_GET = 100  # BatchGetItem's cap on keys per call
_BATCH_WRITE = 25  # BatchWriteItem's cap on requests per call
_UNPROCESSED_ROUNDS = 8


def directory_pk(city_network_id: str) -> str:
    return f"ACCESSES#{city_network_id}"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DynamoDBAccessDirectory:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    def _key(self, city_network_id: str, sk: str) -> Item:
        return {"pk": s(directory_pk(city_network_id)), "sk": s(sk)}

    def _item(self, city_network_id: str, sk: str, entry: ListedAccess) -> Item:
        return {**self._key(city_network_id, sk), "doc": s(entry.model_dump_json())}

    def get(self, city_network_id: str, access_id: str) -> ListedAccess | None:
        item = (
            self._client()
            .get_item(
                TableName=self._table,
                Key=self._key(city_network_id, ID_PREFIX + access_id),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return ListedAccess.model_validate_json(text(item, "doc")) if item else None

    def get_many(self, city_network_id: str, access_ids: Sequence[str]) -> dict[str, ListedAccess]:
        found: dict[str, ListedAccess] = {}
        unique = list(dict.fromkeys(access_ids))
        for chunk in _chunks(unique, _BATCH_GET):
            keys = [self._key(city_network_id, ID_PREFIX + a) for a in chunk]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(_UNPROCESSED_ROUNDS):
                reply = self._client().batch_get_item(RequestItems=request)
                for item in reply.get("Responses", {}).get(self._table, []):
                    entry = ListedAccess.model_validate_json(text(item, "doc"))
                    found[entry.access_id] = entry
                request = reply.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("DynamoDB left keys unprocessed; try again later")
        return found

    def put(
        self,
        city_network_id: str,
        entries: Sequence[ListedAccess],
        *,
        replacing: Mapping[str, ListedAccess],
    ) -> None:
        addresses = [
            {"PutRequest": {"Item": self._item(city_network_id, ADDRESS_PREFIX + e.key, e)}}
            for e in entries
        ]
        left_behind = [
            {"DeleteRequest": {"Key": self._key(city_network_id, ADDRESS_PREFIX + old.key)}}
            for e in entries
            if (old := replacing.get(e.access_id)) is not None and old.key != e.key
        ]
        ids = [
            {"PutRequest": {"Item": self._item(city_network_id, ID_PREFIX + e.access_id, e)}}
            for e in entries
        ]
        for requests in (addresses, left_behind, ids):
            for chunk in _chunks(requests, _BATCH_WRITE):
                self._write(list(chunk))

    def _write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        for _ in range(_UNPROCESSED_ROUNDS):
            reply = self._client().batch_write_item(RequestItems=pending)
            pending = reply.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05)
        raise RuntimeError("DynamoDB left writes unprocessed; try again later")

    def search(self, city_network_id: str, prefix: str, *, limit: int) -> list[ListedAccess]:
        if limit <= 0:
            return []
        params = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": s(directory_pk(city_network_id)),
                ":prefix": s(ADDRESS_PREFIX + prefix),
            },
            "Limit": limit,
        }
        found: list[ListedAccess] = []
        for item in query_items(self._client(), params):
            found.append(ListedAccess.model_validate_json(text(item, "doc")))
            if len(found) >= limit:
                break
        return found

    def last_modified(self, city_network_id: str) -> str | None:
        item = (
            self._client()
            .get_item(
                TableName=self._table, Key=self._key(city_network_id, SYNC_SK), ConsistentRead=True
            )
            .get("Item")
        )
        return text(item, "last_modified") if item else None

    def set_last_modified(self, city_network_id: str, value: str) -> None:
        self._client().put_item(
            TableName=self._table,
            Item={**self._key(city_network_id, SYNC_SK), "last_modified": s(value)},
        )
