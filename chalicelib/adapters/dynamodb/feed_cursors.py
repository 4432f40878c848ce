"""Where each city network's order-event feed was read up to: one item per network."""

from __future__ import annotations

from typing import Any

from .attributes import s, text
from .client import DynamoDBTable

CURSOR_SK = "FEED_CURSOR"


def feed_pk(city_network_id: str) -> str:
    return f"CITYNET#{city_network_id}"


class DynamoDBFeedCursors:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    def _key(self, city_network_id: str) -> dict[str, Any]:
        return {"pk": s(feed_pk(city_network_id)), "sk": s(CURSOR_SK)}

    def get(self, city_network_id: str) -> str | None:
        item = (
            self._client()
            .get_item(TableName=self._table, Key=self._key(city_network_id), ConsistentRead=True)
            .get("Item")
        )
        return text(item, "cursor") if item else None

    def put(self, city_network_id: str, cursor: str) -> None:
        self._client().put_item(
            TableName=self._table, Item={**self._key(city_network_id), "cursor": s(cursor)}
        )
