"""The notification entry points as Lambda calls them: the stream relay queues a mail for
the events a customer hears about, and the SQS worker reports only the broken message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.memory.mailer import InMemoryMailer
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.ids import new_event_id
from chalicelib.domain.models import OrderEvent, OrderEventKind
from chalicelib.domain.notifications import MailKind, NotificationMessage
from chalicelib.domain.ordering import OrderRequest, place_order
from chalicelib.workers import notifications as mail_worker
from chalicelib.workers import webhooks as relay
from tests.fakes import FakeCityNetworks, FixedClock, a_customer, seed_test_catalog

from .test_webhook_worker import context, sqs_record, stream_record


@pytest.fixture
def adapters() -> Iterator[InMemoryAdapters]:
    installed = InMemoryAdapters(clock=FixedClock(), city_networks=FakeCityNetworks())
    seed_test_catalog(installed.catalog)
    use(installed)
    yield installed
    use(None)


def outbox_item(event: OrderEvent) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORDER#{event.order_id}"},
        "sk": {"S": f"EVENT#{event.id}"},
        "doc": {"S": event.model_dump_json()},
    }


def queued(adapters: InMemoryAdapters) -> list[NotificationMessage]:
    queue = adapters.notification_queue
    assert isinstance(queue, InMemoryQueue)
    return list(queue.messages)


def test_the_relay_queues_a_mail_for_a_new_order_and_a_withdrawal_and_none_for_a_message(
    adapters: InMemoryAdapters,
) -> None:
    order = place_order(
        OrderRequest(
            offer_id="tl-internet-100", customer=a_customer(), city_network_id="test-stadsnat"
        ),
        None,
        adapters,
    )
    [created] = adapters.orders.list_events(order.id)
    base = {"order_id": order.id, "provider_id": order.provider_id, "at": order.created_at}
    # A withdrawal as its own helper may write it: no webhook type of ours needed
    withdrawn = OrderEvent(
        id=new_event_id(), kind=OrderEventKind.WITHDRAWN, actor="customer", **base
    )
    message = OrderEvent(
        id=new_event_id(),
        kind=OrderEventKind.MESSAGE,
        actor="provider:test-tl",
        message_type="log",
        text="called the customer",
        **base,
    )
    records = [
        stream_record(str(i), outbox_item(e))
        for i, e in enumerate((created, withdrawn, message), start=1)
    ]
    response = relay.relay_order_events({"Records": records}, context())
    assert response == {"batchItemFailures": []}
    assert [(m.event_id, m.kind) for m in queued(adapters)] == [
        (created.id, MailKind.CONFIRMATION),
        (withdrawn.id, MailKind.WITHDRAWAL),
    ]


def test_the_worker_sends_the_good_message_and_reports_only_the_broken_one(
    adapters: InMemoryAdapters,
) -> None:
    order = place_order(
        OrderRequest(
            offer_id="tl-internet-100", customer=a_customer(), city_network_id="test-stadsnat"
        ),
        None,
        adapters,
    )
    [created] = adapters.orders.list_events(order.id)
    good = NotificationMessage(event_id=created.id, order_id=order.id, kind=MailKind.CONFIRMATION)
    event = {
        "Records": [
            sqs_record("good", good.model_dump_json()),
            sqs_record("bad", json.dumps({"event_id": "x", "kind": "nonsense"})),
            # The same message twice in one batch (SQS delivers at least once): one mail
            sqs_record("again", good.model_dump_json()),
        ]
    }
    response = mail_worker.send_notifications(event, context())
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    mailer = adapters.mailer
    assert isinstance(mailer, InMemoryMailer)
    [mail] = mailer.mails
    assert mail.to == (a_customer().email,)
    assert order.id in mail.subject
