"""OrderStore.created_between, the monthly report's read, against both stores: a key range
of the provider index (Query with BETWEEN, never a Scan; the shared contract fixture makes
a Scan fail), oldest first, paged with a cursor bound to provider and range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import InvalidCursor
from chalicelib.domain.reports import Month, month_totals, rows_page
from tests.integration import test_store_contract as contract
from tests.integration.test_store_contract import Stores, make_order

stores = contract.stores  # memory and DynamoDB on moto, Scan forbidden
MARCH = Month(2025, 3)


def place(store_: Stores, provider_id: str, at: datetime) -> str:
    order = make_order(provider_id, at=at)
    store_.orders.create(order, [])
    return order.id


def test_a_month_is_its_orders_between_its_first_and_last_millisecond(stores: Stores):
    before = place(stores, "bredband-ab", MARCH.start - timedelta(milliseconds=1))
    first = place(stores, "bredband-ab", MARCH.start)
    middle = place(stores, "bredband-ab", datetime(2025, 3, 15, 12, tzinfo=UTC))
    last = place(stores, "bredband-ab", MARCH.end - timedelta(milliseconds=1))
    # 23:30 UTC on 31 March is 1 April in Stockholm
    after = place(stores, "bredband-ab", datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    place(stores, "other-provider", datetime(2025, 3, 15, 12, tzinfo=UTC))

    page = stores.orders.created_between(
        "bredband-ab", MARCH.start, MARCH.end, limit=50, cursor=None
    )

    assert [o.id for o in page.items] == [first, middle, last]
    assert page.next_cursor is None
    assert before not in [o.id for o in page.items] and after not in [o.id for o in page.items]


def test_pages_cover_the_month_once_and_the_cursor_is_bound(stores: Stores):
    start = datetime(2025, 3, 2, 8, tzinfo=UTC)
    ids = [place(stores, "bredband-ab", start + timedelta(seconds=i)) for i in range(5)]
    place(stores, "other-provider", start)

    seen, cursor = [], None
    while True:
        page = rows_page(stores.orders, "bredband-ab", MARCH, limit=2, cursor=cursor)
        seen += [r.order_id for r in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        rows_page(stores.orders, "other-provider", MARCH, limit=2, cursor=cursor)
    with pytest.raises(InvalidCursor):
        rows_page(stores.orders, "bredband-ab", Month(2025, 4), limit=2, cursor=cursor)
    totals = month_totals(stores.orders, "bredband-ab", MARCH)
    assert (totals.orders, totals.complete) == (5, True)


def test_dynamodb_reads_the_month_with_one_key_range_query(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
):
    from chalicelib.adapters.cursor import CursorCodec
    from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
    from tests.aws import table

    the_table = table(request.getfixturevalue("table_name"))
    store = DynamoDBOrderStore(the_table, CursorCodec(b"report-test-cursor-key-0123456789"))
    order = make_order("bredband-ab", at=datetime(2025, 3, 9, 10, tzinfo=UTC))
    store.create(order, [])
    client = the_table.client()
    calls: list[dict[str, Any]] = []
    real_query = client.query

    def spy(**params: Any) -> Any:
        calls.append(params)
        return real_query(**params)

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Scan issued against DynamoDB")

    monkeypatch.setattr(client, "query", spy)
    monkeypatch.setattr(client, "scan", no_scan)

    page = store.created_between("bredband-ab", MARCH.start, MARCH.end, limit=10, cursor=None)

    assert [o.id for o in page.items] == [order.id]
    [query] = calls
    assert query["IndexName"] == "provider_orders"
    assert query["KeyConditionExpression"] == "po_pk = :p AND po_sk BETWEEN :low AND :high"
    assert query["ExpressionAttributeValues"][":p"] == {"S": "PROVIDER#bredband-ab"}
    assert "FilterExpression" not in query
