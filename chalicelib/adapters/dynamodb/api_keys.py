"""Provider API keys, stored only as SHA-256 hashes (key schema: schema.py).

Two items per key, written in one transaction: the lookup item (by hash, what every API
request reads with one GetItem) and the listing item under the provider (what the admin lists
and revokes by key id). The revocation time is a separate attribute on both, set once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import AlreadyExists, NotFound
from chalicelib.domain.ports import ApiKeyRecord

from .attributes import Item, cancellation_codes, s, text
from .client import DynamoDBTable

LOOKUP_SK = "APIKEY"


def lookup_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def listing_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#APIKEYS"


def _record(item: Item) -> ApiKeyRecord:
    data = json.loads(text(item, "doc"))
    if "revoked_at" in item:
        data["revoked_at"] = text(item, "revoked_at")
    return ApiKeyRecord.model_validate(data)


class DynamoDBApiKeyStore:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    def add_key(self, record: ApiKeyRecord) -> None:
        doc = s(record.model_copy(update={"revoked_at": None}).model_dump_json())
        extra: Item = {}
        if record.revoked_at is not None:
            extra["revoked_at"] = s(record.revoked_at.isoformat())
        puts: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": s(lookup_pk(record.key_hash)),
                        "sk": s(LOOKUP_SK),
                        "doc": doc,
                        **extra,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": s(listing_pk(record.provider_id)),
                        "sk": s(record.key_id),
                        "doc": doc,
                        "key_hash": s(record.key_hash),
                        **extra,
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        client = self._client()
        try:
            client.transact_write_items(TransactItems=puts)
        except client.exceptions.TransactionCanceledException as error:
            if "ConditionalCheckFailed" in cancellation_codes(error):
                raise AlreadyExists(f"API key {record.key_id} already exists") from None
            raise

    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        response = self._client().get_item(
            TableName=self._table,
            Key={"pk": s(lookup_pk(key_hash)), "sk": s(LOOKUP_SK)},
            # A revocation must take effect on the very next request.
            ConsistentRead=True,
        )
        item = response.get("Item")
        return None if item is None else _record(item)

    def keys_of_provider(self, provider_id: str) -> list[ApiKeyRecord]:
        client = self._client()
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s(listing_pk(provider_id))},
            "ConsistentRead": True,
        }
        records = []
        while True:
            response = client.query(**params)
            records += [_record(item) for item in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return records
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def revoke(self, provider_id: str, key_id: str, at: datetime) -> None:
        client = self._client()
        listing_key = {"pk": s(listing_pk(provider_id)), "sk": s(key_id)}
        listing = client.get_item(TableName=self._table, Key=listing_key, ConsistentRead=True).get(
            "Item"
        )
        if listing is None:
            raise NotFound(f"API key {key_id} not found")
        lookup_key = {"pk": s(lookup_pk(text(listing, "key_hash"))), "sk": s(LOOKUP_SK)}
        # The first revocation time is the one that counts.
        update = {
            "UpdateExpression": "SET revoked_at = if_not_exists(revoked_at, :at)",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":at": s(at.isoformat())},
        }
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Update": {"TableName": self._table, "Key": listing_key, **update}},
                    {"Update": {"TableName": self._table, "Key": lookup_key, **update}},
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            if "ConditionalCheckFailed" in cancellation_codes(error):
                raise NotFound(f"API key {key_id} not found") from None
            raise
