"""The four scenarios and the transient path: the ordering service against the emulator
over HTTP, with the DynamoDB store and the SQS queue on moto's server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.adapters.sqs import SqsQueue, create_queues
from chalicelib.composition import AwsAdapters
from chalicelib.domain.activation.messages import ActivationMessage
from chalicelib.domain.models import ActivationState
from chalicelib.domain.ordering import (
    Access,
    OrderRequest,
    check_deliverable,
    offers_in_city_network,
    offers_on_access,
    place_order,
)
from chalicelib.domain.ports import OrderFilter
from chalicelib.settings import Settings
from infra.local.seed import seed_catalog
from tests.aws import connection, sqs_client, table
from tests.fakes import a_customer
from tests.integration.emulator_fixtures import EmulatorHandle, demo_config, start_emulator

DEADLINE_S = 1.0


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    yield handle
    handle.stop()


@pytest.fixture
def queue_url(moto_endpoint: str) -> str:
    name = f"activation-{uuid.uuid4().hex[:8]}"
    return create_queues([name], connection())[name]


@pytest.fixture
def deps(table_name: str, queue_url: str, emulator: EmulatorHandle) -> AwsAdapters:
    """DynamoDB and SQS on moto, the catalog read uncached, the city network's client with
    a short deadline."""
    catalog = DynamoDBCatalog(table(table_name))
    seed_catalog(catalog, emulator.api_url, emulator.bounce_url)
    user, password = emulator.auth
    secrets = StaticSecrets(
        {"demo-stadsnat/api": f"{user}:{password}", "app/signing-key": "integration-test-key"}
    )
    aws = connection()
    settings = Settings(
        table_name=table_name,
        activation_queue_url=queue_url,
        aws_endpoint_url=aws.endpoint_url,
        aws_region=aws.region,
        city_network_deadline_s=DEADLINE_S,
    )
    return AwsAdapters(
        settings, catalog=catalog, activation_queue=RecordingQueue(queue_url), secrets=secrets
    )


def at(access_id: str) -> Access:
    return Access(city_network_id="demo-stadsnat", access_id=access_id)


def an_order(offer_id: str = "demo-tl-internet-100", **fields: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": offer_id, "customer": a_customer(), "details": {"router": "own"}, **fields}
    )


class RecordingQueue(SqsQueue[ActivationMessage]):
    """The real SQS queue, remembering what it sent: retries are delayed by about a
    minute, too long to wait for in a test."""

    def __init__(self, queue_url: str) -> None:
        super().__init__(queue_url, connection())
        self.sent: list[tuple[ActivationMessage, int]] = []

    def send(self, message: ActivationMessage, delay_seconds: int = 0) -> None:
        super().send(message, delay_seconds)
        self.sent.append((message, delay_seconds))


def delayed_in(queue_url: str) -> int:
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def test_scenario_1_the_order_is_activated_and_the_provider_sees_it(deps, emulator):
    # Given a customer at the outlet where everything works
    deliverability, check = check_deliverable("demo-tl-internet-100", at("DEMO-OK-1"), deps)
    assert deliverability.deliverable
    # When they order
    order = place_order(an_order(), at("DEMO-OK-1"), deps, prior_calls=[check])
    # Then it is stored activated, and the city network got exactly one service_order
    stored = deps.orders.get_for_provider(order.id, "demo-tl")
    assert stored.activation.state == ActivationState.ACTIVATED
    [call] = emulator.calls(method="service_order")
    assert call["params"]["socket"] == "DEMO-OK-1"
    assert call["params"]["service_uid"] == "BB100100"
    trail = [e.call.method for e in deps.orders.list_events(order.id) if e.call]
    assert trail == ["service_deliverable", "service_order"]


def test_scenario_2_the_refused_order_is_kept_with_the_city_networks_reason(deps, emulator):
    order = place_order(an_order(), at("DEMO-REFUSE-1"), deps)

    stored = deps.orders.get_for_provider(order.id, "demo-tl")
    assert stored.activation.state == ActivationState.REFUSED
    assert stored.activation.reason is not None
    assert "måste konfigureras" in stored.activation.reason.message
    page = deps.orders.list_for_provider("demo-tl", limit=5, cursor=None, filter=OrderFilter())
    assert [o.id for o in page.items] == [order.id]


def test_scenario_3_nothing_is_deliverable_and_no_order_exists(deps, emulator):
    for offer_id, code in [
        ("demo-tl-internet-100", "426"),
        ("demo-tl-telefoni", "428"),
        ("demo-tl-tv-bas", "500"),
    ]:
        deliverability, _ = check_deliverable(offer_id, at("DEMO-NONE-1"), deps)
        assert (deliverability.deliverable, deliverability.reason_code) == (False, code)
        assert deliverability.customer_message
    page = deps.orders.list_for_provider("demo-tl", limit=5, cursor=None, filter=OrderFilter())
    assert page.items == []
    assert emulator.calls(method="service_order") == []


def test_scenario_4_an_unidentified_order_is_manual_and_calls_nobody(deps, emulator):
    view = offers_in_city_network("demo-stadsnat", deps)
    offer = view.by_category[next(iter(view.by_category))][0]
    order = place_order(an_order(offer.id, city_network_id="demo-stadsnat"), None, deps)

    assert deps.orders.get(order.id).activation.state == ActivationState.MANUAL
    assert emulator.calls(kind="api") == []


def test_the_customer_path_makes_exactly_the_calls_it_needs(deps, emulator):
    # Offers: one port_status. Two chosen offers: one service_deliverable each.
    # Two orders: one service_order each. An unidentified order: nothing.
    offers_on_access(at("DEMO-OK-1"), deps)
    for offer_id in ("demo-tl-internet-100", "demo-tl-tv-bas"):
        check_deliverable(offer_id, at("DEMO-OK-1"), deps)
        place_order(an_order(offer_id), at("DEMO-OK-1"), deps)
    place_order(an_order(city_network_id="demo-stadsnat"), None, deps)

    methods = [c["method"] for c in emulator.calls(kind="api")]
    assert methods.count("port_status") == 1
    assert methods.count("service_deliverable") == 2
    assert methods.count("service_order") == 2
    assert len(methods) == 5


@pytest.mark.parametrize(
    "fault",
    [
        {"http_503": True},
        {"malformed_xml": True},
        {"hang": True, "hang_s": 5},
    ],
    ids=["503", "malformed", "hang-past-deadline"],
)
def test_a_transient_fault_keeps_the_order_pending_and_queues_a_retry(
    deps, emulator, queue_url, fault
):
    # Given a city network that fails the service_order transiently
    config = demo_config()
    config["outlets"]["DEMO-OK-1"]["faults"] = {"service_order": fault}
    emulator.configure(config)
    # When the customer orders
    started = time.monotonic()
    order = place_order(an_order(), at("DEMO-OK-1"), deps)
    elapsed = time.monotonic() - started
    # Then the order is stored pending within the deadline, and a retry waits in the queue
    assert elapsed < DEADLINE_S + 1.5
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.PENDING
    [(message, delay)] = deps.activation_queue.sent
    assert (message.order_id, message.attempt_id) == (order.id, stored.activation.attempt_id)
    assert delay > 0 and delayed_in(queue_url) == 1
    [call] = [e.call for e in deps.orders.list_events(order.id) if e.call]
    assert call.outcome == "transient"
