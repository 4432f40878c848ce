"""Webhook endpoints and deliveries in memory: the WebhookStore contract without AWS."""

from __future__ import annotations

import threading

from chalicelib.domain.errors import AlreadyExists, ConcurrentModification, NotFound
from chalicelib.domain.webhooks import Delivery, DeliveryPage, WebhookEndpoint

from ..webhooks.cursors import check_limit, decode_delivery_cursor


def _delivery_not_found(delivery_id: str) -> NotFound:
    return NotFound(f"delivery {delivery_id} not found")


class InMemoryWebhookStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._deliveries: dict[tuple[str, str], Delivery] = {}

    def get_endpoint(self, provider_id: str) -> WebhookEndpoint | None:
        with self._lock:
            return self._endpoints.get(provider_id)

    def put_endpoint(self, endpoint: WebhookEndpoint, expected_version: int | None) -> None:
        with self._lock:
            current = self._endpoints.get(endpoint.provider_id)
            if expected_version is None:
                if current is not None:
                    raise AlreadyExists("a webhook is already configured")
            elif current is None or current.version != expected_version:
                raise ConcurrentModification("the webhook was changed meanwhile; retry")
            self._endpoints[endpoint.provider_id] = endpoint

    def delete_endpoint(self, provider_id: str) -> bool:
        with self._lock:
            return self._endpoints.pop(provider_id, None) is not None

    def add_delivery(self, delivery: Delivery) -> bool:
        key = (delivery.provider_id, delivery.id)
        with self._lock:
            if key in self._deliveries:
                return False
            self._deliveries[key] = delivery
            return True

    def get_delivery(self, provider_id: str, delivery_id: str) -> Delivery:
        with self._lock:
            found = self._deliveries.get((provider_id, delivery_id))
        if found is None:
            raise _delivery_not_found(delivery_id)
        return found

    def save_delivery(self, delivery: Delivery, expected_version: int) -> None:
        if delivery.version != expected_version + 1:
            raise ValueError("the new delivery's version must be expected_version + 1")
        key = (delivery.provider_id, delivery.id)
        with self._lock:
            current = self._deliveries.get(key)
            if current is None:
                raise _delivery_not_found(delivery.id)
            if current.version != expected_version:
                raise ConcurrentModification(f"delivery {delivery.id} was changed meanwhile")
            self._deliveries[key] = delivery

    def list_deliveries(self, provider_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        check_limit(limit)
        after = decode_delivery_cursor(cursor)
        with self._lock:
            mine = [d for (p, _), d in self._deliveries.items() if p == provider_id]
        mine.sort(key=lambda d: d.id, reverse=True)
        if after is not None:
            mine = [d for d in mine if d.id < after]
        items = mine[:limit]
        more = len(mine) > limit
        return DeliveryPage(items=items, next_cursor=items[-1].id if more else None)
