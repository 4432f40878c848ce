"""The webhook entry points as Lambda calls them: partial batch failures for the SQS
delivery worker and the stream relay, over in-memory adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.local import LambdaContext

from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.models import ActivationState, OrderEvent, OrderEventKind
from chalicelib.domain.webhook_delivery import configure_endpoint, relay_event
from chalicelib.settings import settings
from chalicelib.workers import webhooks as worker
from tests.fakes import FixedClock

from .provider_factories import make_order
from .test_webhook_delivery import ScriptedTransport

A = "prov-a"


@pytest.fixture
def adapters() -> Iterator[InMemoryAdapters]:
    installed = InMemoryAdapters(
        clock=FixedClock(),
        webhook_transport=ScriptedTransport(),
        resolver=lambda host, port: ["93.184.216.34"],
    )
    use(installed)
    configure_endpoint(A, "https://hooks.example.com/in", None, installed)
    yield installed
    use(None)


def context() -> LambdaContext:
    return LambdaContext(function_name="test", memory_size=256, max_runtime_ms=60_000)


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "rh-" + message_id,
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:stadsnatsfabriken-webhook",
        "awsRegion": "eu-north-1",
    }


def stream_record(sequence: str, image: dict[str, Any], name: str = "INSERT") -> dict[str, Any]:
    return {
        "eventID": sequence,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-north-1",
        "eventSourceARN": settings().table_stream_arn,
        "dynamodb": {
            "ApproximateCreationDateTime": 1740000000.0,
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def an_event() -> OrderEvent:
    order = make_order(A, FixedClock().now())
    return OrderEvent(
        id=new_event_id(order.created_at),
        order_id=order.id,
        provider_id=A,
        kind=OrderEventKind.ORDER_CREATED,
        at=order.created_at,
        actor="customer",
        webhook_type="order.created",
        order_snapshot=order,
    )


def test_an_unprocessable_message_alone_is_reported_failed(adapters: InMemoryAdapters) -> None:
    delivery = relay_event(an_event(), adapters)
    assert delivery is not None
    queue = adapters.webhook_queue
    assert isinstance(queue, InMemoryQueue)
    [(message, _)] = queue.take()
    event = {
        "Records": [
            sqs_record("good", message.model_dump_json()),
            sqs_record("bad", json.dumps({"delivery_id": "nonsense"})),
        ]
    }
    response = worker.deliver_webhooks(event, context())
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert adapters.webhook_store.get_delivery(A, delivery.id).state == "succeeded"


def test_the_relay_queues_outbox_events_and_skips_everything_else(
    adapters: InMemoryAdapters,
) -> None:
    event = an_event()
    outbox = {
        "pk": {"S": f"ORDER#{event.order_id}"},
        "sk": {"S": f"EVENT#{event.id}"},
        "doc": {"S": event.model_dump_json()},
    }
    audit = event.model_copy(update={"id": new_event_id(), "webhook_type": None})
    records = [
        stream_record("1", {"pk": {"S": "ORDER#x"}, "sk": {"S": "ORDER"}, "doc": {"S": "{}"}}),
        stream_record("2", outbox),
        stream_record(
            "3", {**outbox, "sk": {"S": f"EVENT#{audit.id}"}, "doc": {"S": audit.model_dump_json()}}
        ),
        stream_record("4", outbox, name="MODIFY"),
        stream_record("5", {**outbox, "doc": {"S": "not json"}}),
    ]
    response = worker.relay_order_events({"Records": records}, context())
    # The broken record alone fails; Lambda retries from it (the relay is idempotent)
    assert response == {"batchItemFailures": [{"itemIdentifier": "5"}]}
    queue = adapters.webhook_queue
    assert isinstance(queue, InMemoryQueue)
    assert [m.event_id for m in queue.messages] == [event.id]


def test_the_relay_turns_an_activation_intent_into_a_later_look_at_the_attempt(
    adapters: InMemoryAdapters,
) -> None:
    # Given a new identified order's event, written with an activation intent (the order's
    # attempt is pending), and one without
    order = make_order(A, FixedClock().now())
    pending = order.model_copy(
        update={
            "activation": order.activation.model_copy(
                update={"state": ActivationState.PENDING, "attempt_id": "att_1"}
            )
        }
    )
    event = an_event().model_copy(update={"order_snapshot": pending, "activation_intent": True})
    plain = an_event().model_copy(update={"id": new_event_id(), "order_snapshot": pending})
    item = {"pk": {"S": f"ORDER#{event.order_id}"}, "sk": {"S": f"EVENT#{event.id}"}}
    records = [
        stream_record("1", {**item, "doc": {"S": event.model_dump_json()}}),
        stream_record(
            "2", {**item, "sk": {"S": f"EVENT#{plain.id}"}, "doc": {"S": plain.model_dump_json()}}
        ),
    ]
    # When the stream relay handles both
    response = worker.relay_order_events({"Records": records}, context())
    # Then one look at the attempt is queued, as a retry, after the configured wait
    assert response == {"batchItemFailures": []}
    queue = adapters.activation_queue
    assert isinstance(queue, InMemoryQueue)
    [(look, delay)] = queue.sent
    assert (look.order_id, look.attempt_id, look.retry_number) == (order.id, "att_1", 1)
    assert delay == adapters.settings.activation_intent_look_s
