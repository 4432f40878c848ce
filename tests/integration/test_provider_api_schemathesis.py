"""schemathesis against the provider API's own OpenAPI document, over real HTTP.

A short, bounded, deterministic run: at most MAX_EXAMPLES cases per operation, positive
and negative data, and a time budget for the whole run. Checks: no 5xx, every response
matches the schema documented for its status code, and no answer shows another provider's
order. `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs twenty times the examples, randomized.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from chalicelib.adapters.memory.store import InMemoryOneTimeTokens
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.models import ActivationState, OrderStatus
from chalicelib.wiring import in_memory_services, use_services
from infra.local.appserver import AppServer
from infra.local.seed import PROVIDERS, offers
from tests.hypothesis_profiles import long_run, scaled
from tests.unit.provider_factories import ManualClock, store_order

MAX_EXAMPLES = scaled(25)
TIME_BUDGET_S = 600.0 if long_run() else 60.0
FOREIGN_PROVIDER = "fiber-ab"


def no_foreign_data(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Tenant isolation under fuzzing: demo-tl's key never shows fiber-ab's order."""
    if FOREIGN_PROVIDER in response.text:
        raise AssertionError(f"{case.operation.label} showed another provider's data")


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    no_foreign_data,
]
UNKNOWN_ID = "ord_01J00000000000000000000000"


@dataclass(frozen=True)
class Served:
    base_url: str
    key: str
    order_ids: list[str]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    clock = ManualClock()
    services = in_memory_services(clock=clock)
    services = replace(services, tokens=InMemoryOneTimeTokens(clock))
    for provider in PROVIDERS:
        services.deps.catalog.put_provider(provider)
    for offer in offers():
        services.deps.catalog.put_offer(offer)
    key, _ = issue_api_key(services.api_keys, "demo-tl", "schemathesis", clock)
    orders = services.deps.orders
    ids = [store_order(orders, clock, "demo-tl").id for _ in range(8)]
    ids += [
        store_order(orders, clock, "demo-tl", activation_state=state, status=status).id
        for state, status in [
            (ActivationState.ACTIVATED, OrderStatus.IN_PROGRESS),
            (ActivationState.PENDING, OrderStatus.RECEIVED),
            (ActivationState.FAILED, OrderStatus.WAITING),
            (ActivationState.REFUSED, OrderStatus.CANCELLED),
        ]
    ]
    ids.append(
        store_order(
            orders, clock, "demo-tl", activation_state=ActivationState.MANUAL, identified=False
        ).id
    )
    ids.append(store_order(orders, clock, "fiber-ab").id)  # another provider's: a 404
    clock.advance(seconds=10)  # let the change feed hand these out
    use_services(services)
    uninstall_webhooks = _install_in_memory_webhooks()
    server = AppServer(app, "127.0.0.1", 0).start()
    try:
        yield Served(f"{server.url}/tl/v1", key, ids)
    finally:
        server.stop()
        uninstall_webhooks()
        use_services(None)


class _NoNetworkTransport:
    """The API only enqueues deliveries; the worker sends them. Sending from a request
    would be a bug, and must not reach a host the fuzzer made up."""

    def send(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the provider API must not send webhooks itself")


def _install_in_memory_webhooks() -> Callable[[], None]:
    """The /webhook operations share the provider API's document, so they are fuzzed too:
    in memory, with a fixed public address for every host name (no real DNS)."""
    try:
        from chalicelib.webhook_wiring import in_memory_webhook_adapters, use_webhook_adapters
    except ImportError:  # before the webhook endpoints exist
        return lambda: None

    use_webhook_adapters(
        in_memory_webhook_adapters(
            _NoNetworkTransport(),
            allow_insecure=False,
            resolver=lambda host, port: ["93.184.216.34"],
        )
    )
    return lambda: use_webhook_adapters(None)


def _with_known_order_ids(document: dict[str, Any], order_ids: list[str]) -> dict[str, Any]:
    """Random ids matching the pattern would only ever meet 404s; drawing from real ones
    (plus an unknown and a foreign one) reaches the success paths too."""
    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "order_id":
                    parameter["schema"] = {"type": "string", "enum": [*order_ids, UNKNOWN_ID]}
    return document


@pytest.mark.fuzz
def test_every_operation_answers_as_documented(served: Served) -> None:
    document = requests.get(f"{served.base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(_with_known_order_ids(document, served.order_ids))
    deadline = time.monotonic() + TIME_BUDGET_S
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert labels >= {
        "GET /orders",
        "GET /orders/{order_id}",
        "POST /orders/{order_id}/status",
        "POST /orders/{order_id}/messages",
        "GET /orders/{order_id}/events",
        "POST /orders/{order_id}/activation",
        "GET /offers",
        "GET /openapi.json",
    }
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=not long_run(),
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            if time.monotonic() > deadline:
                return
            case.call_and_validate(
                base_url=served.base_url,
                session=session,
                headers={"x-api-key": served.key},
                checks=CHECKS,
                timeout=10,
            )

        check()
    assert time.monotonic() <= deadline, "the schemathesis run exceeded its time budget"
