"""Single-use tokens with an expiry (key schema: schema.py).

DynamoDB's TTL deletes expired items eventually, not on time, so every read and every
condition also compares ``ttl`` with the clock: an expired token is absent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.errors import NotFound

from ..expiry import expiry_epoch, is_expired
from .attributes import n, s, text
from .client import DynamoDBTable
from .schema import TTL_ATTRIBUTE

TOKEN_SK = "TOKEN"  # noqa: S105 - a sort key, not a secret


def token_pk(key: str) -> str:
    return f"TOKEN#{key}"


class DynamoDBOneTimeTokens:
    def __init__(self, table: DynamoDBTable, clock: Clock | None = None) -> None:
        self._table = table.name
        self._client = table.client
        self._clock = clock or SystemClock()

    def _key(self, key: str) -> dict[str, Any]:
        return {"pk": s(token_pk(key)), "sk": s(TOKEN_SK)}

    def _now(self) -> dict[str, str]:
        return n(self._clock.now().timestamp())

    def claim(self, key: str, expires_at: datetime, value: dict[str, Any] | None = None) -> bool:
        item = {**self._key(key), TTL_ATTRIBUTE: n(expiry_epoch(expires_at))}
        if value is not None:
            item["val"] = s(json.dumps(value))
        client = self._client()
        try:
            client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR #ttl <= :now",
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": self._now()},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, key: str) -> dict[str, Any] | None:
        item = (
            self._client()
            .get_item(TableName=self._table, Key=self._key(key), ConsistentRead=True)
            .get("Item")
        )
        if item is None or is_expired(int(item[TTL_ATTRIBUTE]["N"]), self._clock.now()):
            return None
        if "val" not in item:
            return None
        value: dict[str, Any] = json.loads(text(item, "val"))
        return value

    def put_value(self, key: str, value: dict[str, Any]) -> None:
        client = self._client()
        try:
            client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="SET val = :val",
                ConditionExpression="attribute_exists(pk) AND #ttl > :now",
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":val": s(json.dumps(value)), ":now": self._now()},
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise NotFound("token not claimed or expired") from None

    def keep(self, key: str, value: dict[str, Any], expires_at: datetime) -> None:
        client = self._client()
        try:
            client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="SET val = :val, #ttl = :until",
                ConditionExpression="attribute_exists(pk) AND #ttl > :now",
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":val": s(json.dumps(value)),
                    ":until": n(expiry_epoch(expires_at)),
                    ":now": self._now(),
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise NotFound("token not claimed or expired") from None

    def release(self, key: str) -> None:
        self._client().delete_item(TableName=self._table, Key=self._key(key))
