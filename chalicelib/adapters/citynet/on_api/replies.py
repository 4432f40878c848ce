"""ON-API 2.6 replies -> typed results: pure functions of (HTTP status, body, headers),
for services/{accessId} and orders. values.py has the verdict on a status (refused vs
transient vs ok) and the tolerant value readers; feeds.py the orderevents and accesses.

Nothing here raises for what a reply holds; a wrong type in an optional field reads as
unknown (None), a row that cannot be read is left out and counted in `skipped`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ....domain.citynet import DeliverableResult
from .models import (
    ORDER_STATES,
    CancelResult,
    Characteristic,
    OnApiOrder,
    OnApiService,
    OrderResult,
    ServicesResult,
)
from .values import (
    MAX_TEXT,
    Verdict,
    an_id,
    boolean,
    judge,
    last_segment,
    moment,
    text,
    unexpected,
)

# --- services/{accessId} ------------------------------------------------------------------


def parse_services(
    status: int, body: bytes, headers: Mapping[str, str], *, access_id: str
) -> ServicesResult:
    verdict = judge(status, body, headers)
    base: dict[str, Any] = {"method": "services", "duration_ms": 0, **verdict.fields()}
    base["retry_after_s"] = verdict.retry_after_s
    if verdict.outcome != "ok":
        return ServicesResult(**base)
    data = verdict.data
    if isinstance(data, list):  # the "all services" shape, for one access
        data = next((e for e in data if isinstance(e, dict) and e.get("accessId") == access_id), {})
    rows = data.get("services") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return ServicesResult(**{**base, **unexpected("reply has no list of services")})
    services = [service for row in rows if (service := _service(row)) is not None]
    return ServicesResult(
        **base,
        access_id=an_id(data.get("accessId")) or access_id,
        services=tuple(services),
        skipped=len(rows) - len(services),
    )


def _service(row: object) -> OnApiService | None:
    if not isinstance(row, dict) or not (name := text(row.get("service"))):
        return None
    raw_characteristics = row.get("characteristics")
    if not isinstance(raw_characteristics, dict):
        raw_characteristics = {}
    characteristics = {
        str(key): _characteristic(value) for key, value in raw_characteristics.items()
    }
    comments = row.get("comments")
    return OnApiService(
        service=name,
        connection_at=moment(row.get("connectionDateTime")),
        available_at=moment(row.get("availableDateTime")),
        disconnection_at=moment(row.get("disconnectionDateTime")),
        forced_takeover_possible=boolean(row.get("forcedTakeoverPossible")) is True,
        comments=tuple(
            said for c in (comments if isinstance(comments, list) else []) if (said := text(c))
        ),
        characteristics=characteristics,
    )


def _characteristic(value: object) -> Characteristic:
    if not isinstance(value, dict):
        return Characteristic()
    # services.md documents "validValues"; its examples send "values": either is read.
    values = value.get("validValues", value.get("values"))
    usable = None
    if isinstance(values, list):
        usable = tuple(v for v in values if isinstance(v, str | bool | int | float))
    return Characteristic(required=boolean(value.get("required")) is True, values=usable)


def deliverability(result: ServicesResult, service: str, now: datetime) -> DeliverableResult:
    """Whether `service` can be ordered on the access now, from its `services` row.

    Codes of a refusal: `not_offered`, `disconnected`, `not_connected` (technically not
    yet deliverable), `not_available` (the city network does not know when),
    `not_available_yet` (orderable from `extra["available_at"]`) and
    `forced_takeover_required` (another provider has it; ordering needs the customer's
    consent to a forced takeover)."""
    common: dict[str, Any] = {"method": result.method, "duration_ms": result.duration_ms}
    if result.outcome != "ok":
        extra = {"retry_after_s": str(result.retry_after_s)} if result.retry_after_s else {}
        return DeliverableResult(
            **common, outcome=result.outcome, code=result.code, message=result.message, extra=extra
        )
    row = result.service(service)
    if row is None:
        reason = "the city network does not offer this service on this access"
        return DeliverableResult(**common, outcome="refused", code="not_offered", message=reason)
    extra = {"forced_takeover_possible": "true" if row.forced_takeover_possible else "false"}
    for key, when in (("available_at", row.available_at), ("connection_at", row.connection_at)):
        if when is not None:
            extra[key] = when.isoformat()
    if required := row.required_characteristics():
        extra["required_characteristics"] = ",".join(required)
    # The comments are the city network's words for the customer.
    comments = " ".join(row.comments)[:MAX_TEXT] or None
    if comments:
        extra["comments"] = comments

    def refused(code: str, reason: str) -> DeliverableResult:
        return DeliverableResult(
            **common, outcome="refused", code=code, message=reason, extra=extra
        )

    if row.disconnection_at is not None and row.disconnection_at <= now:
        return refused("disconnected", "the service is no longer available on this access")
    if row.connection_at is not None and row.connection_at > now:
        return refused("not_connected", "the access cannot have this service yet")
    if row.available_at is None or row.available_at > now:
        if row.forced_takeover_possible:
            return refused("forced_takeover_required", "another provider has this service")
        if row.available_at is None:
            return refused("not_available", "the service cannot be ordered now")
        return refused("not_available_yet", "the service can be ordered from a later date")
    return DeliverableResult(**common, outcome="ok", code="200", message=comments, extra=extra)


# --- orders --------------------------------------------------------------------------------


def parse_order(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str,
    placing: bool,
    order_id: str | None = None,
) -> OrderResult:
    """POST orders (`placing`) or GET orders/{order_id}."""
    verdict = judge(status, body, headers)
    base: dict[str, Any] = {"method": method, "duration_ms": 0, **verdict.fields()}
    base["retry_after_s"] = verdict.retry_after_s
    if verdict.outcome != "ok":
        return OrderResult(**base)
    order = parse_order_object(verdict.data, location=headers.get("location"))
    if order is None:
        return OrderResult(**{**base, **unexpected("reply is not an order with a state")})
    if order.order_id is None and order_id is not None:
        order = order.model_copy(update={"order_id": order_id})
    if not placing:
        return OrderResult(**base, order=order)
    repeated = status == 200
    if order.state == "DONE_FAILED":
        message = order.message or "the city network failed the order without a reason"
        return OrderResult(
            **{**base, "outcome": "refused", "code": "done_failed", "message": message},
            order=order,
            repeated=repeated,
        )
    if order.order_id is None and order.state != "DONE_SUCCESS":
        message = "the order was taken but the reply names no order id"
        return OrderResult(
            **{**base, "outcome": "transient", "code": "no_order_id", "message": message},
            order=order,
            repeated=repeated,
        )
    return OrderResult(**base, order=order, repeated=repeated)


def parse_order_object(data: object, *, location: str | None = None) -> OnApiOrder | None:
    """An order object (orders.md, or the fields orderevents.md copies); None if it has no
    readable state. Wrong types in the other fields read as unknown."""
    if not isinstance(data, dict):
        return None
    state = data.get("state")
    state = state.strip().upper() if isinstance(state, str) else None
    if state not in ORDER_STATES:
        return None
    path = text(data.get("path"))
    order_id = an_id(data.get("orderId")) or last_segment(path) or last_segment(location)
    return OnApiOrder(
        order_id=order_id,
        path=path,
        operation=(text(data.get("operation")) or "").upper() or None,
        state=state,
        message=text(data.get("message")),
        access_id=an_id(data.get("accessId")),
        service=text(data.get("service")),
        subscription_id=an_id(data.get("subscriptionId")),
        sp_reference=an_id(data.get("spReference")),
        requested_at=moment(data.get("requestedDateTime")),
        expected_completion_at=moment(data.get("expectedCompletionDate")),
        forced_takeover=boolean(data.get("forcedTakeover")),
    )


def parse_cancel(status: int, body: bytes, headers: Mapping[str, str]) -> CancelResult:
    verdict = judge(status, body, headers)
    if verdict.outcome == "ok" and status == 304:
        verdict = Verdict("transient", "http_304", "unexpected HTTP 304")
    return CancelResult(
        method="order_cancel",
        duration_ms=0,
        retry_after_s=verdict.retry_after_s,
        **verdict.fields(),
    )
