"""Provider API: the provider's orders. Routes translate HTTP to domain calls and
back; authentication, validation and error mapping happen in the pipeline, the rules in
chalicelib.domain.provider_orders and chalicelib.domain.activation.provider."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.composition import adapters
from chalicelib.domain import provider_orders
from chalicelib.domain.activation import provider as provider_activation
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ports import OrderFilter

from .idempotency import IDEMPOTENCY_HEADER, fingerprint, idempotent
from .openapi import Call, HeaderParam, PathParam
from .registry import BODY_ERRORS, api, json_response
from .schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    ORDER_ID_PATTERN,
    ActivationIn,
    EventListOut,
    EventOut,
    ListOrdersQuery,
    MessageIn,
    OrderListOut,
    OrderOut,
    StatusChangeIn,
)

ORDER_ID = PathParam(
    name="order_id",
    pattern=ORDER_ID_PATTERN,
    description="The order's id, e.g. ord_01J9Z8Q4W5X6Y7Z8A9B0C1D2E3.",
    not_found="order {} not found",
)
IDEMPOTENCY_KEY = HeaderParam(
    name=IDEMPOTENCY_HEADER,
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description=(
        "Any unique string (1 to 200 printable characters). A repeat within 24 hours returns "
        "the first answer and changes nothing."
    ),
)


@api.operation(
    "GET",
    "/orders",
    summary="List orders newest first, or poll the change feed with updated_since",
    status=200,
    response=OrderListOut,
    errors=(400, 422),
    query=ListOrdersQuery,
)
def list_orders(call: Call) -> Response:
    q = call.query_as(ListOrdersQuery)
    deps = adapters()
    if q.updated_since is None:
        page = provider_orders.list_orders(
            call.provider_id,
            limit=q.limit,
            cursor=q.cursor,
            filter=OrderFilter(status=q.status, activation_state=q.activation_state),
            deps=deps,
        )
        return json_response(200, OrderListOut.from_page(page))
    if q.status is not None or q.activation_state is not None:
        raise InvalidInput(
            "updated_since cannot be combined with status or activation_state",
            details=[
                {
                    "field": "query.updated_since",
                    "loc": ["query", "updated_since"],
                    "message": "the change feed has no filters",
                    "type": "conflicting_parameters",
                }
            ],
        )
    feed = provider_orders.poll_changes(
        call.provider_id, q.updated_since, limit=q.limit, cursor=q.cursor, deps=deps
    )
    return json_response(200, OrderListOut.from_page(feed, feed.next_updated_since))


@api.operation(
    "GET",
    "/orders/{order_id}",
    summary="One order",
    status=200,
    response=OrderOut,
    errors=(404,),
    path_params=(ORDER_ID,),
)
def get_order(call: Call) -> Response:
    order = adapters().orders.get_for_provider(call.params["order_id"], call.provider_id)
    return json_response(200, OrderOut.from_domain(order))


@api.operation(
    "POST",
    "/orders/{order_id}/status",
    summary="Move the order's workflow status",
    description="An invalid transition is a 409 whose details list the allowed statuses.",
    status=200,
    response=OrderOut,
    errors=(404, 409, *BODY_ERRORS),
    body=StatusChangeIn,
    path_params=(ORDER_ID,),
)
def change_status(call: Call) -> Response:
    body = call.body_as(StatusChangeIn)
    order = provider_orders.change_status(
        call.params["order_id"], call.provider_id, body.status, body.note, adapters()
    )
    return json_response(200, OrderOut.from_domain(order))


@api.operation(
    "POST",
    "/orders/{order_id}/messages",
    summary="Add a message to the order's audit trail",
    status=201,
    response=EventOut,
    errors=(404, *BODY_ERRORS),
    body=MessageIn,
    path_params=(ORDER_ID,),
)
def add_message(call: Call) -> Response:
    body = call.body_as(MessageIn)
    event = provider_orders.add_message(
        call.params["order_id"], call.provider_id, body.type, body.text, adapters()
    )
    return json_response(201, EventOut.from_domain(event))


@api.operation(
    "GET",
    "/orders/{order_id}/events",
    summary="The order's audit trail, oldest first",
    status=200,
    response=EventListOut,
    errors=(404,),
    path_params=(ORDER_ID,),
)
def list_events(call: Call) -> Response:
    events = provider_orders.order_events(call.params["order_id"], call.provider_id, adapters())
    return json_response(200, EventListOut(items=[EventOut.from_domain(e) for e in events]))


@api.operation(
    "POST",
    "/orders/{order_id}/activation",
    summary="Request activation again after a refusal or failure",
    description=(
        "Allowed when activation is refused, failed or awaiting_provider (an order by "
        "address, once you have checked the customer) and the order is neither cancelled nor "
        "delivered. Answers 202 with activation pending; the activation queue does the rest. "
        "409 for manual (unidentified) orders and when activation is pending, scheduled or "
        "activated. 503 queue_unavailable: nothing changed, retry."
    ),
    status=202,
    response=OrderOut,
    errors=(404, 409, 503, *BODY_ERRORS),
    body=ActivationIn,
    path_params=(ORDER_ID,),
    headers=(IDEMPOTENCY_KEY,),
)
def request_activation(call: Call) -> Response:
    body = call.body_as(ActivationIn)
    order_id = call.params["order_id"]
    deps = adapters()

    def work() -> Response:
        order = provider_activation.request_activation(order_id, call.provider_id, body.date, deps)
        return json_response(202, OrderOut.from_domain(order))

    return idempotent(
        deps.tokens,
        deps.clock,
        call.provider_id,
        call.header(IDEMPOTENCY_HEADER),
        fingerprint("activation", order_id, body.model_dump_json()),
        work,
    )
