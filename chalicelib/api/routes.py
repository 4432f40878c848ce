"""Provider API blueprint, mounted at /tl/v1. Routes translate HTTP to domain calls and
back; authentication, validation and error mapping happen in the pipeline, the rules in
chalicelib.domain.provider_orders."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.domain import provider_orders
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ports import OrderFilter
from chalicelib.wiring import services

from .errors import JSON_HEADERS
from .idempotency import IDEMPOTENCY_HEADER, fingerprint, idempotent
from .openapi import Call, HeaderParam, PathParam, RouteRegistry, build_document
from .pipeline import run_operation
from .schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    ORDER_ID_PATTERN,
    ActivationIn,
    EventListOut,
    EventOut,
    ListOrdersQuery,
    MessageIn,
    OfferListOut,
    OfferOut,
    OrderListOut,
    OrderOut,
    StatusChangeIn,
)

bp = Blueprint(__name__)
api = RouteRegistry(bp, run_operation)

BASE_PATH = "/tl/v1"
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
BODY_ERRORS = (400, 413, 415, 422)


def json_response(status: int, model: BaseModel) -> Response:
    return Response(body=model.model_dump_json(), status_code=status, headers=JSON_HEADERS)


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
    deps = services().deps
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
    order = services().deps.orders.get_for_provider(call.params["order_id"], call.provider_id)
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
        call.params["order_id"], call.provider_id, body.status, body.note, services().deps
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
        call.params["order_id"], call.provider_id, body.type, body.text, services().deps
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
    events = provider_orders.order_events(
        call.params["order_id"], call.provider_id, services().deps
    )
    return json_response(200, EventListOut(items=[EventOut.from_domain(e) for e in events]))


@api.operation(
    "POST",
    "/orders/{order_id}/activation",
    summary="Request activation again after a refusal or failure",
    description=(
        "Allowed when activation is refused or failed and the order is neither cancelled nor "
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
    svc = services()

    def work() -> Response:
        order = provider_orders.request_activation(order_id, call.provider_id, body.date, svc.deps)
        return json_response(202, OrderOut.from_domain(order))

    return idempotent(
        svc.tokens,
        svc.deps.clock,
        call.provider_id,
        call.header(IDEMPOTENCY_HEADER),
        fingerprint("activation", order_id, body.model_dump_json()),
        work,
    )


@api.operation(
    "GET",
    "/offers",
    summary="The provider's offers",
    status=200,
    response=OfferListOut,
)
def list_offers(call: Call) -> Response:
    offers = services().deps.catalog.offers_of_provider(call.provider_id)
    return json_response(200, OfferListOut(items=[OfferOut.from_domain(o) for o in offers]))


_document: str | None = None


def openapi_document() -> dict[str, Any]:
    return build_document(
        api.operations,
        title="Stadsnätsfabriken provider API",
        version="1.0.0",
        description=(
            "Orders for service providers. Authenticate with the x-api-key header. "
            "Errors are {error: {code, message, details?}}."
        ),
        server_url=BASE_PATH,
    )


@api.operation(
    "GET",
    "/openapi.json",
    summary="This document (OpenAPI 3.1)",
    status=200,
    response=None,
    secured=False,
)
def get_openapi(call: Call) -> Response:
    global _document
    if _document is None:
        _document = json.dumps(openapi_document())
    return Response(body=_document, status_code=200, headers=JSON_HEADERS)


# Registers the /webhook operations on this blueprint and registry (imported last: it uses `api`).
from . import webhooks as _webhooks  # noqa: E402, F401
