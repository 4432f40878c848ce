"""What one order costs in requests, measured: the numbers behind docs/deploy.md's estimate.

One order of each scenario runs through the ordering service (offers_on_access /
check_deliverable / place_order, the customer path) with the real adapters wired as
deployed (the catalog behind its cache): DynamoDB and SQS on moto's server, the city
network as the emulator over HTTP. Each scenario runs once uncounted first, so the count
is a warm process's order, as almost every order is; a cold process adds a few catalog
reads, once per cache period. botocore's event hooks on
the adapters' cached clients (before-parameter-build, once per API call; after-call) count
every DynamoDB and SQS call and size the items read and written, for capacity units (the
counter lives in bench/request_counts.py, shared with `make bench`); the emulator's call
record counts the city-network calls.

The counts go to build/request-counts.json and must equal the table under "Requests per
order (measured)" in docs/deploy.md, so the cost estimate cannot drift from the code.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.request_counts import RequestCounter
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.adapters.sqs import create_queues
from chalicelib.composition import TEST_SECRETS, AwsAdapters
from chalicelib.domain.ordering import (
    Access,
    OrderRequest,
    check_deliverable,
    offers_in_city_network,
    offers_on_access,
    place_order,
)
from chalicelib.domain.ports import Deps
from chalicelib.settings import Settings
from infra.local.seed import seed_catalog
from tests import aws
from tests.fakes import a_customer
from tests.integration.emulator_fixtures import EmulatorHandle, start_emulator

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
COUNTS_FILE = ROOT / "build" / "request-counts.json"
TABLE_HEADING = "### Requests per order (measured)"
OFFER = "demo-tl-internet-100"
COLUMNS = [
    "city-network calls",
    "DynamoDB reads",
    "DynamoDB writes",
    "RRU",
    "WRU",
    "SQS requests",
]


# --- the scenarios -----------------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    yield handle
    handle.stop()


@pytest.fixture
def deps(table_name: str, emulator: EmulatorHandle) -> Deps:
    """The adapters as deployed (the composition root's AWS build), on moto and the emulator."""
    connection = aws.connection()
    queue = f"activation-{uuid.uuid4().hex[:8]}"
    user, password = emulator.auth
    built = AwsAdapters(
        Settings(
            table_name=table_name,
            activation_queue_url=create_queues([queue], connection)[queue],
            aws_endpoint_url=connection.endpoint_url,
            aws_region=connection.region,
        ),
        secrets=StaticSecrets({**TEST_SECRETS, "demo-stadsnat/api": f"{user}:{password}"}),
    )
    seed_catalog(built.catalog, emulator.api_url, emulator.bounce_url)
    return built


def an_order(**fields: Any) -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": OFFER, "customer": a_customer(), "details": {"router": "own"}, **fields}
    )


def identified_order(outlet: str, deps: Deps) -> None:
    """The customer path: the offers on the outlet, the chosen offer checked, the order."""
    access = Access(city_network_id="demo-stadsnat", access_id=outlet)
    offers_on_access(access, deps)
    deliverability, check = check_deliverable(OFFER, access, deps)
    if deliverability.deliverable:
        place_order(an_order(), access, deps, prior_calls=[check])


def unidentified_order(deps: Deps) -> None:
    offers_in_city_network("demo-stadsnat", deps)
    place_order(an_order(city_network_id="demo-stadsnat"), None, deps)


SCENARIOS: dict[str, Callable[[Deps], None]] = {
    "1 activated": lambda deps: identified_order("DEMO-OK-1", deps),
    "2 refused": lambda deps: identified_order("DEMO-REFUSE-1", deps),
    "3 not deliverable": lambda deps: identified_order("DEMO-NONE-1", deps),
    "4 not identified": unidentified_order,
}


def measure(scenario: Callable[[Deps], None], deps: Deps, emulator: EmulatorHandle) -> dict:
    emulator.reset()
    scenario(deps)  # warms the process: the catalog cache, the city-network client
    emulator.reset()  # the outlet as it was, no calls recorded
    counter = RequestCounter()
    uninstall = counter.install(aws.connection())
    try:
        scenario(deps)
    finally:
        uninstall()
    dynamodb = {
        k.split(":", 1)[1]: n for k, n in counter.calls.items() if k.startswith("dynamodb:")
    }
    sqs = {k.split(":", 1)[1]: n for k, n in counter.calls.items() if k.startswith("sqs:")}
    reads = sum(n for op, n in dynamodb.items() if op in {"GetItem", "Query"})
    return {
        "city-network calls": len(emulator.calls(kind="api")),
        "DynamoDB reads": reads,
        "DynamoDB writes": sum(dynamodb.values()) - reads,
        "RRU": counter.rru,
        "WRU": counter.wru,
        "SQS requests": sum(sqs.values()),
        "detail": {
            "city_network": dict(Counter(c["method"] for c in emulator.calls(kind="api"))),
            "dynamodb": dynamodb,
            "sqs": sqs,
        },
    }


def documented_counts() -> dict[str, dict[str, float]]:
    """The markdown table under TABLE_HEADING: scenario -> column -> number."""
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    section = text.split(TABLE_HEADING, 1)[1]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.lstrip().splitlines()
        if line.startswith("|")
    ]
    header, body = rows[0], [r for r in rows[2:]]
    table = {}
    for row in body:
        if len(row) != len(header):
            break
        table[row[0]] = {column: float(row[i]) for i, column in enumerate(header) if i}
    return table


def test_an_orders_requests_match_the_deploy_guide(deps, emulator):
    measured = {name: measure(scenario, deps, emulator) for name, scenario in SCENARIOS.items()}
    COUNTS_FILE.parent.mkdir(exist_ok=True)
    COUNTS_FILE.write_text(json.dumps(measured, indent=2) + "\n")

    # The customer path's promise (docs/architecture.md): one call of each kind it needs, no more.
    assert measured["1 activated"]["detail"]["city_network"] == {
        "port_status": 1,
        "service_deliverable": 1,
        "service_order": 1,
    }
    assert measured["4 not identified"]["city-network calls"] == 0
    assert not any("Scan" in m["detail"]["dynamodb"] for m in measured.values())

    documented = documented_counts()
    assert set(documented) == set(SCENARIOS)
    for name, counts in measured.items():
        assert {c: float(counts[c]) for c in COLUMNS} == documented[name], (
            f"docs/deploy.md is out of date for scenario {name}: measured {counts}"
        )
