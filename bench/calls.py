"""Calls per order: what one customer's whole web journey (bench/journey.py) costs in
city-network calls, DynamoDB requests and SQS requests, for each of the four scenarios.

The app runs in this process on the local stack's pieces (moto's server, the emulator, the
demo data; no SQS worker or stream relay, whose calls are not the customer's), so the
shared RequestCounter sees every request the app's cached clients make; the emulator's
call record counts the city-network calls. Scenario 1's requests are also kept in order:
they are the bare path of the load benchmark.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.connection import connection
from bench.emulator import EmulatorControl
from bench.journey import SCENARIO_ADDRESSES, order_journey
from bench.request_counts import RecordedCall, RequestCounter
from infra.local.stack import LocalStack

ON_API_SCENARIO = "5 ON-API activated"
ON_API_VISITOR, ON_API_OFFER = "127.0.1.2", "demo-tl-onapi-internet-100"

# docs/architecture.md: one port_status per identified visit, one service_deliverable per chosen
# offer, one service_order per order; none for a customer who is not identified.
MINIMUM_CITY_NETWORK_CALLS = {
    "1 activated": {"port_status": 1, "service_deliverable": 1, "service_order": 1},
    "2 refused": {"port_status": 1, "service_deliverable": 1, "service_order": 1},
    "3 not deliverable": {"port_status": 1, "service_deliverable": 1},
    "4 not identified": {},
    # ON-API (docs/architecture.md, "City networks by protocol"): `services` once for the
    # visit and its chosen offer, one `POST orders`; the orderevents pull is shared by all
    # orders and not counted here.
    ON_API_SCENARIO: {"services": 1, "orders": 1},
}
# Variables the stack sets for itself; a value left in this process must not leak into it.
_STACK_OWNED = (
    "AWS_ENDPOINT_URL",
    "TABLE_NAME",
    "ACTIVATION_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "PUBLIC_BASE_URL",
    "STAGE",
    "SECRETS_SSM_PREFIX",
)


class _CustomerPathStack(LocalStack):
    """The local stack without its SQS worker and stream relay."""

    def _start_worker(self, queue_urls: dict[str, str]) -> None:
        return None

    def _start_webhooks(self) -> None:
        return None


def _reset_process_state() -> None:
    """Forget what was built from the environment (settings, adapters, cached clients)."""
    from chalicelib.adapters.aws_clients import reset_clients
    from chalicelib.composition import use
    from chalicelib.settings import settings

    settings.cache_clear()
    use(None)
    reset_clients()


@contextmanager
def customer_path_stack() -> Iterator[LocalStack]:
    """The app served in this process on real adapters; the environment is restored after."""
    saved = dict(os.environ)
    stack = _CustomerPathStack(app_port=0, moto_port=0, emulator_api_port=0, emulator_bounce_port=0)
    try:
        for name in [*_STACK_OWNED, *(k for k in os.environ if k.startswith("SECRET_"))]:
            os.environ.pop(name, None)
        os.environ["TABLE_NAME"] = f"bench-{uuid.uuid4().hex[:8]}"
        _reset_process_state()
        stack.start()
        yield stack
    finally:
        stack.stop()
        # Whatever failed above, the rest of the process gets its environment back.
        os.environ.clear()
        os.environ.update(saved)
        _reset_process_state()


@dataclass
class ScenarioCount:
    city_network: dict[str, int]
    dynamodb: dict[str, int]
    sqs: dict[str, int]
    rru: float
    wru: int
    app_requests: int
    recorded: list[RecordedCall] = field(default_factory=list, repr=False)
    emulator_calls: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def city_network_calls(self) -> int:
        return sum(self.city_network.values())

    @property
    def dynamodb_requests(self) -> int:
        return sum(self.dynamodb.values())

    @property
    def sqs_requests(self) -> int:
        return sum(self.sqs.values())

    @property
    def distinct_keys_read(self) -> int:
        """Different items the journey's GetItem calls read (the rest re-read one)."""
        keys = {
            json.dumps(c.params["Key"], sort_keys=True)
            for c in self.recorded
            if c.operation == "GetItem"
        }
        return len(keys)

    def summary(self) -> dict[str, Any]:
        return {
            "distinct_keys_read": self.distinct_keys_read,
            "city_network": self.city_network,
            "dynamodb": self.dynamodb,
            "sqs": self.sqs,
            "rru": self.rru,
            "wru": self.wru,
            "app_requests": self.app_requests,
        }


def count_scenario(stack: LocalStack, scenario: str) -> ScenarioCount:
    emulator = EmulatorControl(stack.urls["emulator_api"])
    app_url = stack.urls["app"]
    emulator.reset()
    counter = RequestCounter(record=True)
    uninstall = counter.install(connection())
    try:
        journey = order_journey(app_url, SCENARIO_ADDRESSES[scenario])
    finally:
        uninstall()
    calls = emulator.calls()
    api = [c for c in calls if c["kind"] == "api"]
    return ScenarioCount(
        city_network=dict(Counter(c["method"] for c in api)),
        dynamodb=counter.by_service("dynamodb"),
        sqs=counter.by_service("sqs"),
        rru=counter.rru,
        wru=counter.wru,
        app_requests=sum(1 for path, _ in journey.steps if not path.startswith("/bounce")),
        recorded=counter.recorded,
        # The visitor's own bounce visit and the app's Direct Activation calls; not the
        # app's once-a-minute liveness probe of the bounce server (from 127.0.0.1).
        emulator_calls=[c for c in calls if c["kind"] == "api" or c.get("peer") != "127.0.0.1"],
    )


def on_api_method(call: dict[str, Any]) -> str | None:
    """What an ON-API emulator call was, by the spec's resources; None for the background
    poller's calls, which the journey does not wait for and which land inside or after the
    count's window as the 2 s schedule falls: the orderevents pull, its `GET orders/{id}`
    lookup of an event without spReference, and the access sync."""
    path = str(call.get("path", ""))
    method = call.get("method")
    if "/services/" in path:
        return "services"
    if method == "POST" and path.rstrip("/").endswith("/orders"):
        return "orders"
    if "orderevents" in path or "/accesses" in path:
        return None
    if method == "GET" and "/orders/" in path:
        return None
    return f"{call.get('method')} {path}"


def count_on_api(stack: LocalStack) -> ScenarioCount:
    """One order through the ON-API network's portal, counted on the ON-API emulator."""
    emulator = EmulatorControl(stack.urls["onapi_emulator"])
    emulator.reset()
    counter = RequestCounter(record=True)
    uninstall = counter.install(connection())
    try:
        journey = order_journey(stack.urls["app"], ON_API_VISITOR, offer=ON_API_OFFER)
    finally:
        uninstall()
    calls = emulator.calls(kind="api")
    per_order = [m for m in map(on_api_method, calls) if m is not None]
    return ScenarioCount(
        city_network=dict(Counter(per_order)),
        dynamodb=counter.by_service("dynamodb"),
        sqs=counter.by_service("sqs"),
        rru=counter.rru,
        wru=counter.wru,
        app_requests=sum(1 for path, _ in journey.steps if not path.startswith("/portal")),
        recorded=counter.recorded,
        emulator_calls=calls,
    )


def measure() -> dict[str, ScenarioCount]:
    """One journey per scenario, each on a fresh emulator record."""
    with customer_path_stack() as stack:
        # Warm the bounce probe and the clients so each count is one journey's own.
        order_journey(stack.urls["app"], SCENARIO_ADDRESSES["4 not identified"])
        counted = {name: count_scenario(stack, name) for name in SCENARIO_ADDRESSES}
        counted[ON_API_SCENARIO] = count_on_api(stack)
        return counted


if __name__ == "__main__":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    found = measure()
    print(json.dumps({k: v.summary() for k, v in found.items()}, indent=2))
    for call in found["1 activated"].recorded:
        print(call.service, call.operation, json.dumps(call.params)[:600])
    print(json.dumps(found["1 activated"].emulator_calls, indent=1)[:3000])
