"""In-memory stores: the same contract as the DynamoDB ones, for unit tests and the fast path.

Every method takes one lock, so a store can be shared between threads (the local stack runs
the app and the workers side by side). Models are frozen pydantic objects, so handing out the
stored instances is safe.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from chalicelib.adapters.cursor import (
    CHANGES,
    CREATED,
    LISTING,
    CursorCodec,
    change_key,
    changes_position,
    created_position,
    filter_key,
    listing_position,
    position_after,
    range_key,
    since_key,
)
from chalicelib.adapters.expiry import expiry_epoch, is_expired
from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidInput,
    NotFound,
)
from chalicelib.domain.ids import next_order_id, order_id_range
from chalicelib.domain.models import (
    Order,
    OrderEvent,
)
from chalicelib.domain.ports import ApiKeyRecord, OrderFilter, OrderPage


def _order_not_found(order_id: str) -> NotFound:
    return NotFound(f"order {order_id} not found")


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidInput("limit must be at least 1", details={"field": "limit"})


class InMemoryOrderStore:
    def __init__(self, cursor_codec: CursorCodec) -> None:
        self._codec = cursor_codec
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}
        self._events: dict[str, dict[str, OrderEvent]] = {}

    def _add_events(self, events: list[OrderEvent]) -> None:
        for event in events:
            if event.id in self._events.get(event.order_id, {}):
                raise AlreadyExists(f"event {event.id} already exists")
        for event in events:
            self._events.setdefault(event.order_id, {})[event.id] = event

    def create(self, order: Order, events: list[OrderEvent]) -> None:
        with self._lock:
            if order.id in self._orders:
                raise AlreadyExists(f"order {order.id} already exists")
            self._add_events(events)
            self._orders[order.id] = order

    def get(self, order_id: str) -> Order:
        with self._lock:
            order = self._orders.get(order_id)
        if order is None:
            raise _order_not_found(order_id)
        return order

    def get_for_provider(self, order_id: str, provider_id: str) -> Order:
        with self._lock:
            order = self._orders.get(order_id)
        if order is None or order.provider_id != provider_id:
            raise _order_not_found(order_id)
        return order

    def replace(self, order: Order, expected_version: int, events: list[OrderEvent]) -> None:
        if order.version != expected_version + 1:
            raise ValueError("the new order's version must be expected_version + 1")
        with self._lock:
            current = self._orders.get(order.id)
            if current is None:
                raise _order_not_found(order.id)
            if current.version != expected_version:
                raise ConcurrentModification(
                    f"order {order.id} was changed by someone else; reload and retry"
                )
            self._add_events(events)
            self._orders[order.id] = order

    def append_events(self, events: list[OrderEvent]) -> None:
        with self._lock:
            self._add_events(events)

    def list_events(self, order_id: str) -> list[OrderEvent]:
        with self._lock:
            events = list(self._events.get(order_id, {}).values())
        return sorted(events, key=lambda e: e.id)

    def list_for_provider(
        self, provider_id: str, *, limit: int, cursor: str | None, filter: OrderFilter
    ) -> OrderPage:
        _check_limit(limit)
        after = None
        filters_key = filter_key(filter)
        if cursor is not None:
            after = position_after(self._codec.decode(provider_id, cursor), LISTING, filters_key)
        with self._lock:
            mine = [o for o in self._orders.values() if o.provider_id == provider_id]
        mine.sort(key=lambda o: o.id, reverse=True)
        matching = [
            o
            for o in mine
            if (after is None or o.id < after)
            and (filter.status is None or o.status == filter.status)
            and (filter.activation_state is None or o.activation.state == filter.activation_state)
        ]
        return self._page(
            provider_id, matching, limit, lambda o: listing_position(o.id, filters_key)
        )

    def changed_since(
        self, provider_id: str, since: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        _check_limit(limit)
        after = since_key(since)
        if cursor is not None:
            after = max(after, position_after(self._codec.decode(provider_id, cursor), CHANGES))
        with self._lock:
            keyed = [
                (change_key(o.updated_at, o.id), o)
                for o in self._orders.values()
                if o.provider_id == provider_id
            ]
        keyed = sorted((k, o) for k, o in keyed if k > after)
        by_id = {o.id: k for k, o in keyed}
        return self._page(
            provider_id, [o for _, o in keyed], limit, lambda o: changes_position(by_id[o.id])
        )

    def created_between(
        self, provider_id: str, start: datetime, end: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        _check_limit(limit)
        low, high = order_id_range(start, end)
        if cursor is not None:
            decoded = self._codec.decode(provider_id, cursor)
            low = next_order_id(position_after(decoded, CREATED, range_key(start, end)))
        with self._lock:
            mine = [
                o
                for o in self._orders.values()
                if o.provider_id == provider_id and low <= o.id <= high
            ]
        mine.sort(key=lambda o: o.id)
        return self._page(provider_id, mine, limit, lambda o: created_position(o.id, start, end))

    def _page(
        self,
        provider_id: str,
        ordered: list[Order],
        limit: int,
        position: Any,
    ) -> OrderPage:
        items = ordered[:limit]
        next_cursor = None
        if len(ordered) > limit:
            next_cursor = self._codec.encode(provider_id, position(items[-1]))
        return OrderPage(items=items, next_cursor=next_cursor)


class InMemoryApiKeyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_hash: dict[str, ApiKeyRecord] = {}

    def add_key(self, record: ApiKeyRecord) -> None:
        with self._lock:
            taken = record.key_hash in self._by_hash or any(
                r.provider_id == record.provider_id and r.key_id == record.key_id
                for r in self._by_hash.values()
            )
            if taken:
                raise AlreadyExists(f"API key {record.key_id} already exists")
            self._by_hash[record.key_hash] = record

    def find_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        with self._lock:
            return self._by_hash.get(key_hash)

    def keys_of_provider(self, provider_id: str) -> list[ApiKeyRecord]:
        with self._lock:
            found = [r for r in self._by_hash.values() if r.provider_id == provider_id]
        return sorted(found, key=lambda r: r.key_id)

    def revoke(self, provider_id: str, key_id: str, at: datetime) -> None:
        with self._lock:
            for key_hash, record in self._by_hash.items():
                if record.provider_id == provider_id and record.key_id == key_id:
                    # The first revocation time is the one that counts.
                    if record.revoked_at is None:
                        self._by_hash[key_hash] = record.model_copy(update={"revoked_at": at})
                    return
        raise NotFound(f"API key {key_id} not found")


def _copy(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON round trip: callers can't mutate what is stored, and values must be JSON,
    exactly as in DynamoDB."""
    return None if value is None else dict(json.loads(json.dumps(value)))


class InMemoryOneTimeTokens:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        # key -> (expiry epoch seconds, value)
        self._tokens: dict[str, tuple[int, dict[str, Any] | None]] = {}

    def _live(self, key: str) -> tuple[int, dict[str, Any] | None] | None:
        entry = self._tokens.get(key)
        if entry is None or is_expired(entry[0], self._clock.now()):
            return None
        return entry

    def claim(self, key: str, expires_at: datetime, value: dict[str, Any] | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._tokens[key] = (expiry_epoch(expires_at), _copy(value))
            return True

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._live(key)
        return None if entry is None else _copy(entry[1])

    def put_value(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                raise NotFound("token not claimed or expired")
            self._tokens[key] = (entry[0], _copy(value))

    def keep(self, key: str, value: dict[str, Any], expires_at: datetime) -> None:
        with self._lock:
            if self._live(key) is None:
                raise NotFound("token not claimed or expired")
            self._tokens[key] = (expiry_epoch(expires_at), _copy(value))

    def release(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)


__all__ = [
    "InMemoryApiKeyStore",
    "InMemoryOneTimeTokens",
    "InMemoryOrderStore",
]


class InMemoryFeedCursors:
    def __init__(self) -> None:
        self._cursors: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, city_network_id: str) -> str | None:
        with self._lock:
            return self._cursors.get(city_network_id)

    def put(self, city_network_id: str, cursor: str) -> None:
        with self._lock:
            self._cursors[city_network_id] = cursor
