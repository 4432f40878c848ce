"""Orders and their audit trail in the one table (key schema: schema.py)."""

from __future__ import annotations

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
from chalicelib.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidInput,
    NotFound,
)
from chalicelib.domain.ids import next_order_id, order_id_range
from chalicelib.domain.models import Order, OrderEvent
from chalicelib.domain.ports import OrderFilter, OrderPage

from .attributes import (
    MAX_TRANSACTION_ITEMS,
    Item,
    cancellation_codes,
    n,
    query_items,
    s,
    text,
)
from .client import DynamoDBTable
from .schema import INDEX_PROVIDER_ORDERS, INDEX_PROVIDER_UPDATES

ORDER_SK = "ORDER"
EVENT_PREFIX = "EVENT#"
# With a filter, DynamoDB applies Limit before filtering: read somewhat more per round trip.
_FILTERED_PAGE = 100


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def provider_pk(provider_id: str) -> str:
    return f"PROVIDER#{provider_id}"


def _order_item(order: Order) -> Item:
    return {
        "pk": s(order_pk(order.id)),
        "sk": s(ORDER_SK),
        "doc": s(order.model_dump_json()),
        "version": n(order.version),
        "provider_id": s(order.provider_id),
        "status": s(order.status.value),
        "act_state": s(order.activation.state.value),
        "po_pk": s(provider_pk(order.provider_id)),
        "po_sk": s(order.id),
        "pu_pk": s(provider_pk(order.provider_id)),
        "pu_sk": s(change_key(order.updated_at, order.id)),
    }


def _event_item(event: OrderEvent) -> Item:
    return {
        "pk": s(order_pk(event.order_id)),
        "sk": s(EVENT_PREFIX + event.id),
        "doc": s(event.model_dump_json()),
    }


def _order(item: Item) -> Order:
    return Order.model_validate_json(text(item, "doc"))


def _order_not_found(order_id: str) -> NotFound:
    return NotFound(f"order {order_id} not found")


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidInput("limit must be at least 1", details={"field": "limit"})


class DynamoDBOrderStore:
    def __init__(self, table: DynamoDBTable, cursor_codec: CursorCodec) -> None:
        self._table = table.name
        self._client = table.client
        self._codec = cursor_codec

    # --- writes ------------------------------------------------------------------------

    def _new_event_puts(self, events: list[OrderEvent]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _event_item(event),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for event in events
        ]

    def _transact(self, actions: list[dict[str, Any]]) -> list[str] | None:
        """Run the transaction; None on success, else the per-item cancellation codes."""
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise InvalidInput(f"at most {MAX_TRANSACTION_ITEMS} items in one atomic write")
        client = self._client()
        try:
            client.transact_write_items(TransactItems=actions)
        except client.exceptions.TransactionCanceledException as error:
            codes = cancellation_codes(error)
            if "TransactionConflict" in codes:
                raise ConcurrentModification(
                    "the order is being changed by someone else; reload and retry"
                ) from None
            return codes or ["Unknown"]
        return None

    def create(self, order: Order, events: list[OrderEvent]) -> None:
        put_order = {
            "Put": {
                "TableName": self._table,
                "Item": _order_item(order),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        codes = self._transact([put_order, *self._new_event_puts(events)])
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            raise AlreadyExists(f"order {order.id} already exists")
        if "ConditionalCheckFailed" in codes:
            raise AlreadyExists("an event with this id already exists")
        raise RuntimeError(f"order write cancelled: {codes}")

    def replace(self, order: Order, expected_version: int, events: list[OrderEvent]) -> None:
        if order.version != expected_version + 1:
            raise ValueError("the new order's version must be expected_version + 1")
        put_order = {
            "Put": {
                "TableName": self._table,
                "Item": _order_item(order),
                # Fails on an absent item too; told apart below.
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": n(expected_version)},
            }
        }
        codes = self._transact([put_order, *self._new_event_puts(events)])
        if codes is None:
            return
        if codes[0] == "ConditionalCheckFailed":
            self.get(order.id)  # NotFound if there is no order to replace
            raise ConcurrentModification(
                f"order {order.id} was changed by someone else; reload and retry"
            )
        if "ConditionalCheckFailed" in codes:
            raise AlreadyExists("an event with this id already exists")
        raise RuntimeError(f"order write cancelled: {codes}")

    def append_events(self, events: list[OrderEvent]) -> None:
        if not events:
            return
        codes = self._transact(self._new_event_puts(events))
        if codes is None:
            return
        if "ConditionalCheckFailed" in codes:
            raise AlreadyExists("an event with this id already exists")
        raise RuntimeError(f"event write cancelled: {codes}")

    # --- reads -------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        response = self._client().get_item(
            TableName=self._table,
            Key={"pk": s(order_pk(order_id)), "sk": s(ORDER_SK)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None:
            raise _order_not_found(order_id)
        return _order(item)

    def get_for_provider(self, order_id: str, provider_id: str) -> Order:
        order = self.get(order_id)
        if order.provider_id != provider_id:
            # Same error as an unknown id: another tenant's orders must not be probeable.
            raise _order_not_found(order_id)
        return order

    def list_events(self, order_id: str) -> list[OrderEvent]:
        items = query_items(
            self._client(),
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :events)",
                "ExpressionAttributeValues": {
                    ":pk": s(order_pk(order_id)),
                    ":events": s(EVENT_PREFIX),
                },
                "ConsistentRead": True,
            },
        )
        return [OrderEvent.model_validate_json(text(item, "doc")) for item in items]

    def list_for_provider(
        self, provider_id: str, *, limit: int, cursor: str | None, filter: OrderFilter
    ) -> OrderPage:
        _check_limit(limit)
        condition = "po_pk = :p"
        values: dict[str, Any] = {":p": s(provider_pk(provider_id))}
        filters_key = filter_key(filter)
        if cursor is not None:
            decoded = self._codec.decode(provider_id, cursor)
            after = position_after(decoded, LISTING, filters_key)
            condition += " AND po_sk < :after"
            values[":after"] = s(after)
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_PROVIDER_ORDERS,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
        }
        filters, names = [], {}
        if filter.status is not None:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = s(filter.status.value)
        if filter.activation_state is not None:
            filters.append("act_state = :act_state")
            values[":act_state"] = s(filter.activation_state.value)
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        if names:
            params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = values
        items, more = self._first(params, limit, filtered=bool(filters))
        orders = [_order(item) for item in items]
        next_cursor = (
            self._codec.encode(provider_id, listing_position(orders[-1].id, filters_key))
            if more
            else None
        )
        return OrderPage(items=orders, next_cursor=next_cursor)

    def changed_since(
        self, provider_id: str, since: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        _check_limit(limit)
        after = since_key(since)
        if cursor is not None:
            after = max(after, position_after(self._codec.decode(provider_id, cursor), CHANGES))
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_PROVIDER_UPDATES,
            "KeyConditionExpression": "pu_pk = :p AND pu_sk > :after",
            "ExpressionAttributeValues": {
                ":p": s(provider_pk(provider_id)),
                ":after": s(after),
            },
            "ScanIndexForward": True,
        }
        items, more = self._first(params, limit, filtered=False)
        next_cursor = (
            self._codec.encode(provider_id, changes_position(text(items[-1], "pu_sk")))
            if more
            else None
        )
        return OrderPage(items=[_order(item) for item in items], next_cursor=next_cursor)

    def created_between(
        self, provider_id: str, start: datetime, end: datetime, *, limit: int, cursor: str | None
    ) -> OrderPage:
        _check_limit(limit)
        low, high = order_id_range(start, end)
        if cursor is not None:
            decoded = self._codec.decode(provider_id, cursor)
            low = next_order_id(position_after(decoded, CREATED, range_key(start, end)))
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_PROVIDER_ORDERS,
            "KeyConditionExpression": "po_pk = :p AND po_sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":p": s(provider_pk(provider_id)),
                ":low": s(low),
                ":high": s(high),
            },
            "ScanIndexForward": True,
        }
        if low > high:  # a cursor at the range's very last id
            return OrderPage(items=[], next_cursor=None)
        items, more = self._first(params, limit, filtered=False)
        orders = [_order(item) for item in items]
        next_cursor = (
            self._codec.encode(provider_id, created_position(orders[-1].id, start, end))
            if more
            else None
        )
        return OrderPage(items=orders, next_cursor=next_cursor)

    def _first(
        self, params: dict[str, Any], limit: int, *, filtered: bool
    ) -> tuple[list[Item], bool]:
        """The first `limit` matching items and whether more exist.

        Reads one item beyond `limit` to know whether another page exists, so a listing never
        ends with an empty page. The next cursor is built from the last item *returned*, not
        from LastEvaluatedKey, which may lie beyond filtered-in items we did not return.
        """
        params = {**params, "Limit": max(limit + 1, _FILTERED_PAGE) if filtered else limit + 1}
        client = self._client()
        found: list[Item] = []
        while True:
            response = client.query(**params)
            found.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if len(found) > limit or not last:
                break
            params["ExclusiveStartKey"] = last
        return found[:limit], len(found) > limit
