"""Tenant isolation on EVERY provider API route, enumerated from the route registry.

Provider B, with B's own valid key, calls every operation: with A's order and delivery ids
wherever the path takes an id, and plainly everywhere else. B must get exactly the 404 an
unknown id gets, see nothing of A's in any answer, and change nothing of A's. A route added
to the registry is covered automatically; one whose path parameter or body this file cannot
fill fails `test_every_provider_route_is_exercised` until it is taught here.

Both order stores are checked: in memory and DynamoDB (moto).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.api.openapi import Operation
from chalicelib.api.routes import BASE_PATH, api
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.models import Category, Customer, Offer, Provider
from chalicelib.domain.webhook_delivery import deliver
from chalicelib.settings import Settings
from tests.fakes import NETWORK_ID, FixedClock, catalog_city_network
from tests.unit.provider_factories import store_order
from tests.unit.test_extension_form_checks import a_form, text_field
from tests.unit.test_webhook_api import OkTransport, fake_resolver

A, B = "prov-a", "prov-b"
A_HOOK = "https://hooks.example.com/a-only/7f3c9"
B_HOOK = "https://hooks.example.com/b"
A_OFFER = "alpha-fiber-250"
UNSECURED = {"get_openapi"}

# How to fill each path parameter: A's real id, and an id that exists for nobody.
UNKNOWN_IDS = {
    "order_id": "ord_01J00000000000000000000000",
    "delivery_id": "dlv_01J00000000000000000000000",
    "version": "999999",
    "offer_id": "no-such-offer",
}
# Path parameters that name a part of the caller's own account, not an object someone owns
# (`/documents/{kind}`): the same value for A and B, each reaching its own.
NAMESPACES = {"kind": "terms"}
# Operations that create what an unknown id names (PUT /offers/{id}): B's unknown id makes
# B's own offer, so A's id is compared with the 404 a GET of an unknown id gets.
CREATES_AT_ID = {"PUT /offers/{offer_id}"}
# A valid body per request model, so B's call gets past validation to the lookup.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "StatusChangeIn": {"status": "received", "note": "from B"},
    "MessageIn": {"type": "log", "text": "from B"},
    "ActivationIn": {},
    "WebhookIn": {"url": B_HOOK},
    "DocumentIn": {"text": "B's own terms"},
    "ExtensionFormIn": a_form(b_only_question=text_field()),
    "IdentityIn": {
        "company_name": "B AB",
        "organisation_number": "556000-0002",
        "address": "B-gatan 2",
        "email": "kund@b.example",
        "phone": "+46 8 2",
    },
    "OfferIn": {
        "name": "Bredband från B",
        "category": "internet",
        "city_networks": [{"city_network_id": NETWORK_ID, "service_uid": "BB100100"}],
        "monthly_price_sek": 1,
    },
}
A_TERMS = "A's private terms 9c2e"
A_QUESTION = "a_only_question_4b7d"

# Query parameters an operation requires, so B's call reaches the store: the monthly
# reports read the month the world's orders are in (FixedClock's default instant).
REQUIRED_QUERIES = {"report_orders": "month=2026-11", "report_totals": "month=2026-11"}

SECURED = [op for op in api.operations if op.secured]
WITH_IDS = [op for op in SECURED if any(p.name not in NAMESPACES for p in op.path_params)]
WITHOUT_IDS = [op for op in SECURED if op not in WITH_IDS]
WITH_CURSOR = [op for op in SECURED if op.query is not None and "cursor" in op.query.model_fields]


def label(op: Operation) -> str:
    return f"{op.method} {op.path}"


def customer(first: str, last: str, number: str, email: str) -> Customer:
    return Customer(
        first_name=first,
        last_name=last,
        personal_number=number,
        email=email,
        phone="+46701234567",
        street_address=f"{last}gatan 1",
        postal_code="12345",
        city="Umeå",
    )


@dataclass
class World:
    client: Client
    adapters: InMemoryAdapters
    clock: FixedClock
    keys: dict[str, str]
    ids: dict[str, str]  # A's order_id and delivery_id
    secrets: list[str]  # A's other identifiers and data: must never reach B
    b_order_id: str = ""

    def call(self, provider: str, method: str, path: str, body: Any = None, query: str = "") -> Any:
        headers = {"x-api-key": self.keys[provider], "content-type": "application/json"}
        raw = b"" if body is None else json.dumps(body).encode()
        url = BASE_PATH + path + (f"?{query}" if query else "")
        return self.client.http.request(method, url, body=raw, headers=headers)

    def run_webhook_queue(self) -> None:
        queue = self.adapters.webhook_queue
        assert isinstance(queue, InMemoryQueue)
        for message, _ in queue.take():
            deliver(message, self.adapters)

    def a_state(self) -> dict[str, Any]:
        """Everything of A's that B could read or change."""
        deps = self.adapters
        orders = [deps.orders.get(i) for i in self.a_order_ids]
        events = [deps.orders.list_events(i) for i in self.a_order_ids]
        store = deps.webhook_store
        activation_queue = deps.activation_queue
        assert isinstance(activation_queue, InMemoryQueue)
        return {
            "orders": orders,
            "events": events,
            "endpoint": store.get_endpoint(A),
            "deliveries": store.list_deliveries(A, limit=100, cursor=None),
            "activation_queue": list(activation_queue.messages),
            "documents": [deps.catalog.documents(A, kind) for kind in ("terms", "privacy")],
            "form": deps.provider_forms.current(A),
            "provider": deps.catalog.get_provider(A),
            "offers": [
                deps.catalog.offer_versions(f"{A}-internet-100"),
                deps.catalog.provider_offer_versions(A_OFFER),
                deps.catalog.offers_of_provider(A),
            ],
        }

    @property
    def a_order_ids(self) -> list[str]:
        return [s for s in self.secrets if s.startswith("ord_")]


def _adapters(backend: str, clock: FixedClock, request: pytest.FixtureRequest) -> InMemoryAdapters:
    # As deployed: https and public addresses only; webhooks "sent" by a transport that
    # answers 200 without any network.
    base = InMemoryAdapters(
        Settings(stage="test"),
        clock=clock,
        webhook_transport=OkTransport(),
        resolver=fake_resolver,
    )
    if backend == "memory":
        return base
    from chalicelib.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
    from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
    from chalicelib.adapters.dynamodb.provider_forms import DynamoDBProviderForms
    from chalicelib.adapters.dynamodb.tokens import DynamoDBOneTimeTokens
    from chalicelib.adapters.dynamodb.webhooks import DynamoDBWebhookStore
    from tests.aws import table

    stored = table(request.getfixturevalue("table_name"))
    return base.replaced(
        orders=DynamoDBOrderStore(stored, base.cursor_codec),
        api_keys=DynamoDBApiKeyStore(stored),
        tokens=DynamoDBOneTimeTokens(stored, clock),
        webhook_store=DynamoDBWebhookStore(stored),
        provider_forms=DynamoDBProviderForms(stored),
    )


@pytest.fixture(params=["memory", "dynamodb"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    clock = FixedClock()
    adapters = _adapters(request.param, clock, request)
    adapters.catalog.put_city_network(catalog_city_network())
    for provider in (A, B):
        adapters.catalog.put_provider(Provider(id=provider, name=f"Leverantör {provider}"))
        adapters.catalog.put_offer(
            Offer(
                id=f"{provider}-internet-100",
                provider_id=provider,
                city_network_id=NETWORK_ID,
                service_uid="BB100100",
                category=Category.INTERNET,
                name=f"Bredband för {provider}",
                monthly_price_sek=299,
                binding_months=0,
            )
        )
    keys = {p: issue_api_key(adapters.api_keys, p, "test", clock)[0] for p in (A, B)}
    use(adapters)
    try:
        with Client(app) as client:
            world = World(client, adapters, clock, keys, {}, [])
            _seed(world)
            yield world
    finally:
        use(None)


def _seed(world: World) -> None:
    orders = world.adapters.orders
    astrid = customer("Astrid", "Alfadottir", "198803200016", "astrid@a-kund.example")
    bertil = customer("Bertil", "Betasson", "198112189876", "bertil@b-kund.example")
    a_orders = [store_order(orders, world.clock, A, customer=astrid) for _ in range(3)]
    world.b_order_id = store_order(orders, world.clock, B, customer=bertil).id
    # A's audit trail, webhook endpoint and deliveries, made through the API as A would
    for order in a_orders:
        made = world.call(A, "POST", f"/orders/{order.id}/messages", MESSAGE_OF_A)
        assert made.status_code == 201, made.body
    assert world.call(A, "PUT", "/webhook", {"url": A_HOOK}).status_code == 200
    assert world.call(B, "PUT", "/webhook", {"url": B_HOOK}).status_code == 200
    deliveries = []
    for _ in range(3):
        world.clock.advance(milliseconds=5)
        sent = world.call(A, "POST", "/webhook/test")
        assert sent.status_code == 202, sent.body
        deliveries.append(json.loads(sent.body)["id"])
    world.call(B, "POST", "/webhook/test")
    world.run_webhook_queue()
    # A's terms and extension form, published through the API as A would
    assert world.call(A, "PUT", "/documents/terms", {"text": A_TERMS}).status_code == 201
    a_own = a_form(**{A_QUESTION: text_field()})
    assert world.call(A, "PUT", "/form", a_own).status_code == 201
    # A's offer, made through the API (its id must not contain A's provider id, a secret)
    made = world.call(
        A, "PUT", f"/offers/{A_OFFER}", {**VALID_BODIES["OfferIn"], "name": "Alfa 250"}
    )
    assert made.status_code == 200, made.body
    world.clock.advance(seconds=10)  # the change feed hands out settled changes only
    events = [e.id for o in a_orders for e in orders.list_events(o.id)]
    world.ids = {
        "order_id": a_orders[0].id,
        "delivery_id": deliveries[0],
        "version": "1",
        "offer_id": A_OFFER,
    }
    world.secrets = [
        *(o.id for o in a_orders),
        *events,
        *deliveries,
        A,
        f"{A}-internet-100",
        A_OFFER,
        "hooks.example.com/a-only",
        "Astrid",
        "Alfadottir",
        "198803200016",
        "astrid@a-kund.example",
        MESSAGE_OF_A["text"],
        A_TERMS,
        A_QUESTION,
    ]


MESSAGE_OF_A = {"type": "log", "text": "A's private note 5d1e"}


def leaked(world: World, response: Any, allowed: str = "") -> list[str]:
    text = response.body.decode("utf-8", errors="replace")
    return [s for s in world.secrets if s in text and s != allowed]


# --- coverage of the registry -------------------------------------------------------------


def test_every_provider_route_is_exercised() -> None:
    # Every Chalice route under /tl/v1 is a registry operation (so it is enumerated here)
    declared = {(op.method, BASE_PATH + op.path) for op in api.operations}
    mounted = {
        (method, path)
        for path, methods in app.routes.items()
        if path.startswith(BASE_PATH)
        for method in methods
    }
    assert mounted == declared
    # Only the OpenAPI document is open; every other operation is fuzzed as B below
    assert {op.operation_id for op in api.operations if not op.secured} == UNSECURED
    assert {label(op) for op in WITH_IDS} | {label(op) for op in WITHOUT_IDS} == {
        label(op) for op in SECURED
    }
    for op in SECURED:
        unknown = [p.name for p in op.path_params if p.name not in {*UNKNOWN_IDS, *NAMESPACES}]
        assert not unknown, f"{label(op)}: teach this file an id for {unknown}"
        if op.body is not None:
            assert op.body.__name__ in VALID_BODIES, f"{label(op)}: add a valid body"
    assert WITH_IDS and WITHOUT_IDS and WITH_CURSOR


# --- routes that take an id -----------------------------------------------------------


def _path(op: Operation, ids: dict[str, str]) -> str:
    return op.path.format(**{p.name: {**ids, **NAMESPACES}[p.name] for p in op.path_params})


@pytest.mark.parametrize("op", WITH_IDS, ids=label)
def test_b_using_a_s_ids_gets_exactly_the_404_of_an_unknown_id(world: World, op: Operation):
    body = VALID_BODIES[op.body.__name__] if op.body is not None else None
    before = world.a_state()
    # When B addresses A's object, and an object that does not exist
    foreign = world.call(B, op.method, _path(op, world.ids), body)
    if label(op) in CREATES_AT_ID:
        unknown = world.call(B, "GET", _path(op, UNKNOWN_IDS))
    else:
        unknown = world.call(B, op.method, _path(op, UNKNOWN_IDS), body)
    # Then both are the same 404, differing only in the id B itself sent
    assert foreign.status_code == unknown.status_code == 404, foreign.body
    expected = unknown.body.decode()
    for name, value in world.ids.items():
        expected = expected.replace(UNKNOWN_IDS[name], value)
    assert foreign.body.decode() == expected
    assert foreign.headers == unknown.headers
    # And nothing of A's is shown or changed
    assert leaked(world, foreign, allowed=_only_id(op, world.ids)) == []
    assert world.a_state() == before


def _only_id(op: Operation, ids: dict[str, str]) -> str:
    [param] = [p for p in op.path_params if p.name not in NAMESPACES]
    return ids[param.name]


@pytest.mark.parametrize("op", WITH_IDS, ids=label)
def test_a_itself_reaches_the_same_route(world: World, op: Operation) -> None:
    # Guards the test above: the 404 comes from ownership, not from an id that never worked
    body = VALID_BODIES[op.body.__name__] if op.body is not None else None
    response = world.call(A, op.method, _path(op, world.ids), body)
    assert response.status_code < 400, response.body


# --- routes without an id -------------------------------------------------------------


@pytest.mark.parametrize("op", WITHOUT_IDS, ids=label)
def test_b_sees_and_changes_nothing_of_a_s_on_routes_without_ids(world: World, op: Operation):
    body = VALID_BODIES[op.body.__name__] if op.body is not None else None
    before = world.a_state()
    query = REQUIRED_QUERIES.get(op.operation_id, "")
    response = world.call(B, op.method, op.path, body, query=query)
    assert response.status_code < 500, response.body
    if query:  # taught its required parameters: B's call reaches the store
        assert response.status_code == 200, response.body
    assert leaked(world, response) == []
    assert world.a_state() == before


def test_b_s_listing_shows_b_s_own_orders(world: World) -> None:
    # Guards the test above: B's listing is not empty for some unrelated reason
    listed = json.loads(world.call(B, "GET", "/orders").body)
    assert [o["id"] for o in listed["items"]] == [world.b_order_id]


# --- cursors --------------------------------------------------------------------------


@pytest.mark.parametrize("op", WITH_CURSOR, ids=label)
def test_a_s_cursor_gives_b_nothing_of_a_s(world: World, op: Operation) -> None:
    # Given a genuine next-page cursor of A's
    required = "".join(f"{q}&" for q in [REQUIRED_QUERIES.get(op.operation_id)] if q)
    page = json.loads(world.call(A, op.method, op.path, query=f"{required}limit=1").body)
    cursor = page["next_cursor"]
    assert cursor
    # When B pages with it
    borrowed = world.call(B, op.method, op.path, query=f"{required}limit=100&cursor={cursor}")
    # Then B is refused (order cursors are signed for their provider), or at most the
    # cursor positions B's own listing (delivery cursors are bare ids, webhooks/cursors.py)
    assert borrowed.status_code in (200, 400), borrowed.body
    assert leaked(world, borrowed) == []
    if borrowed.status_code == 200:
        assert all(A not in json.dumps(item) for item in json.loads(borrowed.body)["items"])
