"""The provider API over Chalice's test client, with in-memory adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key, revoke_api_key
from chalicelib.domain.models import ActivationState, Order, OrderStatus
from tests.fakes import PROVIDER_ID, FixedClock, seed_test_catalog

from .provider_factories import T0, store_order

A, B = "prov-a", "prov-b"
BASE = "/tl/v1"
UNKNOWN_ID = "ord_01J00000000000000000000000"


@dataclass
class World:
    client: Client
    services: InMemoryAdapters
    clock: FixedClock
    keys: dict[str, str]

    def headers(self, provider: str = A, **extra: str) -> dict[str, str]:
        return {"x-api-key": self.keys[provider], "content-type": "application/json", **extra}

    def get(self, path: str, provider: str = A, **headers: str) -> Any:
        return self.client.http.get(BASE + path, headers=self.headers(provider, **headers))

    def post(self, path: str, body: Any, provider: str = A, **headers: str) -> Any:
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.http.post(
            BASE + path, body=raw, headers=self.headers(provider, **headers)
        )

    def order(self, provider: str = A, **kwargs: Any) -> Order:
        return store_order(self.services.orders, self.clock, provider, **kwargs)

    @property
    def queued(self) -> list[Any]:
        queue = self.services.activation_queue
        assert isinstance(queue, InMemoryQueue)
        return queue.messages


@pytest.fixture
def world() -> Iterator[World]:
    clock = FixedClock(T0)
    # The in-memory token store runs on the adapters' clock, so a key claimed for 24
    # hours of test time does not expire by the wall clock.
    services = InMemoryAdapters(clock=clock)
    keys = {p: issue_api_key(services.api_keys, p, "test", clock)[0] for p in (A, B)}
    use(services)
    try:
        with Client(app) as client:
            yield World(client, services, clock, keys)
    finally:
        use(None)


def body_of(response: Any) -> Any:
    return json.loads(response.body)


def error_code(response: Any) -> str:
    return str(body_of(response)["error"]["code"])


def not_found_body(order_id: str) -> dict[str, Any]:
    return {"error": {"code": "not_found", "message": f"order {order_id} not found"}}


# --- authentication --------------------------------------------------------------------


def test_openapi_document_needs_no_key_and_is_valid_openapi_3_1(world: World) -> None:
    response = world.client.http.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = body_of(response)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {
        "/orders",
        "/orders/{order_id}",
        "/orders/{order_id}/status",
        "/orders/{order_id}/messages",
        "/orders/{order_id}/events",
        "/orders/{order_id}/activation",
        "/offers",
        "/offers/{offer_id}",
        "/offers/{offer_id}/versions",
        "/openapi.json",
        "/reports/orders",
        "/reports/orders/totals",
    }
    assert set(document["paths"]["/offers/{offer_id}"]) == {"get", "put", "delete"}
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    order_schema = document["components"]["schemas"]["OrderOut"]["properties"]
    assert "receipt_token_hash" not in order_schema
    identified_by = order_schema["identified_by"]
    assert {"enum": ["bounce", "portal", "address"], "type": "string"} in identified_by["anyOf"]
    assert "portal" in identified_by["description"]


@pytest.mark.parametrize("key", [None, "", "sfk_unknown-key-that-was-never-issued", "x" * 5000])
def test_missing_or_unknown_key_is_401_json(world: World, key: str | None) -> None:
    headers = {} if key is None else {"x-api-key": key}
    response = world.client.http.get(f"{BASE}/orders", headers=headers)
    assert response.status_code == 401
    assert body_of(response) == {
        "error": {"code": "unauthorized", "message": "a valid x-api-key header is required"}
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders"),
        ("GET", f"/orders/{UNKNOWN_ID}"),
        ("POST", f"/orders/{UNKNOWN_ID}/status"),
        ("POST", f"/orders/{UNKNOWN_ID}/messages"),
        ("GET", f"/orders/{UNKNOWN_ID}/events"),
        ("POST", f"/orders/{UNKNOWN_ID}/activation"),
        ("GET", "/offers"),
        ("GET", "/reports/orders?month=2025-03"),
        ("GET", "/reports/orders/totals?month=2025-03"),
        ("GET", "/offers/bredband-250"),
        ("PUT", "/offers/bredband-250"),
        ("DELETE", "/offers/bredband-250"),
        ("GET", "/offers/bredband-250/versions"),
    ],
)
def test_every_route_but_openapi_requires_a_key(world: World, method: str, path: str) -> None:
    response = world.client.http.request(method, BASE + path, body=b"{}", headers={})
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


def test_revoked_key_stops_working_at_once_while_other_keys_still_work(world: World) -> None:
    # Given a second key for provider A (rotation)
    second, record = issue_api_key(world.services.api_keys, A, "rotation", world.clock)
    assert world.client.http.get(f"{BASE}/orders", headers={"x-api-key": second}).status_code == 200
    # When the second key is revoked
    revoke_api_key(world.services.api_keys, A, record.key_id, world.clock)
    # Then it is refused on the next request, and the first key still works
    refused = world.client.http.get(f"{BASE}/orders", headers={"x-api-key": second})
    assert refused.status_code == 401
    assert error_code(refused) == "unauthorized"
    assert world.get("/orders").status_code == 200


# --- listing ---------------------------------------------------------------------------


def test_list_orders_is_newest_first_and_only_the_providers_own(world: World) -> None:
    mine = [world.order(A) for _ in range(3)]
    world.order(B)
    response = world.get("/orders")
    assert response.status_code == 200
    page = body_of(response)
    assert [o["id"] for o in page["items"]] == [o.id for o in reversed(mine)]
    assert page["next_cursor"] is None
    assert page["next_updated_since"] is None
    first = page["items"][0]
    assert "receipt_token_hash" not in first
    assert set(first["activation"]) == {"state", "date", "reason", "attempts", "updated_at"}
    assert first["customer"]["personal_number"] == "199001011234"


def test_list_orders_filters_by_status_and_activation_state(world: World) -> None:
    refused = world.order(A)
    world.order(A, activation_state=ActivationState.ACTIVATED)
    waiting = world.order(A, status=OrderStatus.WAITING, activation_state=ActivationState.ACTIVATED)
    by_state = body_of(world.get("/orders?activation_state=refused"))["items"]
    by_status = body_of(world.get("/orders?status=waiting"))["items"]
    assert [o["id"] for o in by_state] == [refused.id]
    assert [o["id"] for o in by_status] == [waiting.id]


def test_paging_while_new_orders_arrive_has_no_duplicates_and_no_gaps(world: World) -> None:
    # Given seven orders
    existing = [world.order(A) for _ in range(7)]
    seen: list[str] = []
    page = body_of(world.get("/orders?limit=3"))
    seen += [o["id"] for o in page["items"]]
    # When three new orders arrive while the provider pages through the list
    arrived = [world.order(A) for _ in range(3)]
    while page["next_cursor"]:
        page = body_of(world.get(f"/orders?limit=3&cursor={page['next_cursor']}"))
        seen += [o["id"] for o in page["items"]]
        world.order(B)
    # Then every order that existed is seen exactly once, newest first
    assert seen == [o.id for o in reversed(existing)]
    # And the arrivals head a fresh listing
    fresh = body_of(world.get("/orders?limit=3"))["items"]
    assert [o["id"] for o in fresh] == [o.id for o in reversed(arrived)]


def test_limit_defaults_to_50(world: World) -> None:
    for _ in range(51):
        world.order(A)
    page = body_of(world.get("/orders"))
    assert len(page["items"]) == 50
    assert page["next_cursor"]


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1"])
def test_invalid_limit_is_422_naming_the_parameter(world: World, limit: str) -> None:
    response = world.get(f"/orders?limit={limit}")
    assert response.status_code == 422
    details = body_of(response)["error"]["details"]
    assert [d["loc"] for d in details] == [["query", "limit"]]


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "activation_state=maybe",
        "updated_since=yesterday",
        "updated_since=2025-03-01T00:00:00",
    ],
)
def test_invalid_filters_are_422(world: World, query: str) -> None:
    response = world.get(f"/orders?{query}")
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert body_of(response)["error"]["details"][0]["loc"][0] == "query"


def test_tampered_cursor_is_400(world: World) -> None:
    for _ in range(3):
        world.order(A)
    cursor = body_of(world.get("/orders?limit=1"))["next_cursor"]
    body, _, mac = cursor.partition(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    for bad in (tampered, "not-a-cursor", cursor + "x"):
        response = world.get(f"/orders?limit=1&cursor={bad}")
        assert response.status_code == 400, bad
        assert error_code(response) == "invalid_cursor"


def test_another_providers_cursor_is_400(world: World) -> None:
    for _ in range(3):
        world.order(A)
        world.order(B)
    cursor = body_of(world.get("/orders?limit=1", provider=A))["next_cursor"]
    response = world.get(f"/orders?limit=1&cursor={cursor}", provider=B)
    assert response.status_code == 400
    assert error_code(response) == "invalid_cursor"


# --- the change feed -------------------------------------------------------------------


def test_feed_hands_out_changes_only_once_they_have_settled(world: World) -> None:
    # Given an order created now
    start = world.clock.now()
    since = (start - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    order = world.order(A)
    world.order(B)
    # When the provider polls at once, the change is too fresh to hand out
    early = body_of(world.get(f"/orders?updated_since={since}"))
    assert early["items"] == []
    assert early["next_cursor"] is None
    # Then after the settle time it is there, and the next poll starts after it
    world.clock.advance(seconds=6)
    settled = body_of(world.get(f"/orders?updated_since={since}"))
    assert [o["id"] for o in settled["items"]] == [order.id]
    next_since = settled["next_updated_since"]
    assert next_since.startswith((world.clock.now() - timedelta(seconds=5)).isoformat()[:19])
    assert body_of(world.get(f"/orders?updated_since={next_since}"))["items"] == []


def test_feed_never_misses_a_write_that_commits_late(world: World) -> None:
    # Given a provider that polled and was told where to continue
    world.clock.advance(seconds=30)
    first = body_of(world.get("/orders?updated_since=2025-01-01T00:00:00Z"))
    next_since = first["next_updated_since"]
    # When a write stamped two seconds ago commits only now (a slow concurrent writer)
    late = store_order(
        world.services.orders, FixedClock(world.clock.now() - timedelta(seconds=2)), A
    )
    # Then the next polls, once it has settled, include it
    world.clock.advance(seconds=5)
    second = body_of(world.get(f"/orders?updated_since={next_since}"))
    assert [o["id"] for o in second["items"]] == [late.id]


def test_feed_pages_with_a_cursor_oldest_change_first(world: World) -> None:
    orders = [world.order(A) for _ in range(5)]
    # A status change moves the first order to the end of the feed
    world.clock.advance(seconds=1)
    assert world.post(f"/orders/{orders[0].id}/status", {"status": "received"}).status_code == 200
    world.clock.advance(seconds=10)
    seen: list[str] = []
    url = "/orders?limit=2&updated_since=2025-01-01T00:00:00Z"
    page = body_of(world.get(url))
    seen += [o["id"] for o in page["items"]]
    while page["next_cursor"]:
        page = body_of(world.get(f"{url}&cursor={page['next_cursor']}"))
        seen += [o["id"] for o in page["items"]]
    assert seen == [o.id for o in orders[1:]] + [orders[0].id]


def test_feed_cannot_be_combined_with_filters(world: World) -> None:
    response = world.get("/orders?updated_since=2025-01-01T00:00:00Z&status=new")
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["loc"] == ["query", "updated_since"]


def test_a_listing_cursor_is_not_a_feed_cursor(world: World) -> None:
    for _ in range(3):
        world.order(A)
    cursor = body_of(world.get("/orders?limit=1"))["next_cursor"]
    response = world.get(f"/orders?limit=1&updated_since=2025-01-01T00:00:00Z&cursor={cursor}")
    assert response.status_code == 400


# --- one order and isolation -----------------------------------------------------------


def test_get_order_returns_the_order(world: World) -> None:
    order = world.order(A)
    response = world.get(f"/orders/{order.id}")
    assert response.status_code == 200
    got = body_of(response)
    assert got["id"] == order.id
    assert got["activation"]["state"] == "refused"
    assert got["activation"]["reason"] == {"code": "409", "message": "CPE must be configured"}
    assert got["version"] == 1
    assert "attempt_id" not in got["activation"]
    assert got["identified"] is True and got["identified_by"] == "bounce"


@pytest.mark.parametrize(
    ("kwargs", "identified_by"),
    [
        ({"identified_by": "portal"}, "portal"),
        ({"identified_by": "bounce"}, "bounce"),
        ({"identified": False, "activation_state": ActivationState.MANUAL}, None),
    ],
)
def test_the_order_says_how_the_outlet_was_identified(
    world: World, kwargs: dict[str, Any], identified_by: str | None
) -> None:
    order = world.order(A, **kwargs)
    got = body_of(world.get(f"/orders/{order.id}"))
    assert got["identified_by"] == identified_by
    listed = body_of(world.get("/orders"))["items"]
    assert [item["identified_by"] for item in listed] == [identified_by]


ORDER_ROUTES = [
    ("GET", "/orders/{id}", None),
    ("POST", "/orders/{id}/status", {"status": "received"}),
    ("POST", "/orders/{id}/messages", {"type": "log", "text": "hello"}),
    ("GET", "/orders/{id}/events", None),
    ("POST", "/orders/{id}/activation", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ORDER_ROUTES)
def test_another_providers_order_is_404_exactly_like_an_unknown_one(
    world: World, method: str, path: str, body: Any
) -> None:
    # Given an order of provider B
    theirs = world.order(B)

    # When provider A addresses it, and an unknown id
    def call(order_id: str) -> Any:
        return world.client.http.request(
            method,
            BASE + path.format(id=order_id),
            body=json.dumps(body) if body is not None else b"",
            headers=world.headers(A),
        )

    foreign, unknown = call(theirs.id), call(UNKNOWN_ID)
    # Then both are the same 404, and B's order is untouched
    assert foreign.status_code == unknown.status_code == 404
    assert body_of(foreign) == not_found_body(theirs.id)
    assert body_of(unknown) == not_found_body(UNKNOWN_ID)
    assert world.services.orders.get(theirs.id) == theirs
    assert world.services.orders.list_events(theirs.id) == []
    assert world.queued == []
    # And B itself can use the same route
    assert call_as_b(world, method, path.format(id=theirs.id), body).status_code < 400


def call_as_b(world: World, method: str, path: str, body: Any) -> Any:
    raw = json.dumps(body) if body is not None else b""
    return world.client.http.request(method, BASE + path, body=raw, headers=world.headers(B))


@pytest.mark.parametrize(
    "bad_id", ["nope", "ord_short", "ord_" + "0" * 2000, "ORD_01J00000000000000000000000"]
)
def test_malformed_order_ids_are_404(world: World, bad_id: str) -> None:
    response = world.get(f"/orders/{bad_id}")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


# --- status ----------------------------------------------------------------------------


def test_status_change_returns_the_order_and_records_who_did_it(world: World) -> None:
    order = world.order(A)
    world.clock.advance(seconds=1)
    response = world.post(f"/orders/{order.id}/status", {"status": "in_progress", "note": "on it"})
    assert response.status_code == 200
    got = body_of(response)
    assert got["status"] == "in_progress"
    assert got["version"] == 2
    events = body_of(world.get(f"/orders/{order.id}/events"))["items"]
    assert events[-1] | {"id": None, "at": None} == {
        "id": None,
        "order_id": order.id,
        "kind": "status_changed",
        "at": None,
        "actor": "provider:prov-a",
        "call": None,
        "activation_state": None,
        "status_from": "new",
        "status_to": "in_progress",
        "message_type": None,
        "text": "on it",
        "webhook_type": "order.status_changed",
    }


def test_invalid_transition_is_409_naming_the_allowed_ones(world: World) -> None:
    order = world.order(A, status=OrderStatus.IN_PROGRESS)
    response = world.post(f"/orders/{order.id}/status", {"status": "received"})
    assert response.status_code == 409
    error = body_of(response)["error"]
    assert error["code"] == "invalid_transition"
    assert error["details"] == {
        "current": "in_progress",
        "allowed": ["cancelled", "delivered", "waiting"],
    }
    assert "cancelled, delivered, waiting" in error["message"]


def test_final_status_allows_nothing(world: World) -> None:
    order = world.order(A, status=OrderStatus.DELIVERED)
    response = world.post(f"/orders/{order.id}/status", {"status": "cancelled"})
    assert response.status_code == 409
    assert body_of(response)["error"]["details"]["allowed"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"status": "received", "colour": "red"}, ["body", "colour"]),
        ({"status": 5}, ["body", "status"]),
        ({"status": "lost"}, ["body", "status"]),
        ({}, ["body", "status"]),
        ({"status": "received", "note": "x" * 4001}, ["body", "note"]),
        ([], ["body"]),
    ],
)
def test_invalid_status_body_is_422_with_the_field_path(
    world: World, body: Any, loc: list[str]
) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/status", body)
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "invalid_input"
    assert loc in [d["loc"] for d in error["details"]]
    assert world.services.orders.get(order.id).version == 1


def test_malformed_json_is_400(world: World) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/status", '{"status": ')
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


def test_a_body_that_is_not_json_is_415(world: World) -> None:
    order = world.order(A)
    response = world.client.http.post(
        f"{BASE}/orders/{order.id}/status",
        body="status=received",
        headers={"x-api-key": world.keys[A], "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_a_json_content_type_with_charset_is_accepted(world: World) -> None:
    order = world.order(A)
    response = world.post(
        f"/orders/{order.id}/status",
        {"status": "received"},
        **{"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_a_body_over_64_kib_is_413(world: World) -> None:
    order = world.order(A)
    big = json.dumps({"type": "log", "text": "x" * (64 * 1024)})
    response = world.post(f"/orders/{order.id}/messages", big)
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


# --- messages and events ---------------------------------------------------------------


def test_message_is_201_and_joins_the_audit_trail(world: World) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/messages", {"type": "alert", "text": "CPE swapped"})
    assert response.status_code == 201
    event = body_of(response)
    assert (event["kind"], event["message_type"], event["text"], event["actor"]) == (
        "message",
        "alert",
        "CPE swapped",
        "provider:prov-a",
    )
    trail = body_of(world.get(f"/orders/{order.id}/events"))["items"]
    assert [e["id"] for e in trail] == [event["id"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"type": "shout", "text": "hi"}, ["body", "type"]),
        ({"type": "log", "text": ""}, ["body", "text"]),
        ({"type": "log", "text": "x" * 4001}, ["body", "text"]),
        ({"type": "log"}, ["body", "text"]),
        ({"type": "log", "text": "hi", "extra": 1}, ["body", "extra"]),
    ],
)
def test_invalid_message_is_422(world: World, body: Any, loc: list[str]) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/messages", body)
    assert response.status_code == 422
    assert loc in [d["loc"] for d in body_of(response)["error"]["details"]]


@pytest.mark.parametrize(
    "character",
    ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_a_message_with_a_control_or_format_character_is_422_and_not_stored(
    world: World, character: str
) -> None:
    # A NUL cuts the text short for C readers; a bidi override makes it read otherwise
    order = world.order(A)
    response = world.post(
        f"/orders/{order.id}/messages", {"type": "log", "text": f"CPE {character}swapped"}
    )
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "invalid_input"
    [detail] = error["details"]
    assert (detail["field"], detail["loc"]) == ("body.text", ["body", "text"])
    assert "control or format character" in detail["message"]
    assert character not in json.dumps(error, ensure_ascii=False)  # never echoed
    assert body_of(world.get(f"/orders/{order.id}/events"))["items"] == []


def test_a_message_may_have_several_lines_and_tabs(world: World) -> None:
    order = world.order(A)
    text = "CPE swapped\r\n\tserial: 123\nport: 4"
    response = world.post(f"/orders/{order.id}/messages", {"type": "log", "text": text})
    assert response.status_code == 201
    assert body_of(response)["text"] == text


def test_events_are_oldest_first_and_include_every_kind_of_entry(world: World) -> None:
    order = world.order(A)
    world.clock.advance(seconds=1)
    world.post(f"/orders/{order.id}/messages", {"type": "log", "text": "first"})
    world.clock.advance(seconds=1)
    world.post(f"/orders/{order.id}/status", {"status": "received"})
    world.clock.advance(seconds=1)
    world.post(f"/orders/{order.id}/activation", {})
    kinds = [e["kind"] for e in body_of(world.get(f"/orders/{order.id}/events"))["items"]]
    assert kinds == ["message", "status_changed", "activation_requested"]


# --- activation ------------------------------------------------------------------------


def test_activation_request_is_202_pending_and_queued_once(world: World) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/activation", {"date": "2025-03-10"})
    assert response.status_code == 202
    got = body_of(response)
    assert got["activation"]["state"] == "pending"
    assert got["activation"]["reason"] is None
    assert got["activation"]["attempts"] == 1
    [message] = world.queued
    stored = world.services.orders.get(order.id)
    assert message.order_id == order.id
    assert message.origin == "provider"
    assert message.attempt_id == stored.activation.attempt_id != order.activation.attempt_id
    assert str(message.activation_date) == "2025-03-10"


def test_activation_without_a_body_means_as_soon_as_possible(world: World) -> None:
    order = world.order(A, activation_state=ActivationState.FAILED)
    response = world.client.http.post(
        f"{BASE}/orders/{order.id}/activation", headers={"x-api-key": world.keys[A]}
    )
    assert response.status_code == 202
    assert world.queued[0].activation_date is None


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"activation_state": ActivationState.MANUAL, "identified": False}, "manually"),
        ({"activation_state": ActivationState.PENDING}, "pending"),
        ({"activation_state": ActivationState.ACTIVATED}, "activated"),
        ({"activation_state": ActivationState.SCHEDULED}, "scheduled"),
        ({"status": OrderStatus.CANCELLED}, "cancelled"),
        ({"status": OrderStatus.DELIVERED}, "delivered"),
    ],
)
def test_activation_is_409_when_the_order_does_not_allow_it(
    world: World, kwargs: dict[str, Any], needle: str
) -> None:
    order = world.order(A, **kwargs)
    response = world.post(f"/orders/{order.id}/activation", {})
    assert response.status_code == 409
    error = body_of(response)["error"]
    assert error["code"] == "conflict"
    assert needle in error["message"]
    assert world.queued == []


def test_activation_date_in_the_past_is_422(world: World) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/activation", {"date": "2025-03-02"})
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["loc"] == ["body", "date"]
    assert world.queued == []


@pytest.mark.parametrize(
    ("date", "accepted"),
    [
        ("2025-03-03", True),  # today (T0)
        ("2026-03-03", True),  # the same day next year: the last one
        ("2026-03-04", False),
        ("2099-01-01", False),
        ("2025-03-02", False),  # yesterday
    ],
)
def test_the_activation_date_has_the_customer_s_bounds(
    world: World, date: str, accepted: bool
) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/activation", {"date": date})
    if accepted:
        assert response.status_code == 202
        assert str(world.queued[0].activation_date) == date
        return
    assert response.status_code == 422
    error = body_of(response)["error"]
    assert error["code"] == "invalid_input"
    [detail] = error["details"]
    assert (detail["field"], detail["loc"]) == ("body.date", ["body", "date"])
    assert "at most one year ahead" in detail["message"]
    assert world.queued == []
    assert world.services.orders.get(order.id).activation == order.activation


def test_activation_with_unknown_field_is_422(world: World) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/activation", {"when": "now"})
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["loc"] == ["body", "when"]


def test_repeat_with_the_same_idempotency_key_returns_the_first_answer(world: World) -> None:
    order = world.order(A)
    first = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "k-1"})
    world.clock.advance(seconds=1)
    second = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 202
    assert body_of(second) == body_of(first)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(world.queued) == 1
    # Without the key, a repeat is an ordinary request: activation is pending now
    assert world.post(f"/orders/{order.id}/activation", {}).status_code == 409


def test_a_stored_refusal_is_also_replayed(world: World) -> None:
    order = world.order(A, activation_state=ActivationState.ACTIVATED)
    first = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "k-409"})
    second = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "k-409"})
    assert first.status_code == second.status_code == 409
    assert body_of(first) == body_of(second)


def test_same_idempotency_key_of_two_providers_is_independent(world: World) -> None:
    mine, theirs = world.order(A), world.order(B)
    a = world.post(f"/orders/{mine.id}/activation", {}, provider=A, **{"Idempotency-Key": "same"})
    b = world.post(f"/orders/{theirs.id}/activation", {}, provider=B, **{"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 202
    assert body_of(b)["id"] == theirs.id
    assert {m.order_id for m in world.queued} == {mine.id, theirs.id}


def test_idempotency_key_reused_for_another_request_is_422(world: World) -> None:
    first, other = world.order(A), world.order(A)
    world.post(f"/orders/{first.id}/activation", {}, **{"Idempotency-Key": "k"})
    response = world.post(f"/orders/{other.id}/activation", {}, **{"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert error_code(response) == "idempotency_key_reused"
    assert len(world.queued) == 1


def test_repeat_while_the_first_is_still_running_is_409(world: World) -> None:
    order = world.order(A)
    # Given a first request that claimed the key and has not answered yet
    world.services.tokens.claim(
        f"idem:{A}:busy",
        world.clock.now() + timedelta(hours=1),
        {"state": "running", "fingerprint": _activation_fingerprint(order.id)},
    )
    response = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert error_code(response) == "request_in_progress"
    assert world.queued == []


def _activation_fingerprint(order_id: str) -> str:
    from chalicelib.api.idempotency import fingerprint
    from chalicelib.api.schemas import ActivationIn

    return fingerprint("activation", order_id, ActivationIn().model_dump_json())


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "ä"])
def test_invalid_idempotency_key_is_422(world: World, key: str) -> None:
    order = world.order(A)
    response = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": key})
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["loc"] == ["header", "Idempotency-Key"]


class BrokenQueue:
    def __init__(self) -> None:
        self.attempts = 0

    def send(self, message: Any, delay_seconds: int = 0) -> None:
        self.attempts += 1
        raise ConnectionError("queue down")


def test_queue_outage_is_503_and_a_retry_with_the_same_key_succeeds(world: World) -> None:
    order = world.order(A)
    use(world.services.replaced(activation_queue=BrokenQueue()))
    # When the queue is down
    failed = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "retry-me"})
    # Then the answer says retry, and the order is as before
    assert failed.status_code == 503
    assert error_code(failed) == "queue_unavailable"
    assert failed.headers.get("Retry-After") == "5"
    restored = world.services.orders.get(order.id)
    assert restored.activation.state == ActivationState.REFUSED
    assert restored.version == order.version + 2
    # And once the queue is back, the same request goes through exactly once
    use(world.services)
    retried = world.post(f"/orders/{order.id}/activation", {}, **{"Idempotency-Key": "retry-me"})
    assert retried.status_code == 202
    assert len(world.queued) == 1


# --- offers and unexpected errors ------------------------------------------------------


def test_offers_are_the_providers_own(world: World) -> None:
    seed_test_catalog(world.services.catalog)
    response = world.client.http.get(
        f"{BASE}/offers", headers={"x-api-key": _key(world, PROVIDER_ID)}
    )
    assert response.status_code == 200
    items = body_of(response)["items"]
    assert {o["id"] for o in items} == {"tl-internet-100", "tl-tv"}
    assert body_of(world.get("/offers"))["items"] == []


def _key(world: World, provider: str) -> str:
    return issue_api_key(world.services.api_keys, provider, "test", world.clock)[0]


def test_unexpected_error_is_500_json_without_details(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(provider_id: str) -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(world.services.catalog, "offers_of_provider", explode)
    response = world.get("/offers")
    assert response.status_code == 500
    assert body_of(response) == {
        "error": {"code": "internal_error", "message": "an unexpected error occurred"}
    }
    assert "list_offers" in caplog.text


# --- headers and ambiguity (issue: "Headers and repeated parameters") -------------------


def test_every_answer_forbids_caching_and_content_sniffing(world: World) -> None:
    order = world.order()
    answers = [
        world.get(f"/orders/{order.id}"),
        world.get("/orders"),
        world.get(f"/orders/{UNKNOWN_ID}"),
        world.client.http.get(f"{BASE}/orders", headers={"x-api-key": "sfk_wrong"}),
        world.post(f"/orders/{order.id}/messages", "{not json"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 404, 401, 400]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_repeated_query_parameter_is_a_400(world: World) -> None:
    world.order()
    response = world.get("/orders?status=new&status=cancelled")
    assert response.status_code == 400
    assert error_code(response) == "repeated_parameter"
    assert body_of(response)["error"]["details"] == [
        {"field": "query.status", "loc": ["query", "status"]}
    ]


def test_a_duplicate_json_key_is_a_400_not_the_last_value_wins(world: World) -> None:
    order = world.order()
    response = world.post(
        f"/orders/{order.id}/messages", '{"type": "log", "text": "a", "text": "b"}'
    )
    assert response.status_code == 400
    assert error_code(response) == "duplicate_key"
    assert world.get(f"/orders/{order.id}/events").status_code == 200
    assert not [
        e for e in body_of(world.get(f"/orders/{order.id}/events"))["items"] if e.get("text")
    ]


def test_a_listing_cursor_works_only_with_the_filters_it_was_issued_for(world: World) -> None:
    for _ in range(3):
        world.order()
    first = body_of(world.get("/orders?limit=1&status=new"))
    cursor = first["next_cursor"]
    assert cursor
    # The same filters page on
    assert world.get(f"/orders?limit=1&status=new&cursor={cursor}").status_code == 200
    # Other filters (or none) refuse it
    for other in ("", "&status=received", "&activation_state=pending"):
        response = world.get(f"/orders?limit=1&cursor={cursor}{other}")
        assert response.status_code == 400, other
        assert error_code(response) == "invalid_cursor"
