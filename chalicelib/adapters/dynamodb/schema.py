"""The one table (single-table design) and its key schema.

Base table: partition key ``pk`` (S), sort key ``sk`` (S).

==================  ===============================  =================  ==========================
item                pk                               sk                 other attributes
==================  ===============================  =================  ==========================
order               ORDER#<order id>                 ORDER              po_*, pu_*, doc, version,
                                                                        status, act_state
order event         ORDER#<order id>                 EVENT#<event id>   doc (no TTL: audit trail)
provider            CATALOG#PROVIDER                 <provider id>      doc
city network        CATALOG#CITYNET                  <city network id>  doc
offer               OFFER#<offer id>                 OFFER              cno_*, pvo_*, doc
provider document   PROVIDER#<provider id>#DOCUMENTS <kind>#<version>   doc (immutable versions)
extension form      PROVIDER#<provider id>#FORMS     FORM#<version>     doc (immutable versions)
API key (lookup)    APIKEY#<sha256 hex of the key>   APIKEY             doc, revoked_at
API key (listing)   PROVIDER#<provider id>#APIKEYS   <key id>           doc, key_hash, revoked_at
one-time token      TOKEN#<key>                      TOKEN              ttl (N, epoch s), val
counter             COUNTER#<key>                    COUNTER            n (N), ttl (N, epoch s)
webhook endpoint    PROVIDER#<provider id>           WEBHOOK            doc, version
webhook delivery    PROVIDER#<provider id>#DELIVERIES <delivery id>     doc, version, ttl
feed cursor         CITYNET#<city network id>        FEED_CURSOR        cursor (ON-API orderevents)
access (by id)      ACCESSES#<city network id>       ID#<access id>     doc (ON-API accesses)
access (by address) ACCESSES#<city network id>       ADDR#<address key> doc (domain/addresses.py)
access list sync    ACCESSES#<city network id>       SYNC               last_modified
==================  ===============================  =================  ==========================

Global secondary indexes (all projections ALL, so every listing is a single Query):

- ``provider_orders``: ``po_pk`` = PROVIDER#<provider id>, ``po_sk`` = <order id>. Order ids
  are ULIDs, so ScanIndexForward=False lists a provider's orders newest first.
- ``provider_updates``: ``pu_pk`` = PROVIDER#<provider id>, ``pu_sk`` =
  <updated_at, fixed-width UTC ISO with microseconds>#<order id>: the changed_since feed.
- ``city_network_offers``: ``cno_pk`` = CITYNET#<city network id>, ``cno_sk`` = <offer id>.
- ``provider_offers``: ``pvo_pk`` = PROVIDER#<provider id>, ``pvo_sk`` = <offer id>.

The customer-facing reads (an offer, the offers and city networks, an order by id, an
address search: one Query with ``begins_with`` on a city network's ``ADDR#`` keys) use the
base table and the two offer indexes only. Nothing ever Scans.

The table's stream (NEW_IMAGE) is the webhook outbox: an order event item is written in the
same transaction as the order change it reports; the relay reads it from the stream.

``ttl`` is the table's TTL attribute (integer epoch seconds), set on one-time tokens,
counters and webhook deliveries. DynamoDB deletes expired items lazily, so readers treat
``ttl <= now`` as absent themselves.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from .client import DynamoDBTable

INDEX_PROVIDER_ORDERS = "provider_orders"
INDEX_PROVIDER_UPDATES = "provider_updates"
INDEX_CITY_NETWORK_OFFERS = "city_network_offers"
INDEX_PROVIDER_OFFERS = "provider_offers"
TTL_ATTRIBUTE = "ttl"
STREAM_SPECIFICATION: dict[str, Any] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def _index(name: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": pk, "KeyType": "HASH"},
            {"AttributeName": sk, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


_KEY_ATTRIBUTES = (
    "pk",
    "sk",
    "po_pk",
    "po_sk",
    "pu_pk",
    "pu_sk",
    "cno_pk",
    "cno_sk",
    "pvo_pk",
    "pvo_sk",
)

TABLE_DEFINITION: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"} for name in _KEY_ATTRIBUTES
    ],
    "GlobalSecondaryIndexes": [
        _index(INDEX_PROVIDER_ORDERS, "po_pk", "po_sk"),
        _index(INDEX_PROVIDER_UPDATES, "pu_pk", "pu_sk"),
        _index(INDEX_CITY_NETWORK_OFFERS, "cno_pk", "cno_sk"),
        _index(INDEX_PROVIDER_OFFERS, "pvo_pk", "pvo_sk"),
    ],
    "BillingMode": "PAY_PER_REQUEST",
    # The outbox: order events are written with their order change, and the stream's new
    # images carry them to the webhook relay (chalicelib.workers.webhooks).
    "StreamSpecification": STREAM_SPECIFICATION,
}


def create_table(table: DynamoDBTable, *, timeout_s: float = 60.0) -> None:
    """Create the table with TTL enabled; a table that already exists is left as it is."""
    client = table.client()
    name = table.name
    with contextlib.suppress(client.exceptions.ResourceInUseException):
        client.create_table(TableName=name, **TABLE_DEFINITION)
    _wait_until_active(client, name, timeout_s)
    _ensure_stream(client, name, timeout_s)
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in {"ENABLED", "ENABLING"}:
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )


def _ensure_stream(client: Any, name: str, timeout_s: float) -> None:
    """A table created before the stream was part of the definition gets it now."""
    spec = client.describe_table(TableName=name)["Table"].get("StreamSpecification") or {}
    if not spec.get("StreamEnabled"):
        client.update_table(TableName=name, StreamSpecification=STREAM_SPECIFICATION)
        _wait_until_active(client, name, timeout_s)


def table_stream_arn(table: DynamoDBTable) -> str:
    """The ARN of the table's stream (the relay's event source)."""
    description = table.client().describe_table(TableName=table.name)["Table"]
    return str(description["LatestStreamArn"])


def _wait_until_active(client: Any, name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        status = client.describe_table(TableName=name)["Table"]["TableStatus"]
        if status == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} is still {status}")
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
