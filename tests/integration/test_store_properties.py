"""Property: an order and its events come back equal from the DynamoDB store on moto, and
the provider's listing and change feed find it; exactly as from the in-memory store."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.cursor import CursorCodec
from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
from chalicelib.adapters.memory.store import InMemoryOrderStore
from chalicelib.domain.ids import new_order_id
from chalicelib.domain.models import Order
from chalicelib.domain.ports import OrderFilter
from tests.aws import table
from tests.hypothesis_profiles import scaled
from tests.strategies import order_events, orders

CODEC = CursorCodec(b"store-properties-cursor-key-0123")


@settings(
    max_examples=scaled(15),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order=orders(), data=st.data())
def test_an_order_round_trips_through_both_stores_alike(
    table_name: str, order: Order, data: st.DataObject
) -> None:
    # One table serves every example: a fresh id and provider keep them apart
    order = order.model_copy(update={"id": new_order_id(), "provider_id": f"p{uuid4().hex}"})
    events = [
        e.model_copy(update={"order_id": order.id, "provider_id": order.provider_id})
        for e in data.draw(st.lists(order_events(order), max_size=2, unique_by=lambda e: e.id))
    ]
    stored = []
    for store in (DynamoDBOrderStore(table(table_name), CODEC), InMemoryOrderStore(CODEC)):
        store.create(order, events)
        assert store.get(order.id) == order
        assert store.get_for_provider(order.id, order.provider_id) == order
        assert sorted(store.list_events(order.id), key=lambda e: e.id) == sorted(
            events, key=lambda e: e.id
        )
        page = store.list_for_provider(
            order.provider_id, limit=5, cursor=None, filter=OrderFilter()
        )
        assert [o.id for o in page.items] == [order.id]
        feed = store.changed_since(
            order.provider_id,
            order.updated_at - timedelta(microseconds=1),
            limit=5,
            cursor=None,
        )
        stored.append([o.id for o in feed.items])
    assert stored[0] == stored[1] == [order.id]
