"""The ON-API 2.6 endpoints the emulator serves, as functions of the network and the
request, in the shapes of the spec's examples (tests/fixtures/on_api/README.md) and with
the replies of common/responses.md for orders: 201 for a new order, 200 with the open
order for a repeated one, 200 without a path when the service is already active (or
inactive on DEACTIVATE), 409 for a conflict, 400 for a bad order, 404 for an unknown id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal

from .config import ID
from .network import Network, Order

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    payload: Any = None  # JSON; None = no body
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False, indent=2).encode()


def refuse(status: int, cause: str) -> Reply:
    return Reply(status, {"cause": cause})


# --- services ------------------------------------------------------------------------------


def services(network: Network, access_id: str | None) -> Reply:
    config = network.config
    if access_id is None:
        return Reply(200, [_services_of(network, a) for a in config.accesses])
    if access_id not in config.accesses:
        return refuse(404, f"Unknown accessId: '{access_id}'")
    return Reply(200, _services_of(network, access_id))


def _services_of(network: Network, access_id: str) -> dict[str, Any]:
    return {"accessId": access_id, "services": network.service_rows(access_id)}


# --- orders --------------------------------------------------------------------------------


def place(network: Network, body: bytes) -> Reply:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return refuse(400, "Incorrect JSON")
    if not isinstance(data, dict):
        return refuse(400, "Incorrect JSON: an order is an object")
    requested_at = _moment(data.get("requestedDateTime"))
    if requested_at is False:
        return refuse(400, "Wrong content in field 'requestedDateTime'")
    operation = data.get("operation")
    if operation == "ACTIVATE":
        return _activate(network, data, requested_at)
    if operation == "DEACTIVATE":
        return _deactivate(network, data, requested_at)
    if operation in ("SUSPEND", "RESUME", "MODIFY", "CHANGE"):
        return refuse(400, f"Operation '{operation}' is not supported by this network")
    return refuse(400, "Missing or unknown field 'operation'")


def _activate(network: Network, data: dict[str, Any], requested_at: datetime | None) -> Reply:
    config = network.config
    access_id, service = data.get("accessId"), data.get("service")
    if not isinstance(access_id, str) or access_id not in config.accesses:
        return refuse(400, f"Unknown accessId: '{access_id}'")
    if not isinstance(service, str) or service not in config.offered(access_id):
        return refuse(400, f"Unknown service: '{service}'")
    sp_reference = data.get("spReference")
    if sp_reference is not None and not (
        isinstance(sp_reference, str) and re.match(ID, sp_reference)
    ):
        return refuse(400, "Wrong content in field 'spReference'")
    forced = data.get("forcedTakeover", False)
    if not isinstance(forced, bool):
        return refuse(400, "Wrong content in field 'forcedTakeover'")

    existing = network.open_activation(access_id, service)
    if existing is not None:
        return Reply(200, existing.view())
    active = network.active(access_id)
    if service in active:
        return Reply(200, _already(access_id, service, "ACTIVATE"))
    service_type = config.type_of(service)
    if any(config.type_of(other) == service_type for other in active):
        return refuse(409, f"Another Service of ServiceType '{service_type}' is already active.")
    held = network.held[access_id].get(service_type)
    if held is not None and not (forced and held.forced_takeover_possible):
        return refuse(409, "ServiceType is already claimed by other Service Provider.")
    if forced and held is None:
        return refuse(400, "forcedTakeover is not possible for this service")
    order = network.place_activation(
        access_id,
        service,
        sp_reference=sp_reference,
        requested_at=requested_at,
        forced_takeover=forced,
    )
    return _created(order)


def _deactivate(network: Network, data: dict[str, Any], requested_at: datetime | None) -> Reply:
    subscription_id = data.get("subscriptionId")
    if not isinstance(subscription_id, str):
        return refuse(400, "Missing field 'subscriptionId'")
    existing = network.open_deactivation(subscription_id)
    if existing is not None:
        return Reply(200, existing.view())
    subscription = network.subscriptions.get(subscription_id)
    if subscription is None:
        ended = network.ended.get(subscription_id)
        if ended is None:
            return refuse(400, f"Unknown subscriptionId: '{subscription_id}'")
        return Reply(200, _already(ended.access_id, ended.service, "DEACTIVATE"))
    return _created(network.place_deactivation(subscription, requested_at))


def _created(order: Order) -> Reply:
    return Reply(201, order.view(), {"Location": order.path})


def _already(access_id: str, service: str, operation: str) -> dict[str, Any]:
    """responses.md: already active (inactive), 200 and no path."""
    return {
        "accessId": access_id,
        "service": service,
        "operation": operation,
        "state": "DONE_SUCCESS",
        "message": "",
    }


def order(network: Network, order_id: str) -> Reply:
    found = network.orders.get(order_id)
    return Reply(200, found.view()) if found else refuse(404, f"Unknown order: '{order_id}'")


def unfinished_orders(network: Network, access_id: str | None) -> Reply:
    rows = [
        o.view()
        for o in network.orders.values()
        if o.state in ("RECEIVED", "IN_PROGRESS") and access_id in (None, o.access_id)
    ]
    return Reply(200, rows)


def cancel(network: Network, order_id: str) -> Reply:
    found = network.orders.get(order_id)
    if found is None:
        return refuse(404, f"Unknown order: '{order_id}'")
    if found.state != "RECEIVED":
        return refuse(409, f"Order is {found.state}; only a RECEIVED order can be cancelled")
    network.cancel(found)
    return Reply(204)


# --- feeds ---------------------------------------------------------------------------------


def order_events(network: Network, since: str | None) -> Reply:
    """Events after `since` (exclusive), at most `events_page_size` of them."""
    ids = [event_id for event_id, _ in network.events]
    start = 0
    if since is not None:
        if since not in ids:
            return refuse(400, f"Unknown event: '{since}'")
        start = ids.index(since) + 1
    page = network.events[start : start + network.config.events_page_size]
    return Reply(200, [{"event": event_id, "order": view} for event_id, view in page])


def accesses(network: Network, access_id: str | None, if_modified_since: str | None) -> Reply:
    config = network.config
    if access_id is not None:
        if access_id not in config.accesses:
            return refuse(404, f"Unknown accessId: '{access_id}'")
        return Reply(200, _access_row(network, access_id))
    if not config.accesses:
        return Reply(404, {"cause": "No available accesses"})
    newest = max(a.modified for a in config.accesses.values()).replace(microsecond=0)
    headers = {"Last-Modified": format_datetime(newest.astimezone(UTC), usegmt=True)}
    since = _http_date(if_modified_since)
    rows = [
        _access_row(network, a)
        for a, access in config.accesses.items()
        if since is None or access.modified.replace(microsecond=0) > since
    ]
    if since is not None and not rows:
        return Reply(304, None, {})
    return Reply(200, rows, headers)


def _access_row(network: Network, access_id: str) -> dict[str, Any]:
    address = network.config.accesses[access_id].address.model_dump(exclude_none=True)
    return {"accessId": access_id, **address}


# --- values --------------------------------------------------------------------------------


def _moment(value: object) -> datetime | Literal[False] | None:
    """None when absent, False when unreadable."""
    if value is None:
        return None
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # an unreadable If-Modified-Since is ignored (RFC 7232)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
