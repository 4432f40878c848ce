"""Listing cost: what DynamoDB reads to serve one provider a 50-order page, with few and with
many orders of other providers in the table.

The table lives in moto in this process (`mock_aws`: bulk writes are far faster than over
HTTP), filled with BatchWriteItem using the order store's own item shape
(orders._order_item); the page is read through DynamoDBOrderStore.list_for_provider. A
botocore hook asks every Query for its consumed capacity and adds up ScannedCount (items
DynamoDB read), the capacity units moto reports (coarse) and the read units the items'
sizes come to (the same rule as the request counts).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.request_counts import read_units

PROVIDER = "bench-tl"
PAGE = 50
BATCH = 25  # BatchWriteItem's cap


@contextmanager
def in_process_dynamodb() -> Iterator[None]:
    """moto's in-process mock, with the adapters' client cache and endpoint set aside."""
    from moto import mock_aws

    from chalicelib.adapters.aws_clients import reset_clients

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION")}
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.setdefault("AWS_REGION", "eu-north-1")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-north-1")
    reset_clients()
    try:
        with mock_aws():
            yield
    finally:
        reset_clients()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _items(provider_id: str, count: int, start: datetime) -> Iterator[dict[str, Any]]:
    """`count` orders of one provider in the store's item shape, one millisecond apart."""
    from chalicelib.adapters.dynamodb.orders import _order_item
    from chalicelib.domain.ids import new_order_id
    from tests.unit.provider_factories import make_order

    template = _order_item(make_order(provider_id, start))
    template_id = template["po_sk"]["S"]
    for i in range(count):
        order_id = new_order_id(start + timedelta(milliseconds=i))
        item = {name: {**value} for name, value in template.items()}
        for name in ("pk", "doc", "po_sk", "pu_sk"):
            item[name]["S"] = template[name]["S"].replace(template_id, order_id)
        yield item


def fill(
    table: str, provider_id: str, count: int, start: datetime, deadline: float = float("inf")
) -> int:
    """Write up to `count` orders; stops early at `deadline` (time.monotonic()). The number
    written."""
    from bench.connection import connection

    client = connection().client("dynamodb")
    batch: list[dict[str, Any]] = []
    written = 0
    for item in _items(provider_id, count, start):
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == BATCH:
            _write(client, table, batch)
            written += len(batch)
            batch = []
            if time.monotonic() > deadline:
                return written
    if batch:
        _write(client, table, batch)
        written += len(batch)
    return written


def _write(client: Any, table: str, batch: list[dict[str, Any]]) -> None:
    pending = {table: batch}
    for _ in range(10):
        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
    raise RuntimeError("BatchWriteItem left items unprocessed")


class ReadMeter:
    """ScannedCount and consumed capacity of every Query while installed."""

    def __init__(self) -> None:
        self.queries = 0
        self.scanned = 0
        self.returned = 0
        self.capacity = 0.0
        self.read_units = 0.0

    def ask_for_capacity(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def after_call(self, parsed: dict[str, Any], **_: Any) -> None:
        self.queries += 1
        self.scanned += int(parsed.get("ScannedCount", 0))
        self.returned += int(parsed.get("Count", 0))
        self.capacity += float((parsed.get("ConsumedCapacity") or {}).get("CapacityUnits", 0))
        self.read_units += read_units(parsed.get("Items", []), consistent=False)

    @contextmanager
    def installed(self, client: Any) -> Iterator[ReadMeter]:
        events = client.meta.events
        events.register("provide-client-params.dynamodb.Query", self.ask_for_capacity)
        events.register("after-call.dynamodb.Query", self.after_call)
        try:
            yield self
        finally:
            events.unregister("provide-client-params.dynamodb.Query", self.ask_for_capacity)
            events.unregister("after-call.dynamodb.Query", self.after_call)


def page_cost(table: str) -> dict[str, Any]:
    from bench.connection import connection
    from chalicelib.adapters.cursor import CursorCodec
    from chalicelib.adapters.dynamodb.client import DynamoDBTable
    from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
    from chalicelib.domain.ports import OrderFilter

    store = DynamoDBOrderStore(
        DynamoDBTable(table, connection()), CursorCodec(b"bench-listing-cursor-key-0123456789")
    )
    meter = ReadMeter()
    started = time.perf_counter()
    with meter.installed(connection().client("dynamodb")):
        page = store.list_for_provider(PROVIDER, limit=PAGE, cursor=None, filter=OrderFilter())
    if len(page.items) != PAGE or any(o.provider_id != PROVIDER for o in page.items):
        raise AssertionError("the page is not this provider's 50 newest orders")
    return {
        "queries": meter.queries,
        "scanned": meter.scanned,
        "returned": meter.returned,
        "capacity_units": meter.capacity,
        "read_units": meter.read_units,
        "moto_seconds": time.perf_counter() - started,
    }


def measure(
    small: int = 1_000, large: int = 100_000, own: int = 200, budget_s: float = 240
) -> dict[str, Any]:
    """Fill to `small` other providers' orders, read a page, fill up to `large`, read again.
    The provider's own `own` orders are written first, so theirs are not the newest items.
    Filling stops at `budget_s`; "large" is then what was reached (and "complete" false)."""
    from bench.connection import connection
    from chalicelib.adapters.dynamodb.client import DynamoDBTable
    from chalicelib.adapters.dynamodb.schema import create_table

    deadline = time.monotonic() + budget_s
    with in_process_dynamodb():
        table = "bench-listing"
        create_table(DynamoDBTable(table, connection()))
        start = datetime(2026, 1, 1, tzinfo=UTC)
        fill(table, PROVIDER, own, start)
        written = 0
        started = time.perf_counter()
        fill(table, "other-small", small, start + timedelta(days=1))
        written = small
        at_small = page_cost(table)
        for n, share in enumerate(_shares(large - small)):
            later = start + timedelta(days=2 + n)
            written += fill(table, f"other-{n}", share, later, deadline)
            if time.monotonic() > deadline:
                break
        at_large = page_cost(table)
        fill_seconds = time.perf_counter() - started
    return {
        "small": small,
        "large": written,
        "large_asked": large,
        "complete": written >= large,
        "own": own,
        "at_small": at_small,
        "at_large": at_large,
        "fill_seconds": fill_seconds,
    }


def _shares(count: int, providers: int = 10) -> list[int]:
    """Spread `count` orders over a few other providers."""
    base, extra = divmod(count, providers)
    return [base + (1 if i < extra else 0) for i in range(providers) if base or i < extra]


if __name__ == "__main__":
    import json
    import sys

    large = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(measure(large=large), indent=2))
