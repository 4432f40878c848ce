"""Fault injection across ordering, activation and webhooks, each checking that nothing is
lost or doubled: N orders placed through the ordering service against the city-network
emulator (some with transient faults, one refused then triggered again, one not
identified), the activation worker retrying, and a webhook receiver that is down for a
while and then flaky. Plus the webhook worker dying mid-batch and SQS delivering a webhook
message twice.

Real: DynamoDB and SQS on moto, the table's stream, the emulator and the receiver over
HTTP. Waits are short: the retry schedule is injected (short_schedule), and the activation
queue sends retries without their minute-long delays (NoWaitQueue).
"""

# The activation pipeline's fixtures (`world`, `emulator`) are imported by name, so test
# parameters of the same name are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.schema import table_stream_arn
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.models import ActivationState, Order
from chalicelib.domain.ordering import OrderRequest, place_order
from chalicelib.domain.ports import OrderFilter
from chalicelib.domain.webhooks import DeliveryState, webhook_id_for
from chalicelib.workers import webhooks as webhook_worker
from infra.local.streams import StreamPoller
from infra.local.worker import SqsWorker
from tests.aws import sqs_client, table
from tests.fakes import a_customer, wait_until
from tests.integration.emulator_fixtures import demo_config
from tests.integration.test_activation_pipeline import (  # noqa: F401 - fixtures
    PROVIDER,
    World,
    an_order,
    at,
    emulator,
    run_worker,
    successful_orders,
    world,
)
from tests.webhook_receiver import Reply

from .webhook_harness import Pipeline, running_pipeline, short_schedule, webhook_event_source

HEALTHY = ["W-OK-1", "W-OK-2"]
FAULTY = {
    "W-503": {"service_order": {"http_503": True, "fail_first": 1}},
    "W-MALFORMED": {"service_order": {"malformed_xml": True, "fail_first": 1}},
    "W-SLOW": {"service_order": {"hang": True, "hang_s": 2.5, "fail_first": 1}},
}
REFUSING = "W-REFUSE"


def outlets() -> dict[str, Any]:
    """One outlet per order (a service already on a port would reconcile the next one)."""
    config = demo_config()
    healthy = config["outlets"]["DEMO-OK-1"]
    for access_id in HEALTHY:
        config["outlets"][access_id] = dict(healthy)
    for access_id, faults in FAULTY.items():
        config["outlets"][access_id] = {**healthy, "faults": faults}
    config["outlets"][REFUSING] = dict(config["outlets"]["DEMO-REFUSE-1"])
    return config


def webhook_events(pipeline: Pipeline, orders: list[Order]) -> dict[str, str]:
    """Every outbox entry of these orders: webhook-id -> event type."""
    found = {}
    for order in orders:
        for event in pipeline.adapters.orders.list_events(order.id):
            if event.webhook_type is not None:
                found[webhook_id_for(event.id)] = event.webhook_type
    return found


def all_delivered(pipeline: Pipeline, orders: list[Order]) -> bool:
    expected = set(webhook_events(pipeline, orders))
    done = {
        d.webhook_id for d in pipeline.deliveries(PROVIDER) if d.state == DeliveryState.SUCCEEDED
    }
    return expected <= done


def test_n_orders_with_faults_are_stored_activated_once_and_every_event_arrives_signed(
    world: World,
) -> None:
    world.emulator.configure(outlets())
    with running_pipeline(
        world.table_name, adapters=world.adapters, schedule=short_schedule(wait_s=1)
    ) as pipeline:
        secret = pipeline.configure(PROVIDER)
        # Given the provider's receiver is down while the customers order
        pipeline.receiver.down()
        identified = [*HEALTHY, *FAULTY, REFUSING]
        orders = [place_order(an_order(), at(access_id), world.deps) for access_id in identified]
        unidentified = OrderRequest.model_validate(
            {
                "offer_id": "demo-tl-internet-100",
                "customer": a_customer(),
                "details": {},
                "city_network_id": "demo-stadsnat",
            }
        )
        orders.append(place_order(unidentified, None, world.deps))
        # And the activation worker retries the transient faults
        run_worker(world)
        # And the provider triggers the refused activation again
        refused = orders[identified.index(REFUSING)]
        assert world.deps.orders.get(refused.id).activation.state == ActivationState.REFUSED
        request_activation(refused.id, PROVIDER, None, world.deps)
        run_worker(world)
        wait_until(
            lambda: any(
                a.error == "connection_refused"
                for d in pipeline.deliveries(PROVIDER)
                for a in d.attempts
            ),
            what="attempts failing while the receiver is down",
        )
        # When the receiver comes back, answering 503 and 500 before it recovers fully
        pipeline.receiver.script(Reply(503), Reply(500))
        pipeline.receiver.up()
        wait_until(lambda: all_delivered(pipeline, orders), timeout_s=40, what="every event")

        # Then there are N stored orders
        page = world.deps.orders.list_for_provider(
            PROVIDER, limit=100, cursor=None, filter=OrderFilter()
        )
        assert sorted(o.id for o in page.items) == sorted(o.id for o in orders)
        # And each identified order was activated by exactly one successful service_order
        for order, access_id in zip(orders, identified, strict=False):
            assert world.deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
            assert len(successful_orders(world.emulator, access_id)) == 1, access_id
        assert world.deps.orders.get(orders[-1].id).activation.state == ActivationState.MANUAL
        # And every order.created / activation_changed event arrived, signed with the secret
        expected = webhook_events(pipeline, orders)
        assert set(expected.values()) == {"order.created", "order.activation_changed"}
        received = pipeline.receiver.received
        verified = {r.headers["webhook-id"] for r in received if r.verifies_with(secret)}
        assert set(expected) <= verified
        assert all(r.verifies_with(secret) for r in received)
        # And nothing was doubled: one delivery per event, one body per webhook-id
        assert len(pipeline.deliveries(PROVIDER)) == len(expected)
        bodies: dict[str, set[bytes]] = {}
        for r in received:
            bodies.setdefault(r.headers["webhook-id"], set()).add(r.body)
        assert all(len(b) == 1 for b in bodies.values())
        for r in received:
            assert r.payload["type"] == expected[r.headers["webhook-id"]]


# --- the webhook worker itself ----------------------------------------------------------


def _receive(queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (
        sqs_client()
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    return messages


def _feed(pipeline: Pipeline, messages: list[dict[str, Any]], handler: Any = None) -> None:
    import app as app_module

    source = webhook_event_source()
    worker = SqsWorker(app_module.app, {source.queue or "": pipeline.queue_url})
    arn = sqs_client().get_queue_attributes(
        QueueUrl=pipeline.queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    worker.deliver(
        source, handler or webhook_worker.deliver_webhooks, pipeline.queue_url, arn, messages
    )


def _orders_with_events(world: World, count: int) -> list[Order]:
    world.emulator.configure(outlets())
    return [place_order(an_order(), at(HEALTHY[i % 2]), world.deps) for i in range(count)]


def test_the_same_webhook_message_twice_is_sent_once(world: World) -> None:
    with running_pipeline(world.table_name, adapters=world.adapters, start_workers=False) as p:
        secret = p.configure(PROVIDER)
        _orders_with_events(world, 1)
        StreamPoller(__import__("app").app, table_stream_arn(table(world.table_name))).drain()
        messages = _receive(p.queue_url)
        assert messages
        # SQS hands a message over again (at least once), e.g. after its visibility
        # timeout lapsed while the first copy was still being processed
        _feed(p, messages)
        _feed(p, messages[:1])
        assert len(p.receiver.received) == len(messages)
        assert all(r.verifies_with(secret) for r in p.receiver.received)
        assert _receive(p.queue_url) == []


def test_a_webhook_worker_dying_mid_batch_loses_and_doubles_nothing(world: World) -> None:
    with running_pipeline(world.table_name, adapters=world.adapters, start_workers=False) as p:
        secret = p.configure(PROVIDER)
        orders = _orders_with_events(world, 3)
        StreamPoller(__import__("app").app, table_stream_arn(table(world.table_name))).drain()
        batch = _receive(p.queue_url)
        assert len(batch) == len(webhook_events(p, orders))

        def dies_after_two(event: dict[str, Any], context: Any) -> Any:
            webhook_worker.deliver_webhooks({"Records": event["Records"][:2]}, context)
            raise RuntimeError("the Lambda runtime died")

        # When the worker dies after two of the batch's messages were sent
        _feed(p, batch, dies_after_two)
        assert len(p.receiver.received) == 2
        # Then every message comes back (nothing was deleted) and is run again
        sqs_client().change_message_visibility_batch(
            QueueUrl=p.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(batch)
            ],
        )
        again = _receive(p.queue_url)
        assert len(again) == len(batch)
        _feed(p, again)
        # And each event reached the receiver exactly once, signed
        ids = [r.headers["webhook-id"] for r in p.receiver.received]
        assert sorted(ids) == sorted(webhook_events(p, orders))
        assert all(r.verifies_with(secret) for r in p.receiver.received)
        assert _receive(p.queue_url) == []
