"""Fault injection on the activation pipeline: the city network down, slow past the
deadline, answering 503 or malformed XML, at submission and during worker runs; a worker
that dies; SQS delivering a message twice. Each test checks that no order is lost and no
activation is ordered twice.

The emulator's `fail_first` makes a fault pass after N calls, so later retries succeed.
Retries ask for a minute or more of DelaySeconds; `NoWaitQueue` (see
test_activation_pipeline.py) sends them without the delay, keeping what was asked for, so
the worker is driven at once. Everything else is real: SQS and DynamoDB on moto, the
emulator over HTTP, the handler run as Lambda's event source mapping would run it.
"""

# The shared pytest fixtures (`world`, `emulator`) are imported from the pipeline tests, so
# test parameters of the same name are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import socket
from typing import Any

import pytest

from chalicelib.composition import use
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.models import ActivationState, Order
from chalicelib.domain.ordering import place_order
from chalicelib.domain.ports import OrderFilter
from chalicelib.workers import activation as worker
from tests.integration.emulator_fixtures import demo_config
from tests.integration.test_activation_pipeline import (  # noqa: F401 - fixtures
    PROVIDER,
    SERVICE_UID,
    World,
    an_order,
    at,
    deliver,
    emulator,
    messages_in,
    receive,
    run_worker,
    successful_orders,
    trail,
    visible_again,
    world,
)

HANG = {"hang": True, "hang_s": 2.5}  # past the 1 s deadline the tests' clients use
FAULTS = {
    "503": {"http_503": True},
    "malformed": {"malformed_xml": True},
    "hang-past-deadline": HANG,
}


def outlets(faults: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The demo configuration plus one healthy outlet per entry, each with its own faults
    (one outlet per order: a service already on a port would reconcile the next order)."""
    config = demo_config()
    healthy = config["outlets"]["DEMO-OK-1"]
    for access_id, outlet_faults in faults.items():
        config["outlets"][access_id] = {**healthy, "faults": outlet_faults}
    return config


def closed_port_url() -> str:
    """An address where nothing listens: connection refused, like a city network down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/da"


def orders_made(world: World, access_id: str) -> list[dict[str, Any]]:
    return [
        c
        for c in world.emulator.calls(method="service_order")
        if c["params"].get("socket") == access_id
    ]


def on_port(world: World, access_id: str) -> list[str]:
    services = world.emulator.emulator.state.services_on_port(access_id) or []
    return [s.service_uid for s in services]


def assert_nothing_left(world: World) -> None:
    assert messages_in(world.queue_url) == 0
    assert messages_in(world.dlq_url) == 0


def pending_with_retry(world: World, access_id: str) -> Order:
    order = place_order(an_order(), at(access_id), world.deps)
    assert world.deps.orders.get(order.id).activation.state == ActivationState.PENDING
    return order


# --- at submission -----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_at_submission_is_retried_by_the_worker_and_activated_once(world, fault):
    # Given a city network whose first service_order fails transiently
    world.emulator.configure(outlets({"F-1": {"service_order": {**fault, "fail_first": 1}}}))
    # When the customer orders, and the worker runs the queued retry
    order = pending_with_retry(world, "F-1")
    [(retry, delay)] = world.queue.sent
    assert (retry.retry_number, retry.origin) == (1, "customer")
    assert 48 <= delay <= 72
    run_worker(world)
    # Then the order is activated, and the city network carried out exactly one order
    stored = world.deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.ACTIVATED
    assert len(successful_orders(world.emulator, "F-1")) == 1
    assert on_port(world, "F-1") == [SERVICE_UID]
    if fault.get("http_503"):
        # Not processed by the city network: the retry found nothing on the port, ordered.
        assert trail(world.deps, order)[-2:] == [("port_status", "ok"), ("service_order", "ok")]
    else:
        # Processed, only the reply was lost: the retry's port_status found it.
        assert len(orders_made(world, "F-1")) == 1
        assert trail(world.deps, order)[-1] == ("port_status", "ok")
    assert_nothing_left(world)


def test_a_city_network_down_at_submission_keeps_the_order_and_the_worker_activates_it(world):
    # Given the city network's API refuses connections
    world.point_city_network_at(closed_port_url())
    # When the customer orders
    order = pending_with_retry(world, "DEMO-OK-1")
    assert trail(world.deps, order) == [("service_order", "transient")]
    # And the worker runs after the city network is back
    world.restore_city_network()
    run_worker(world)
    # Then it is activated with the city network's only service_order
    assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    assert len(orders_made(world, "DEMO-OK-1")) == 1
    assert_nothing_left(world)


# --- during worker runs ------------------------------------------------------------------------


def refused_then_triggered(world: World, fault: dict[str, Any] | None) -> Order:
    """Scenario 2's order, triggered by the provider once the cause is remedied, with
    `fault` on the city network's next service_order."""
    order = place_order(an_order(), at("DEMO-REFUSE-1"), world.deps)
    config = demo_config()
    config["outlets"]["DEMO-REFUSE-1"]["service_order"] = {"mode": "succeed"}
    if fault is not None:
        config["outlets"]["DEMO-REFUSE-1"]["faults"] = {"service_order": fault}
    world.emulator.configure(config)
    request_activation(order.id, PROVIDER, None, world.deps)
    return order


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_during_a_worker_run_is_retried_and_activated_once(world, fault):
    order = refused_then_triggered(world, {**fault, "fail_first": 1})

    assert run_worker(world) == 2  # the provider's message, then one retry

    stored = world.deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.ACTIVATED
    assert len(successful_orders(world.emulator, "DEMO-REFUSE-1")) == 1
    assert [m.retry_number for m, _ in world.queue.sent] == [0, 1]
    assert_nothing_left(world)


def test_a_city_network_down_during_a_worker_run_is_retried_once_it_is_back(world):
    order = refused_then_triggered(world, None)
    world.point_city_network_at(closed_port_url())
    # The provider's message meets a city network that is down: a retry is queued.
    deliver(world, receive(world.queue_url))
    assert world.deps.orders.get(order.id).activation.state == ActivationState.PENDING
    assert [m.retry_number for m, _ in world.queue.sent] == [0, 1]

    world.restore_city_network()
    run_worker(world)

    assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    assert len(successful_orders(world.emulator, "DEMO-REFUSE-1")) == 1
    assert trail(world.deps, order)[-3:] == [
        ("service_order", "transient"),
        ("port_status", "ok"),
        ("service_order", "ok"),
    ]
    assert_nothing_left(world)


def test_an_order_that_took_effect_but_lost_its_reply_is_found_on_the_port(world):
    # Given the city network activates the service but the reply is lost (a 503 after
    # the work was done)
    order = refused_then_triggered(world, {"http_503": True, "takes_effect": True, "fail_first": 1})
    # When the worker runs the provider's message and its retry
    run_worker(world)
    # Then the retry's port_status found the service: activated, and never ordered again
    assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    provider_orders = orders_made(world, "DEMO-REFUSE-1")[1:]  # after the refused one
    assert [c["status"] for c in provider_orders] == [503]
    assert on_port(world, "DEMO-REFUSE-1") == [SERVICE_UID]
    assert trail(world.deps, order)[-2:] == [("service_order", "transient"), ("port_status", "ok")]
    assert_nothing_left(world)


# --- the worker and SQS misbehaving ------------------------------------------------------------


def three_pending_orders(world: World) -> list[Order]:
    """Three orders whose submission met a 503: three retries waiting in the queue."""
    once_503 = {"service_order": {"http_503": True, "fail_first": 1}}
    world.emulator.configure(outlets({f"F-{i}": once_503 for i in range(3)}))
    return [pending_with_retry(world, f"F-{i}") for i in range(3)]


def test_a_worker_that_dies_mid_batch_gets_the_batch_back_without_ordering_twice(world):
    orders = three_pending_orders(world)
    batch = receive(world.queue_url)
    assert len(batch) == 3

    def dies_after_the_first_record(event: dict[str, Any], context: Any) -> Any:
        worker.handle_activation_messages({"Records": event["Records"][:1]}, context)
        raise RuntimeError("Lambda timed out")  # nothing reported: the whole batch returns

    # When the invocation dies after one record
    deliver(world, batch, dies_after_the_first_record)
    assert messages_in(world.queue_url) == 3  # nothing was deleted
    # And the batch comes back after the visibility timeout
    visible_again(world.queue_url, batch)
    run_worker(world)
    # Then every order is activated with one service_order each
    for i, order in enumerate(orders):
        assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
        assert len(successful_orders(world.emulator, f"F-{i}")) == 1
    assert_nothing_left(world)


class WorkerKilled(BaseException):
    """The process ends (out of memory, timeout): nothing in the handler can catch it."""


class KilledOnFirstWrite:
    """The order store of a worker killed between the city network's reply and the write."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.killed = False

    def replace(self, order: Order, expected_version: int, events: list[Any]) -> None:
        if not self.killed:
            self.killed = True
            raise WorkerKilled
        self._store.replace(order, expected_version, events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def three_triggered_orders(world: World) -> list[Order]:
    """Three refused orders the provider triggered again: three provider messages (step 0,
    which orders without asking the port first) waiting in the queue."""
    config = demo_config()
    refusing = config["outlets"]["DEMO-REFUSE-1"]
    access_ids = [f"R-{i}" for i in range(3)]
    for access_id in access_ids:
        config["outlets"][access_id] = dict(refusing)
    world.emulator.configure(config)
    orders = [place_order(an_order(), at(access_id), world.deps) for access_id in access_ids]
    for access_id in access_ids:
        config["outlets"][access_id] = {**refusing, "service_order": {"mode": "succeed"}}
    world.emulator.configure(config)
    for order in orders:
        request_activation(order.id, PROVIDER, None, world.deps)
    return orders


def test_a_worker_killed_after_the_city_network_answered_does_not_order_again(world):
    orders = three_triggered_orders(world)
    batch = receive(world.queue_url)
    assert len(batch) == 3
    healthy = world.adapters
    use(healthy.replaced(orders=KilledOnFirstWrite(healthy.orders)))
    # When the worker is killed right after the first service_order was carried out
    with pytest.raises(WorkerKilled):
        deliver(world, batch)
    killed_in = [c for c in world.emulator.calls(method="service_order") if c["status"] == 200]
    assert len(killed_in) == 1
    # And a fresh worker gets the batch back
    use(healthy)
    visible_again(world.queue_url, batch)
    run_worker(world)
    # Then the remembered reply was recorded, not ordered again: one service_order per
    # order, all activated
    for i, order in enumerate(orders):
        assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
        assert len(successful_orders(world.emulator, f"R-{i}")) == 1
    assert_nothing_left(world)


def test_the_same_message_delivered_twice_orders_once(world):
    # Given a city network answering 503 to every service_order for now (no `fail_first`:
    # a second call for the same step would show as one more 503)
    world.emulator.configure(outlets({"F-1": {"service_order": {"http_503": True}}}))
    order = pending_with_retry(world, "F-1")
    # And SQS hands the first retry out twice (at-least-once delivery)
    [message] = receive(world.queue_url)
    visible_again(world.queue_url, [message])
    [again] = receive(world.queue_url)
    assert again["Body"] == message["Body"]
    # When both deliveries reach the worker, in separate invocations
    deliver(world, [message])
    deliver(world, [again])
    # And the same body is sent once more (a duplicate send), the city network recovers,
    # and the queue drains
    first_retry = world.queue.sent[0][0]
    world.deps.activation_queue.send(first_retry)
    world.emulator.configure(outlets({"F-1": {}}))
    run_worker(world)
    # Then each step ordered once: the submission and retry 1 (503s), retry 2 (200)
    assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    assert [c["status"] for c in orders_made(world, "F-1")] == [503, 503, 200]
    assert [m.retry_number for m, _ in world.queue.sent] == [1, 2, 1]  # 1: the duplicate
    assert_nothing_left(world)


# --- many orders across faults -----------------------------------------------------------------


def test_n_orders_across_faults_are_all_stored_and_each_activated_exactly_once(world):
    once = {"fail_first": 1}
    twice = {"fail_first": 2}
    faults: dict[str, dict[str, Any]] = {
        "N-0": {},
        "N-1": {"service_order": {"http_503": True, **once}},
        "N-2": {"service_order": {"malformed_xml": True, **once}},
        "N-3": {"service_order": {**HANG, **once}},
        "N-4": {"service_order": {"http_503": True, **twice}},
        "N-5": {
            "service_order": {"http_503": True, **once},
            "port_status": {"http_503": True, **once},
        },
        "N-6": {"service_order": {**HANG, **once}, "port_status": {"malformed_xml": True, **once}},
        "N-7": {"service_order": {"http_503": True, **once}, "port_status": {**HANG, **once}},
        "N-8": {},  # submitted while the city network is down
        "N-9": {},  # submitted while the city network is down
    }
    world.emulator.configure(outlets(faults))
    down = ("N-8", "N-9")
    # When N customers order, two of them while the city network is down
    orders = {
        access: place_order(an_order(), at(access), world.deps)
        for access in faults
        if access not in down
    }
    world.point_city_network_at(closed_port_url())
    for access in down:
        orders[access] = place_order(an_order(), at(access), world.deps)
    world.restore_city_network()
    # And the worker drains the queue
    run_worker(world)
    # Then N orders are stored, all activated, each carried out exactly once by the city
    # network, and nothing is left in the queue or its DLQ
    page = world.deps.orders.list_for_provider(
        PROVIDER, limit=50, cursor=None, filter=OrderFilter()
    )
    assert {o.id for o in page.items} == {o.id for o in orders.values()}
    assert len(page.items) == len(faults)
    for access, order in orders.items():
        stored = world.deps.orders.get(order.id)
        assert stored.activation.state == ActivationState.ACTIVATED, access
        assert len(successful_orders(world.emulator, access)) == 1, access
        assert on_port(world, access) == [SERVICE_UID], access
    assert_nothing_left(world)
