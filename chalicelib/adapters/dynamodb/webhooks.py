"""Webhook endpoints and deliveries in the one table.

==================  ====================================  ==============  ======================
item                pk                                    sk              other attributes
==================  ====================================  ==============  ======================
webhook endpoint    PROVIDER#<provider id>                WEBHOOK         doc, version
webhook delivery    PROVIDER#<provider id>#DELIVERIES     <delivery id>   doc, version, ttl
==================  ====================================  ==============  ======================

Delivery ids are ULID-based, so a Query with ScanIndexForward=False lists a provider's
deliveries newest first; a lookup is a GetItem in the provider's own partition, so another
provider's delivery id is simply not found. Deliveries expire through the table's TTL.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import AlreadyExists, ConcurrentModification, NotFound
from chalicelib.domain.models import OrderEvent
from chalicelib.domain.webhooks import DELIVERY_RETENTION, Delivery, DeliveryPage, WebhookEndpoint

from ..expiry import expiry_epoch
from ..webhooks.cursors import check_limit, decode_delivery_cursor
from .attributes import Item, n, s, text
from .client import DynamoDBTable
from .orders import EVENT_PREFIX
from .schema import TTL_ATTRIBUTE

ENDPOINT_SK = "WEBHOOK"
# Kept for the provider's listing; the delivery use case documents the same period.


def endpoint_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}"


def deliveries_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}#DELIVERIES"


def _delivery_item(delivery: Delivery) -> Item:
    return {
        "pk": s(deliveries_pk(delivery.provider_id)),
        "sk": s(delivery.id),
        "doc": s(delivery.model_dump_json()),
        "version": n(delivery.version),
        TTL_ATTRIBUTE: n(expiry_epoch(delivery.created_at + DELIVERY_RETENTION)),
    }


def _delivery(item: Item) -> Delivery:
    return Delivery.model_validate_json(text(item, "doc"))


class DynamoDBWebhookStore:
    def __init__(self, table: DynamoDBTable) -> None:
        self._table = table.name
        self._client = table.client

    # --- endpoint ----------------------------------------------------------------------

    def get_endpoint(self, provider_id: str) -> WebhookEndpoint | None:
        item = (
            self._client()
            .get_item(
                TableName=self._table,
                Key={"pk": s(endpoint_pk(provider_id)), "sk": s(ENDPOINT_SK)},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return None if item is None else WebhookEndpoint.model_validate_json(text(item, "doc"))

    def put_endpoint(self, endpoint: WebhookEndpoint, expected_version: int | None) -> None:
        client = self._client()
        params: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "pk": s(endpoint_pk(endpoint.provider_id)),
                "sk": s(ENDPOINT_SK),
                "doc": s(endpoint.model_dump_json()),
                "version": n(endpoint.version),
            },
        }
        if expected_version is None:
            params["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            params["ConditionExpression"] = "version = :expected"
            params["ExpressionAttributeValues"] = {":expected": n(expected_version)}
        try:
            client.put_item(**params)
        except client.exceptions.ConditionalCheckFailedException:
            if expected_version is None:
                raise AlreadyExists("a webhook is already configured") from None
            raise ConcurrentModification("the webhook was changed meanwhile; retry") from None

    def delete_endpoint(self, provider_id: str) -> bool:
        response = self._client().delete_item(
            TableName=self._table,
            Key={"pk": s(endpoint_pk(provider_id)), "sk": s(ENDPOINT_SK)},
            ReturnValues="ALL_OLD",
        )
        return bool(response.get("Attributes"))

    # --- deliveries --------------------------------------------------------------------

    def add_delivery(self, delivery: Delivery) -> bool:
        client = self._client()
        try:
            client.put_item(
                TableName=self._table,
                Item=_delivery_item(delivery),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_delivery(self, provider_id: str, delivery_id: str) -> Delivery:
        item = (
            self._client()
            .get_item(
                TableName=self._table,
                Key={"pk": s(deliveries_pk(provider_id)), "sk": s(delivery_id)},
                ConsistentRead=True,
            )
            .get("Item")
        )
        if item is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return _delivery(item)

    def save_delivery(self, delivery: Delivery, expected_version: int) -> None:
        if delivery.version != expected_version + 1:
            raise ValueError("the new delivery's version must be expected_version + 1")
        client = self._client()
        try:
            client.put_item(
                TableName=self._table,
                Item=_delivery_item(delivery),
                # Fails on an absent item too; told apart below.
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": n(expected_version)},
            )
        except client.exceptions.ConditionalCheckFailedException:
            self.get_delivery(delivery.provider_id, delivery.id)  # NotFound if it is gone
            raise ConcurrentModification(f"delivery {delivery.id} was changed meanwhile") from None

    def list_deliveries(self, provider_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
        check_limit(limit)
        after = decode_delivery_cursor(cursor)
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": s(deliveries_pk(provider_id))}
        if after is not None:
            condition += " AND sk < :after"
            values[":after"] = s(after)
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            # One beyond the page tells whether another page exists without an empty one.
            "Limit": limit + 1,
        }
        client = self._client()
        found: list[Item] = []
        while True:
            response = client.query(**params)
            found.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if len(found) > limit or not last:
                break
            params["ExclusiveStartKey"] = last
        items = [_delivery(item) for item in found[:limit]]
        more = len(found) > limit
        return DeliveryPage(items=items, next_cursor=items[-1].id if more else None)


# --- the outbox, as the table's stream shows it ----------------------------------------


def outbox_event(new_image: Item | None) -> OrderEvent | None:
    """The order event in a stream record's NEW_IMAGE if it is news for the relay (it
    announces a webhook, carries an activation intent, or gives the customer a mail); None
    for every other item (orders, tokens, deliveries ... share the table and the stream)."""
    from chalicelib.domain.notifications import mail_kind_for

    if not new_image:
        return None
    sk = new_image.get("sk", {}).get("S", "")
    doc = new_image.get("doc", {}).get("S")
    if not sk.startswith(EVENT_PREFIX) or doc is None:
        return None
    event = OrderEvent.model_validate_json(doc)
    news = event.webhook_type is not None or event.activation_intent
    return event if news or mail_kind_for(event) is not None else None
