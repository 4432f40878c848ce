"""Provider API: the provider's webhook endpoint and its deliveries (/tl/v1/webhook...).

Declared on the provider API's route registry, so these operations share its pipeline
(API key, validation, JSON errors) and appear in its OpenAPI document. Routes translate;
the rules live in chalicelib.domain.webhook_delivery.
"""

from __future__ import annotations

import datetime as dt

from chalice.app import Response
from pydantic import ConfigDict, Field

from chalicelib.composition import adapters
from chalicelib.domain import webhook_delivery
from chalicelib.domain.webhooks import (
    DELIVERY_ID_PATTERN,
    ORDER_EVENT_TYPES,
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    DeliveryState,
    WebhookEndpoint,
)

from .openapi import Call, PathParam
from .registry import BODY_ERRORS, api, json_response
from .schemas import In, Out

DELIVERY_ID = PathParam(
    name="delivery_id",
    pattern=DELIVERY_ID_PATTERN,
    description="The delivery's id, e.g. dlv_01J9Z8Q4W5X6Y7Z8A9B0C1D2E3.",
    not_found="delivery {} not found",
)


# --- requests --------------------------------------------------------------------------


class WebhookIn(In):
    url: str = Field(
        min_length=1,
        max_length=2048,
        description=(
            "https URL on the public internet; no credentials, no fragment. Every address "
            "the host resolves to must be public."
        ),
    )
    event_types: list[str] | None = Field(
        default=None,
        max_length=len(ORDER_EVENT_TYPES),
        description=f"Any of {list(ORDER_EVENT_TYPES)}; omitted or empty: all of them.",
    )


class DeliveriesQuery(In):
    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(default=50, ge=1, le=100, description="Page size, 1 to 100.")
    cursor: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="`next_cursor` of the previous page.",
    )


# --- responses -------------------------------------------------------------------------


class SecretInfoOut(Out):
    created_at: dt.datetime
    expires_at: dt.datetime | None = Field(
        description="null for the current secret; the end of a rotated secret's grace period."
    )


class WebhookOut(Out):
    url: str
    event_types: list[str] = Field(description="The event types delivered.")
    disabled: bool = Field(description="True after the endpoint answered 410 Gone.")
    disabled_reason: str | None
    secrets: list[SecretInfoOut] = Field(
        description="The secrets signing deliveries now, newest first (never their values)."
    )
    secret: str | None = Field(
        default=None,
        description=(
            "The whsec_ signing secret: only in the answer that created it. Store it; it "
            "is never shown again (rotate-secret issues a new one)."
        ),
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_domain(
        cls, endpoint: WebhookEndpoint, now: dt.datetime, secret: str | None = None
    ) -> WebhookOut:
        live = sorted(
            (s for s in endpoint.secrets if s.signs_at(now)),
            key=lambda s: s.created_at,
            reverse=True,
        )
        return cls(
            url=endpoint.url,
            event_types=list(endpoint.event_types or ORDER_EVENT_TYPES),
            disabled=endpoint.disabled,
            disabled_reason=endpoint.disabled_reason,
            secrets=[SecretInfoOut(created_at=s.created_at, expires_at=s.expires_at) for s in live],
            secret=secret,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class AttemptOut(Out):
    number: int
    at: dt.datetime
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None = Field(
        description='e.g. "http_503", "timeout", "redirect", "connection_refused".'
    )

    @classmethod
    def from_domain(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            at=attempt.at,
            ok=attempt.ok,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
        )


class DeliveryOut(Out):
    id: str
    event_id: str
    event_type: str
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    order_id: str | None
    state: DeliveryState
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    final_error: str | None
    attempts: list[AttemptOut] = Field(description="Oldest first.")

    @classmethod
    def from_domain(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            webhook_id=delivery.webhook_id,
            order_id=delivery.order_id,
            state=delivery.state,
            created_at=delivery.created_at,
            next_attempt_at=delivery.next_attempt_at,
            final_error=delivery.final_error,
            attempts=[AttemptOut.from_domain(a) for a in delivery.attempts],
        )


class DeliveryListOut(Out):
    items: list[DeliveryOut] = Field(description="Newest first.")
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: DeliveryPage) -> DeliveryListOut:
        return cls(
            items=[DeliveryOut.from_domain(d) for d in page.items], next_cursor=page.next_cursor
        )


# --- operations ------------------------------------------------------------------------


@api.operation(
    "PUT",
    "/webhook",
    summary="Create or change the webhook endpoint",
    description=(
        "Creating answers with the whsec_ signing secret, once. Changing the URL or event "
        "types keeps the secrets and enables a disabled endpoint again. 422 names the "
        "rule a refused URL breaks."
    ),
    status=200,
    response=WebhookOut,
    errors=(409, *BODY_ERRORS),
    body=WebhookIn,
)
def put_webhook(call: Call) -> Response:
    body = call.body_as(WebhookIn)
    deps = adapters()
    endpoint, secret = webhook_delivery.configure_endpoint(
        call.provider_id, body.url, body.event_types, deps
    )
    return json_response(200, WebhookOut.from_domain(endpoint, deps.clock.now(), secret))


@api.operation(
    "GET",
    "/webhook",
    summary="The webhook endpoint (without its secret)",
    status=200,
    response=WebhookOut,
    errors=(404,),
)
def get_webhook(call: Call) -> Response:
    deps = adapters()
    endpoint = webhook_delivery.get_endpoint(call.provider_id, deps)
    return json_response(200, WebhookOut.from_domain(endpoint, deps.clock.now()))


@api.operation(
    "DELETE",
    "/webhook",
    summary="Remove the webhook endpoint; nothing more is delivered",
    status=200,
    response=WebhookOut,
    errors=(404,),
)
def delete_webhook(call: Call) -> Response:
    deps = adapters()
    endpoint = webhook_delivery.delete_endpoint(call.provider_id, deps)
    return json_response(200, WebhookOut.from_domain(endpoint, deps.clock.now()))


@api.operation(
    "POST",
    "/webhook/rotate-secret",
    summary="Issue a new signing secret; the old ones keep signing for 24 hours",
    description=(
        "During the grace period every delivery carries one signature per secret, so "
        "receivers holding either secret verify it."
    ),
    status=200,
    response=WebhookOut,
    errors=(404, 409),
)
def rotate_webhook_secret(call: Call) -> Response:
    deps = adapters()
    endpoint, secret = webhook_delivery.rotate_endpoint_secret(call.provider_id, deps)
    return json_response(200, WebhookOut.from_domain(endpoint, deps.clock.now(), secret))


@api.operation(
    "POST",
    "/webhook/test",
    summary="Send a webhook.test event through the delivery queue",
    status=202,
    response=DeliveryOut,
    errors=(404,),
)
def test_webhook(call: Call) -> Response:
    delivery = webhook_delivery.send_test_event(call.provider_id, adapters())
    return json_response(202, DeliveryOut.from_domain(delivery))


@api.operation(
    "GET",
    "/webhook/deliveries",
    summary="Webhook deliveries and their attempts, newest first",
    status=200,
    response=DeliveryListOut,
    errors=(400, 422),
    query=DeliveriesQuery,
)
def list_webhook_deliveries(call: Call) -> Response:
    q = call.query_as(DeliveriesQuery)
    page = webhook_delivery.list_deliveries(
        call.provider_id, limit=q.limit, cursor=q.cursor, deps=adapters()
    )
    return json_response(200, DeliveryListOut.from_page(page))


@api.operation(
    "POST",
    "/webhook/deliveries/{delivery_id}/redeliver",
    summary="Send a delivery again (same body and webhook-id, a new attempt)",
    description="409 when the endpoint is disabled: configure it again first.",
    status=202,
    response=DeliveryOut,
    errors=(404, 409),
    path_params=(DELIVERY_ID,),
)
def redeliver_webhook(call: Call) -> Response:
    delivery = webhook_delivery.redeliver(call.provider_id, call.params["delivery_id"], adapters())
    return json_response(202, DeliveryOut.from_domain(delivery))
