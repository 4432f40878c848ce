"""Tenant isolation as a state machine: random sequences of provider API calls by two
providers, on their own and each other's orders, in any order. A foreign call is always the
unknown-id 404 and changes nothing; an own call never meets a 404 or a 5xx; listings show
only the caller's orders. Short in `make test`, long in `make fuzz`.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from app import app
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.models import ActivationState, OrderStatus
from tests.fakes import FixedClock
from tests.hypothesis_profiles import scaled
from tests.unit.provider_factories import T0, store_order

PROVIDERS = ("prov-a", "prov-b")
UNKNOWN = "ord_01J00000000000000000000000"
ACTIONS: dict[str, tuple[str, str, Any]] = {
    "get": ("GET", "/orders/{id}", None),
    "events": ("GET", "/orders/{id}/events", None),
    "status": ("POST", "/orders/{id}/status", {"status": "in_progress"}),
    "waiting": ("POST", "/orders/{id}/status", {"status": "waiting"}),
    "message": ("POST", "/orders/{id}/messages", {"type": "log", "text": "note"}),
    "activation": ("POST", "/orders/{id}/activation", {}),
}


class Isolation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(T0)
        # The in-memory tokens (idempotency keys) run on the same clock.
        self.adapters = InMemoryAdapters(clock=self.clock)
        self.keys = {
            p: issue_api_key(self.adapters.api_keys, p, "fuzz", self.clock)[0] for p in PROVIDERS
        }
        self.owner: dict[str, str] = {}
        for provider in PROVIDERS:
            for state in (ActivationState.REFUSED, ActivationState.ACTIVATED):
                order = store_order(
                    self.adapters.orders, self.clock, provider, activation_state=state
                )
                self.owner[order.id] = provider
        use(self.adapters)
        self.client = Client(app)

    def teardown(self) -> None:
        use(None)

    def call(self, provider: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"x-api-key": self.keys[provider], "content-type": "application/json"}
        raw = b"" if body is None else json.dumps(body).encode()
        return self.client.http.request(method, "/tl/v1" + path, body=raw, headers=headers)

    def state_of(self, order_id: str) -> tuple[Any, ...]:
        orders = self.adapters.orders
        return (orders.get(order_id), tuple(orders.list_events(order_id)))

    @rule(
        provider=st.sampled_from(PROVIDERS),
        pick=st.integers(min_value=0, max_value=3),
        action=st.sampled_from(sorted(ACTIONS)),
    )
    def act(self, provider: str, pick: int, action: str) -> None:
        order_id = sorted(self.owner)[pick]
        method, path, body = ACTIONS[action]
        before = self.state_of(order_id)
        self.clock.advance(milliseconds=3)
        response = self.call(provider, method, path.format(id=order_id), body)
        assert response.status_code < 500, response.body
        if self.owner[order_id] == provider:
            assert response.status_code != 404, response.body
            return
        unknown = self.call(provider, method, path.format(id=UNKNOWN), body)
        assert response.status_code == unknown.status_code == 404
        assert response.body.decode() == unknown.body.decode().replace(UNKNOWN, order_id)
        assert self.state_of(order_id) == before

    @rule(
        provider=st.sampled_from(PROVIDERS),
        query=st.sampled_from(["", "?limit=1", "?status=waiting", "?activation_state=pending"]),
    )
    def list_orders(self, provider: str, query: str) -> None:
        page = json.loads(self.call(provider, "GET", "/orders" + query).body)
        assert all(self.owner[o["id"]] == provider for o in page["items"])

    @invariant()
    def owners_never_change(self) -> None:
        for order_id, provider in self.owner.items():
            assert self.adapters.orders.get(order_id).provider_id == provider

    @invariant()
    def statuses_stay_valid(self) -> None:
        for order_id in self.owner:
            assert self.adapters.orders.get(order_id).status in OrderStatus


Isolation.TestCase.settings = settings(
    max_examples=scaled(30),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_providers_stay_isolated_whatever_they_do = Isolation.TestCase
