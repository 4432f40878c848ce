"""The activation queue's SQS handler: raw Lambda events in, partial batch responses out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from chalice.app import Chalice, SQSEventConfig

from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.activation.messages import ActivationMessage
from chalicelib.domain.citynet import ServiceOrderResult
from chalicelib.domain.models import ActivationState
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.workers import activation as worker
from tests.fakes import (
    ACCESS_ID,
    NETWORK_ID,
    FakeCityNetwork,
    FakeCityNetworks,
    FixedClock,
    a_customer,
    seed_test_catalog,
)

ACCESS = Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID)
QUEUE_ARN = "arn:aws:sqs:eu-north-1:123456789012:stadsnatsfabriken-activation"
TRANSIENT = ServiceOrderResult(
    method="service_order", outcome="transient", code="http_503", duration_ms=9
)


@pytest.fixture
def city() -> FakeCityNetwork:
    return FakeCityNetwork()


@pytest.fixture
def services(city: FakeCityNetwork) -> Iterator[InMemoryAdapters]:
    # The in-memory claims (tokens) expire on the same clock as the rest of the test world.
    installed = InMemoryAdapters(city_networks=FakeCityNetworks(city), clock=FixedClock())
    seed_test_catalog(installed.catalog)
    use(installed)
    yield installed
    use(None)


def queue_of(services: InMemoryAdapters) -> InMemoryQueue[ActivationMessage]:
    queue = services.activation_queue
    assert isinstance(queue, InMemoryQueue)
    return queue


def pending_retry(services: InMemoryAdapters, city: FakeCityNetwork) -> ActivationMessage:
    """An order whose first service_order failed transiently; returns its queued retry."""
    city.order_replies.append(TRANSIENT)
    request = OrderRequest.model_validate(
        {"offer_id": "tl-internet-100", "customer": a_customer(), "details": {}}
    )
    place_order(request, ACCESS, services)
    message = queue_of(services).messages[-1]
    queue_of(services).sent.clear()
    return message


def a_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    """One record as Lambda's SQS event source delivers it (distinct ids, unlike the events
    chalice.test generates)."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4().hex}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1790000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1790000000001",
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-north-1",
    }


def test_a_malformed_record_is_the_only_failure_reported(services, city):
    # Given a batch of two due retries and one body that is not an activation message
    first, second = pending_retry(services, city), pending_retry(services, city)
    malformed = a_record('{"order_id": "ord_x"')
    event = {
        "Records": [
            a_record(first.model_dump_json()),
            malformed,
            a_record(second.model_dump_json()),
        ]
    }
    # When the handler runs
    response = worker.handle_activation_messages(event, None)
    # Then only the malformed record comes back, and both orders were activated
    assert response == {"batchItemFailures": [{"itemIdentifier": malformed["messageId"]}]}
    for message in (first, second):
        stored = services.orders.get(message.order_id)
        assert stored.activation.state == ActivationState.ACTIVATED
    assert city.methods_called().count("service_order") == 2 + 2  # two first tries, two retries


def test_a_clean_batch_reports_no_failures(services, city):
    message = pending_retry(services, city)
    response = worker.handle_activation_messages(
        {"Records": [a_record(message.model_dump_json())]}, None
    )
    assert response == {"batchItemFailures": []}


def test_a_record_whose_store_is_down_comes_back(services, city):
    # Given one record for an order whose write fails with an infrastructure error
    healthy, broken = pending_retry(services, city), pending_retry(services, city)
    orders = services.orders
    original_get = orders.get

    def get(order_id: str) -> Any:
        if order_id == broken.order_id:
            raise ConnectionError("DynamoDB unavailable")
        return original_get(order_id)

    orders.get = get  # type: ignore[method-assign]
    broken_record = a_record(broken.model_dump_json())
    event = {"Records": [a_record(healthy.model_dump_json()), broken_record]}
    # When the handler runs
    response = worker.handle_activation_messages(event, None)
    # Then that record is reported failed (it comes back), the other is done
    assert response == {"batchItemFailures": [{"itemIdentifier": broken_record["messageId"]}]}
    assert original_get(healthy.order_id).activation.state == ActivationState.ACTIVATED
    assert original_get(broken.order_id).activation.state == ActivationState.PENDING


def test_a_stale_message_is_a_success(services, city):
    message = pending_retry(services, city)
    stale = message.model_copy(update={"attempt_id": "att_SOMEOTHERATTEMPT"})
    city.calls.clear()
    response = worker.handle_activation_messages(
        {"Records": [a_record(stale.model_dump_json())]}, None
    )
    assert response == {"batchItemFailures": []}
    assert city.calls == []


def test_a_batch_where_every_record_fails_fails_as_a_whole(services):
    # Powertools raises so Lambda retries the whole batch (the records then count towards
    # the DLQ's maxReceiveCount like any failure).
    with pytest.raises(BatchProcessingError):
        worker.handle_activation_messages(
            {"Records": [a_record("nope"), a_record(json.dumps({"order_id": 1}))]}, None
        )


def test_the_same_message_twice_in_one_batch_orders_once(services, city):
    message = pending_retry(services, city)
    city.calls.clear()
    body = message.model_dump_json()
    response = worker.handle_activation_messages(
        {"Records": [a_record(body), a_record(body)]}, None
    )
    assert response == {"batchItemFailures": []}
    assert city.methods_called() == ["port_status", "service_order"]


def test_the_blueprint_registers_the_activation_queue_with_batches_of_ten():
    app = Chalice(app_name="probe")
    app.register_blueprint(worker.bp)
    [source] = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    assert source.queue == "stadsnatsfabriken-activation"
    assert source.batch_size == 10
    assert source.handler_string.endswith("handle_activation_messages")
