"""schemathesis against the provider API's own OpenAPI document, over real HTTP.

A short, bounded, deterministic run: at most MAX_EXAMPLES cases per operation, positive
and negative data, and a time budget for the whole run. Checks: no 5xx, every response
matches the schema documented for its status code, and no answer shows another provider's
order, document or form (and never changes the other provider's documents or form).
`make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs twenty times the examples, randomized.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
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
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain import offer_versions
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.documents import add_version
from chalicelib.domain.models import ActivationState, Category, OrderStatus
from chalicelib.domain.offer_versions import OfferContent, catalog_offer_id
from chalicelib.domain.provider_forms import add_form_version
from chalicelib.settings import Settings
from infra.local.appserver import AppServer
from tests.fakes import (
    NETWORK_ID,
    OTHER_PROVIDER_ID,
    PROVIDER_ID,
    FixedClock,
    seed_test_catalog,
)
from tests.hypothesis_profiles import long_run, scaled
from tests.unit.provider_factories import T0, store_order
from tests.unit.test_extension_form_checks import a_form

MAX_EXAMPLES = scaled(25)
TIME_BUDGET_S = 600.0 if long_run() else 60.0
FOREIGN_PROVIDER = OTHER_PROVIDER_ID
FOREIGN_TERMS = "Terms of the other provider only"


# fiber-ab's offers: one it manages through the API, one the operator loaded.
FOREIGN_OFFER_IDS = ("foreign-offer", "fiber-tel")
OFFER_IDS = ("bredband-250", "tl-internet-100", "no-such-offer", *FOREIGN_OFFER_IDS)


def no_foreign_data(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Tenant isolation under fuzzing: test-tl's key never shows fiber-ab's order, offer or
    terms, and another provider's offer is never answered with a success."""
    if FOREIGN_PROVIDER in response.text or FOREIGN_TERMS in response.text:
        raise AssertionError(f"{case.operation.label} showed another provider's data")
    offer_id = (case.path_parameters or {}).get("offer_id")
    if offer_id in FOREIGN_OFFER_IDS and response.status_code < 300:
        raise AssertionError(f"{case.operation.label} answered for another provider's offer")


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    no_foreign_data,
]
UNKNOWN_ID = "ord_01J00000000000000000000000"
REPORT_MONTH = f"{T0:%Y-%m}"


@dataclass(frozen=True)
class Served:
    base_url: str
    key: str
    order_ids: list[str]
    adapters: InMemoryAdapters


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    clock = FixedClock(T0)
    adapters = in_memory_adapters(clock)
    seed_test_catalog(adapters.catalog)
    key, _ = issue_api_key(adapters.api_keys, PROVIDER_ID, "schemathesis", clock)
    orders = adapters.orders
    ids = [store_order(orders, clock, PROVIDER_ID).id for _ in range(8)]
    ids += [
        store_order(orders, clock, PROVIDER_ID, activation_state=state, status=status).id
        for state, status in [
            (ActivationState.ACTIVATED, OrderStatus.IN_PROGRESS),
            (ActivationState.PENDING, OrderStatus.RECEIVED),
            (ActivationState.FAILED, OrderStatus.WAITING),
            (ActivationState.REFUSED, OrderStatus.CANCELLED),
        ]
    ]
    ids.append(
        store_order(
            orders, clock, PROVIDER_ID, activation_state=ActivationState.MANUAL, identified=False
        ).id
    )
    ids.append(store_order(orders, clock, FOREIGN_PROVIDER).id)  # another provider's: a 404
    # The other provider's terms and extension form: never shown, never changed
    add_version(adapters.catalog, FOREIGN_PROVIDER, "terms", now=T0, text=FOREIGN_TERMS)
    add_form_version(
        adapters.provider_forms, adapters.form_definitions, FOREIGN_PROVIDER, a_form(), now=T0
    )
    add_version(adapters.catalog, PROVIDER_ID, "terms", now=T0, text="Our terms")
    offer_versions.put_offer(
        FOREIGN_PROVIDER, "foreign-offer", FOREIGN_OFFER, adapters.catalog, clock.now()
    )
    clock.advance(seconds=10)  # let the change feed hand these out
    use(adapters)
    server = AppServer(app, "127.0.0.1", 0).start()
    try:
        yield Served(f"{server.url}/tl/v1", key, ids, adapters)
    finally:
        server.stop()
        use(None)


class _NoNetworkTransport:
    """The API only enqueues deliveries; the worker sends them. Sending from a request
    would be a bug, and must not reach a host the fuzzer made up."""

    def send(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the provider API must not send webhooks itself")


def in_memory_adapters(clock: FixedClock) -> InMemoryAdapters:
    """Everything in memory. The /webhook operations share the provider API's document, so
    they are fuzzed too: the webhook guard as deployed (no insecure URLs), with a fixed
    public address for every host name (no real DNS)."""
    return InMemoryAdapters(
        Settings(stage="test"),
        clock=clock,
        webhook_transport=_NoNetworkTransport(),
        resolver=lambda host, port: ["93.184.216.34"],
    )


FOREIGN_OFFER = OfferContent(
    name="Fiber 100",
    category=Category.INTERNET,
    city_networks=((NETWORK_ID, "F100"),),
    monthly_price_sek=199,
)


def _with_known_order_ids(document: dict[str, Any], order_ids: list[str]) -> dict[str, Any]:
    """Random ids matching the pattern would only ever meet 404s; drawing from real ones
    (plus an unknown and a foreign one) reaches the success paths too. The same for offer
    ids and an offer body's city network."""
    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "order_id":
                    parameter["schema"] = {"type": "string", "enum": [*order_ids, UNKNOWN_ID]}
                if parameter["name"] == "version":
                    parameter["schema"] = {"type": "string", "enum": ["1", "2", "999999"]}
                # Likewise a random month would only ever be empty: T0's month holds the
                # stored orders (the foreign one among them), the next one none.
                if parameter["name"] == "month":
                    parameter["schema"] = {"type": "string", "enum": [REPORT_MONTH, "2025-04"]}
                if parameter["name"] == "offer_id":
                    parameter["schema"] = {"type": "string", "enum": list(OFFER_IDS)}
    network = document["components"]["schemas"]["CityNetworkIn"]["properties"]
    network["city_network_id"] = {"type": "string", "enum": [NETWORK_ID, "no-such-net"]}
    return document


def _foreign_offers(adapters: InMemoryAdapters) -> list[Any]:
    catalog = adapters.catalog
    return [
        catalog.provider_offer_versions("foreign-offer"),
        catalog.offer_versions("fiber-tel"),
        catalog.offer_versions(catalog_offer_id("foreign-offer", NETWORK_ID)),
    ]


@pytest.mark.fuzz
def test_every_operation_answers_as_documented(served: Served) -> None:
    document = requests.get(f"{served.base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(_with_known_order_ids(document, served.order_ids))
    offers_before = _foreign_offers(served.adapters)
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
        "GET /offers/{offer_id}",
        "PUT /offers/{offer_id}",
        "DELETE /offers/{offer_id}",
        "GET /offers/{offer_id}/versions",
        "GET /openapi.json",
        "PUT /documents/{kind}",
        "GET /documents/{kind}",
        "GET /documents/{kind}/{version}",
        "PUT /form",
        "GET /form",
        "PUT /identity",
        "GET /identity",
        "GET /reports/orders",
        "GET /reports/orders/totals",
    }
    adapters = served.adapters
    foreign_before = (
        adapters.catalog.documents(FOREIGN_PROVIDER, "terms"),
        adapters.catalog.documents(FOREIGN_PROVIDER, "privacy"),
        adapters.provider_forms.current(FOREIGN_PROVIDER),
        adapters.catalog.get_provider(FOREIGN_PROVIDER),
    )
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
    # Whatever the fuzzer put as our provider, the other provider's documents and form
    # are as they were
    assert (
        adapters.catalog.documents(FOREIGN_PROVIDER, "terms"),
        adapters.catalog.documents(FOREIGN_PROVIDER, "privacy"),
        adapters.provider_forms.current(FOREIGN_PROVIDER),
        adapters.catalog.get_provider(FOREIGN_PROVIDER),
    ) == foreign_before
    assert _foreign_offers(served.adapters) == offers_before, "another provider's offer changed"
