"""Counts with an expiry (key schema: schema.py): one item per key, counted up with a
conditional UpdateItem ADD, never read whole and never Scanned.

DynamoDB's TTL deletes expired items eventually, not on time, so the condition compares
``ttl`` with the clock: an expired count is started afresh (a conditional PutItem), not
counted on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.clock import Clock, SystemClock

from ..expiry import expiry_epoch
from .attributes import n, s
from .client import DynamoDBTable
from .schema import TTL_ATTRIBUTE

COUNTER_SK = "COUNTER"


def counter_pk(key: str) -> str:
    return f"COUNTER#{key}"


class DynamoDBCounters:
    def __init__(self, table: DynamoDBTable, clock: Clock | None = None) -> None:
        self._table = table.name
        self._client = table.client
        self._clock = clock or SystemClock()

    def _key(self, key: str) -> dict[str, Any]:
        return {"pk": s(counter_pk(key)), "sk": s(COUNTER_SK)}

    def count(self, key: str, *, limit: int, expires_at: datetime) -> bool:
        if limit <= 0:
            return False
        client = self._client()
        now = n(self._clock.now().timestamp())
        ttl = n(expiry_epoch(expires_at))
        try:
            client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(pk) OR (#ttl > :now AND #n < :limit)",
                ExpressionAttributeNames={"#n": "n", "#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":one": n(1),
                    ":ttl": ttl,
                    ":now": now,
                    ":limit": n(limit),
                },
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            pass
        # The limit is reached, or the count expired and is started afresh. (Two callers
        # restarting the same expired count at once: the second is refused this once.)
        try:
            client.put_item(
                TableName=self._table,
                Item={**self._key(key), "n": n(1), TTL_ATTRIBUTE: ttl},
                ConditionExpression="#ttl <= :now",
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": now},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True
