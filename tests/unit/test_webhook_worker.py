"""The webhook entry points as Lambda calls them: partial batch failures for the SQS
delivery worker and the stream relay, over in-memory adapters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.local import LambdaContext

from chalicelib.adapters.webhooks.queue import InMemoryWebhookQueue
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.models import OrderEvent, OrderEventKind
from chalicelib.domain.webhook_delivery import configure_endpoint, relay_event
from chalicelib.webhook_wiring import (
    WebhookAdapters,
    in_memory_webhook_adapters,
    use_webhook_adapters,
    webhook_deps,
)
from chalicelib.wiring import in_memory_services, use_services
from chalicelib.workers import webhooks as worker

from .provider_factories import ManualClock, make_order
from .test_webhook_delivery import ScriptedTransport

A = "prov-a"


@pytest.fixture
def adapters() -> Iterator[WebhookAdapters]:
    clock = ManualClock()
    use_services(in_memory_services(clock=clock))
    installed = in_memory_webhook_adapters(
        ScriptedTransport(), resolver=lambda host, port: ["93.184.216.34"]
    )
    use_webhook_adapters(installed)
    configure_endpoint(A, "https://hooks.example.com/in", None, webhook_deps())
    yield installed
    use_webhook_adapters(None)
    use_services(None)


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
        "eventSourceARN": worker.TABLE_STREAM_ARN,
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
    order = make_order(A, ManualClock().now())
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


def test_an_unprocessable_message_alone_is_reported_failed(adapters: WebhookAdapters) -> None:
    delivery = relay_event(an_event(), webhook_deps())
    assert delivery is not None
    queue = adapters.queue
    assert isinstance(queue, InMemoryWebhookQueue)
    [(message, _)] = queue.take()
    event = {
        "Records": [
            sqs_record("good", message.model_dump_json()),
            sqs_record("bad", json.dumps({"delivery_id": "nonsense"})),
        ]
    }
    response = worker.deliver_webhooks(event, context())
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert adapters.store.get_delivery(A, delivery.id).state == "succeeded"


def test_the_relay_queues_outbox_events_and_skips_everything_else(
    adapters: WebhookAdapters,
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
    queue = adapters.queue
    assert isinstance(queue, InMemoryWebhookQueue)
    assert [m.event_id for m in queue.messages] == [event.id]
