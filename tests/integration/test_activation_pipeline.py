"""Scenario 2 end to end: refused at submission, triggered again by the provider, carried
through the activation queue by the worker. The city-network emulator over HTTP; the
DynamoDB table, the one-time tokens and the SQS queue (with its DLQ) on moto's server; the
worker fed like Lambda's event source mapping by the local stack's SqsWorker.

The helpers here are shared with test_activation_faults.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.app import Chalice, SQSEventConfig

from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.adapters.sqs import SqsQueue, create_queues
from chalicelib.composition import AwsAdapters, use
from chalicelib.domain.activation.messages import ActivationMessage
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.clock import SystemClock, today_in_sweden
from chalicelib.domain.models import ActivationState, Order, OrderEventKind
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.ports import Deps
from chalicelib.settings import Settings
from chalicelib.workers import activation as worker
from infra.local.seed import demo_city_network, seed_catalog
from infra.local.worker import SqsWorker
from tests.aws import connection, sqs_client, table
from tests.fakes import a_customer
from tests.integration.emulator_fixtures import EmulatorHandle, demo_config, start_emulator

DEADLINE_S = 1.0
PROVIDER = "demo-tl"
CITY_NETWORK = "demo-stadsnat"
SERVICE_UID = "BB100100"  # the service of the offer below

Handler = Callable[[dict[str, Any], Any], Any]


class NoWaitQueue(SqsQueue[ActivationMessage]):
    """The real SQS queue, with every wait taken as already over: retries ask for a minute
    or more (DelaySeconds), which a test cannot spend. The delay each send asked for is
    kept in `sent` so the backoff itself stays checked."""

    def __init__(self, queue_url: str) -> None:
        super().__init__(queue_url, connection())
        self.url = queue_url
        self.sent: list[tuple[ActivationMessage, int]] = []

    def send(self, message: ActivationMessage, delay_seconds: int = 0) -> None:
        self.sent.append((message, delay_seconds))
        super().send(message, delay_seconds=0)


@dataclass
class World:
    """Everything one test talks to; `adapters` is what the worker's handler uses."""

    emulator: EmulatorHandle
    table_name: str
    queue_url: str
    dlq_url: str
    catalog: DynamoDBCatalog
    queue: NoWaitQueue
    adapters: AwsAdapters

    @property
    def deps(self) -> Deps:
        return self.adapters

    def point_city_network_at(self, api_url: str) -> None:
        """Moves the city network's API (e.g. to a closed port) for both the customer's
        path and the worker: fresh adapters, with fresh city-network clients."""
        self.catalog.put_city_network(demo_city_network(api_url, self.emulator.bounce_url))
        self.adapters = build_adapters(self.table_name, self.catalog, self.queue, self.emulator)
        use(self.adapters)

    def restore_city_network(self) -> None:
        self.point_city_network_at(self.emulator.api_url)


def build_adapters(
    table_name: str, catalog: DynamoDBCatalog, queue: NoWaitQueue, emulator: EmulatorHandle
) -> AwsAdapters:
    """DynamoDB and SQS on moto; the catalog read uncached (tests move the city network's
    API) and the city networks' clients with a short deadline."""
    user, password = emulator.auth
    secrets = StaticSecrets(
        {"demo-stadsnat/api": f"{user}:{password}", "app/signing-key": "integration-test-key"}
    )
    aws = connection()
    settings = Settings(
        table_name=table_name,
        activation_queue_url=queue.url,
        aws_endpoint_url=aws.endpoint_url,
        aws_region=aws.region,
        city_network_deadline_s=DEADLINE_S,
    )
    return AwsAdapters(settings, catalog=catalog, activation_queue=queue, secrets=secrets)


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    yield handle
    handle.stop()


@pytest.fixture
def world(moto_endpoint: str, table_name: str, emulator: EmulatorHandle) -> Iterator[World]:
    name = f"activation-{uuid.uuid4().hex[:8]}"
    urls = create_queues([name], connection())
    catalog = DynamoDBCatalog(table(table_name))
    seed_catalog(catalog, emulator.api_url, emulator.bounce_url)
    queue = NoWaitQueue(urls[name])
    adapters = build_adapters(table_name, catalog, queue, emulator)
    use(adapters)
    yield World(
        emulator=emulator,
        table_name=table_name,
        queue_url=urls[name],
        dlq_url=urls[f"{name}-dlq"],
        catalog=catalog,
        queue=queue,
        adapters=adapters,
    )
    use(None)


# --- driving the worker ----------------------------------------------------------------------


def worker_app() -> Chalice:
    app = Chalice(app_name="activation-worker-test")
    app.register_blueprint(worker.bp)
    return app


def receive(queue_url: str, max_messages: int = 10) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = (
        sqs_client()
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    return received


def deliver(world: World, messages: list[dict[str, Any]], handler: Handler | None = None) -> None:
    """One Lambda invocation over `messages`, as the local stack's worker makes it:
    successes deleted, reported failures left for SQS to bring back."""
    app = worker_app()
    [source] = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    sqs_worker = SqsWorker(app, {source.queue or "": world.queue_url})
    arn = sqs_client().get_queue_attributes(QueueUrl=world.queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sqs_worker.deliver(
        source, handler or worker.handle_activation_messages, world.queue_url, arn, messages
    )


def run_worker(world: World, *, max_batches: int = 50) -> int:
    """Deliver batches until the queue is empty; returns how many messages were handled."""
    handled = 0
    for _ in range(max_batches):
        messages = receive(world.queue_url)
        if not messages:
            return handled
        handled += len(messages)
        deliver(world, messages)
    raise AssertionError("the activation queue never drained")


def visible_again(queue_url: str, messages: list[dict[str, Any]]) -> None:
    """What the queue's visibility timeout does after a worker died: the messages come
    back. Set to zero instead of waiting the queue's 60 s."""
    sqs_client().change_message_visibility_batch(
        QueueUrl=queue_url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages)
        ],
    )


def messages_in(queue_url: str) -> int:
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


# --- orders ------------------------------------------------------------------------------------


def at(access_id: str) -> Access:
    return Access(city_network_id=CITY_NETWORK, access_id=access_id)


def an_order() -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": "demo-tl-internet-100", "customer": a_customer(), "details": {}}
    )


def successful_orders(emulator: EmulatorHandle, access_id: str) -> list[dict[str, Any]]:
    """service_order calls the city network carried out (status 200, whatever the reply
    looked like on the way back)."""
    return [
        c
        for c in emulator.calls(method="service_order")
        if c["params"].get("socket") == access_id and c["status"] == 200
    ]


def trail(deps: Deps, order: Order) -> list[tuple[str, str]]:
    return [(e.call.method, e.call.outcome) for e in deps.orders.list_events(order.id) if e.call]


# --- scenario 2 --------------------------------------------------------------------------------


def test_scenario_2_refused_then_triggered_by_the_provider_ends_activated(world):
    deps = world.deps
    # Given an order the city network refused at submission (the CPE must be configured)
    order = place_order(an_order(), at("DEMO-REFUSE-1"), deps)
    assert deps.orders.get(order.id).activation.state == ActivationState.REFUSED
    # When the provider has remedied the cause and triggers the activation
    pending = request_activation(order.id, PROVIDER, None, deps)
    assert pending.activation.state == ActivationState.PENDING
    # And the worker processes the activation queue
    assert run_worker(world) == 1
    # Then the order is activated, today, with every attempt in its events
    stored = deps.orders.get_for_provider(order.id, PROVIDER)
    assert stored.activation.state == ActivationState.ACTIVATED
    assert stored.activation.date == today_in_sweden(SystemClock())
    assert stored.activation.reason is None
    assert stored.activation.attempts == 2
    assert trail(deps, order) == [("service_order", "refused"), ("service_order", "ok")]
    kinds = [e.kind for e in deps.orders.list_events(order.id)]
    assert kinds.count(OrderEventKind.ACTIVATION_REQUESTED) == 1
    changed = [e for e in deps.orders.list_events(order.id) if e.webhook_type]
    assert [e.activation_state for e in changed] == [
        ActivationState.PENDING,  # order.created, before the first service_order
        ActivationState.REFUSED,
        ActivationState.PENDING,  # the provider's trigger
        ActivationState.ACTIVATED,
    ]
    # And the city network saw two service_orders: the refused one and the provider's
    calls = world.emulator.calls(method="service_order")
    assert [c["status"] for c in calls] == [500, 200]
    assert [c["params"]["origin"] for c in calls] == ["customer", "provider"]
    assert calls[1]["params"]["order"] == order.id
    assert messages_in(world.queue_url) == 0


def test_scenario_2_with_a_provider_chosen_date_ends_scheduled(world):
    deps = world.deps
    order = place_order(an_order(), at("DEMO-REFUSE-1"), deps)
    later = today_in_sweden(SystemClock()) + timedelta(days=7)

    request_activation(order.id, PROVIDER, later, deps)
    run_worker(world)

    stored = deps.orders.get(order.id)
    assert (stored.activation.state, stored.activation.date) == (ActivationState.SCHEDULED, later)
    [_, triggered] = world.emulator.calls(method="service_order")
    assert triggered["params"]["date"] == later.isoformat()


def test_scenario_2_refused_again_keeps_the_new_reason(world):
    deps = world.deps
    order = place_order(an_order(), at("DEMO-REFUSE-1"), deps)
    first_reason = deps.orders.get(order.id).activation.reason
    assert first_reason is not None
    # Given the city network now refuses every order, for another reason
    config = demo_config()
    config["outlets"]["DEMO-REFUSE-1"]["service_order"] = {
        "mode": "always_refuse",
        "code": 428,
        "message": "Fiberboxen räcker inte och måste bytas",
    }
    world.emulator.configure(config)
    # When the provider triggers the activation and the worker runs
    request_activation(order.id, PROVIDER, None, deps)
    run_worker(world)
    # Then the order is refused again, with the new reason, and nothing is retried
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.REFUSED
    assert stored.activation.reason is not None
    assert stored.activation.reason.code == "428"
    assert stored.activation.reason.message == "Fiberboxen räcker inte och måste bytas"
    assert stored.activation.reason != first_reason
    assert trail(deps, order) == [("service_order", "refused"), ("service_order", "refused")]
    assert world.queue.sent[-1][0].retry_number == 0  # only the provider's message
    assert messages_in(world.queue_url) == 0
    # And once the cause is remedied the provider can trigger again
    config["outlets"]["DEMO-REFUSE-1"]["service_order"] = {"mode": "succeed"}
    world.emulator.configure(config)
    request_activation(order.id, PROVIDER, None, deps)
    run_worker(world)
    assert deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED


def test_a_provider_triggered_attempt_retries_a_transient_fault_and_then_activates(world):
    deps = world.deps
    order = place_order(an_order(), at("DEMO-REFUSE-1"), deps)
    # Given the provider remedied the cause, and the city network answers 503 once
    # (a new configuration also restarts the emulator's refuse-first counters)
    config = demo_config()
    config["outlets"]["DEMO-REFUSE-1"]["service_order"] = {"mode": "succeed"}
    config["outlets"]["DEMO-REFUSE-1"]["faults"] = {
        "service_order": {"http_503": True, "fail_first": 1}
    }
    world.emulator.configure(config)

    request_activation(order.id, PROVIDER, None, deps)
    assert run_worker(world) == 2  # the provider's message, then the retry

    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.ACTIVATED
    # The retry waited about a minute (skipped here) and asked the port first.
    [(_, first_delay), (retry, retry_delay)] = world.queue.sent
    assert (first_delay, retry.retry_number, retry.origin) == (0, 1, "provider")
    assert 48 <= retry_delay <= 72
    assert trail(deps, order) == [
        ("service_order", "refused"),
        ("service_order", "transient"),
        ("port_status", "ok"),
        ("service_order", "ok"),
    ]
    assert len(successful_orders(world.emulator, "DEMO-REFUSE-1")) == 1


def test_an_unprocessable_message_ends_in_the_dead_letter_queue(world):
    # Given a body no worker can ever process
    sqs_client().send_message(QueueUrl=world.queue_url, MessageBody='{"order_id": 42}')
    # When it fails as often as the redrive policy allows (maxReceiveCount 5)
    for _ in range(5):
        messages = receive(world.queue_url)
        assert len(messages) == 1
        deliver(world, messages)
        visible_again(world.queue_url, messages)
    # Then SQS moves it to the DLQ instead of handing it out again
    assert receive(world.queue_url) == []
    [dead] = receive(world.dlq_url)
    assert dead["Body"] == '{"order_id": 42}'
