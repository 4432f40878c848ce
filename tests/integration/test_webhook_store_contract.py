"""One contract, two webhook stores: every test runs in memory and on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidCursor,
    NotFound,
)
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.webhooks import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    WebhookStore,
    delivery_id_for,
    new_endpoint,
    rotate_secret,
    webhook_id_for,
)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
A, B = "prov-a", "prov-b"


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[WebhookStore]:
    if request.param == "memory":
        from chalicelib.adapters.memory.webhooks import InMemoryWebhookStore

        yield InMemoryWebhookStore()
    else:
        from chalicelib.adapters.dynamodb.webhooks import DynamoDBWebhookStore
        from tests.aws import table

        yield DynamoDBWebhookStore(table(request.getfixturevalue("table_name")))


def delivery(provider: str = A, at: datetime = T0) -> Delivery:
    event_id = new_event_id(at)
    return Delivery(
        id=delivery_id_for(event_id),
        provider_id=provider,
        event_id=event_id,
        event_type="order.created",
        webhook_id=webhook_id_for(event_id),
        order_id="ord_01JNKZ5Q4W5X6Y7Z8A9B0C1D2E",
        body='{"type":"order.created"}',
        created_at=at,
    )


def test_an_endpoint_round_trips_with_its_secrets(store: WebhookStore) -> None:
    assert store.get_endpoint(A) is None
    endpoint = new_endpoint(A, "whep_1", "https://h.example.com/", (), "whsec_one", T0)
    store.put_endpoint(endpoint, expected_version=None)
    assert store.get_endpoint(A) == endpoint
    assert store.get_endpoint(B) is None
    rotated = rotate_secret(endpoint, "whsec_two", T0 + timedelta(hours=1))
    store.put_endpoint(rotated, expected_version=endpoint.version)
    assert store.get_endpoint(A) == rotated


def test_endpoint_writes_are_conditional(store: WebhookStore) -> None:
    endpoint = new_endpoint(A, "whep_1", "https://h.example.com/", (), "whsec_one", T0)
    store.put_endpoint(endpoint, expected_version=None)
    with pytest.raises(AlreadyExists):
        store.put_endpoint(endpoint, expected_version=None)
    store.put_endpoint(endpoint.next_version(), expected_version=1)
    with pytest.raises(ConcurrentModification):
        store.put_endpoint(endpoint.next_version(), expected_version=1)


def test_deleting_an_endpoint_says_whether_there_was_one(store: WebhookStore) -> None:
    endpoint = new_endpoint(A, "whep_1", "https://h.example.com/", (), "whsec_one", T0)
    store.put_endpoint(endpoint, expected_version=None)
    assert store.delete_endpoint(A) is True
    assert store.delete_endpoint(A) is False
    assert store.get_endpoint(A) is None


def test_a_delivery_is_added_once(store: WebhookStore) -> None:
    first = delivery()
    assert store.add_delivery(first) is True
    assert store.add_delivery(first.model_copy(update={"body": "{}"})) is False
    assert store.get_delivery(A, first.id) == first


def test_another_providers_delivery_is_not_found(store: WebhookStore) -> None:
    theirs = delivery(B)
    store.add_delivery(theirs)
    with pytest.raises(NotFound):
        store.get_delivery(A, theirs.id)


def test_saving_a_delivery_is_conditional_on_its_version(store: WebhookStore) -> None:
    first = delivery()
    store.add_delivery(first)
    attempt = DeliveryAttempt(number=1, at=T0, ok=False, status_code=503, latency_ms=7)
    tried = first.next_version(attempts=(attempt,), next_attempt_at=T0 + timedelta(seconds=5))
    store.save_delivery(tried, expected_version=1)
    assert store.get_delivery(A, first.id) == tried
    with pytest.raises(ConcurrentModification):
        store.save_delivery(first.next_version(state=DeliveryState.FAILED), expected_version=1)
    with pytest.raises(NotFound):
        store.save_delivery(delivery().next_version(), expected_version=1)


def test_deliveries_are_listed_newest_first_in_pages_per_provider(store: WebhookStore) -> None:
    made = [delivery(at=T0 + timedelta(seconds=i)) for i in range(7)]
    for d in made:
        store.add_delivery(d)
    store.add_delivery(delivery(B, T0 + timedelta(hours=1)))
    newest_first = [d.id for d in reversed(made)]
    seen: list[str] = []
    cursor = None
    while True:
        page = store.list_deliveries(A, limit=3, cursor=cursor)
        seen.extend(d.id for d in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == newest_first
    exact = store.list_deliveries(A, limit=7, cursor=None)
    assert exact.next_cursor is None and len(exact.items) == 7


def test_a_malformed_cursor_is_refused(store: WebhookStore) -> None:
    with pytest.raises(InvalidCursor):
        store.list_deliveries(A, limit=3, cursor="PROVIDER#prov-b")
