"""Customer mail wired as in production, on moto's server: orders in DynamoDB → the table's
stream → the relay → the SQS notification queue → the notification worker → SES v2 (moto),
with the emulator as the city network. The stream poller and the SQS worker are the local
stack's own (infra/local). The retry schedule has 1 s waits, so no test sits for minutes.

moto's server is shared by the session: every test mails its own addresses and reads only
those back (`/moto-api/data.json`, what GET /_dev/mail lists)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.app import SQSEventConfig
from chalice.test import Client

from chalicelib.adapters.aws_clients import AwsConnection
from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from chalicelib.adapters.dynamodb.schema import table_stream_arn
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.adapters.ses import SesMailer, sent_on_moto, verify_sender
from chalicelib.adapters.sqs import SqsQueue, create_queues
from chalicelib.composition import AwsAdapters, use
from chalicelib.domain.models import ActivationState, OrderStatus
from chalicelib.domain.notifications import (
    Mail,
    MailerUnavailable,
    MailKind,
    NotificationMessage,
)
from chalicelib.domain.ordering import Access, OrderRequest, check_deliverable
from chalicelib.domain.provider_orders import change_status
from chalicelib.domain.retry import RetrySchedule
from chalicelib.settings import Settings
from infra.local.seed import seed_catalog
from tests.aws import connection, sqs_client, table
from tests.fakes import a_customer
from tests.integration.emulator_fixtures import EmulatorHandle, start_emulator
from tests.mail_orders import an_agreement, place_with_agreement

pytestmark = pytest.mark.timeout(300)

SENDER = "no-reply@stadsnatsfabriken.se"
BASE_URL = "http://127.0.0.1:8000"


@dataclass
class FlakySesClient:
    """The real (moto) sesv2 client, answering SendEmail with SES's throttling error for
    the first `failures` calls, as SES does when the sending rate is exceeded."""

    inner: Any
    failures: int
    calls: int = 0

    def send_email(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise ClientError(
                {
                    "Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 429},
                },
                "SendEmail",
            )
        return self.inner.send_email(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass(frozen=True)
class FlakyConnection:
    """An AwsConnection whose sesv2 client is the flaky one."""

    real: AwsConnection
    ses: FlakySesClient

    def client(self, service: str) -> Any:
        return self.ses if service == "sesv2" else self.real.client(service)  # type: ignore[arg-type]


@dataclass
class RecordingQueue:
    queue: SqsQueue[NotificationMessage]
    sent: list[tuple[NotificationMessage, int]] = field(default_factory=list)

    def send(self, message: NotificationMessage, delay_seconds: int = 0) -> None:
        self.sent.append((message, delay_seconds))
        self.queue.send(message, delay_seconds=delay_seconds)


@dataclass
class MailPipeline:
    adapters: AwsAdapters
    ses: FlakySesClient
    queue: RecordingQueue
    queue_url: str
    dlq_url: str


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    yield handle
    handle.stop()


def notification_source() -> SQSEventConfig:
    import app as app_module

    [source] = [
        s
        for s in app_module.app.event_sources
        if isinstance(s, SQSEventConfig)
        and s.handler_string == "chalicelib.workers.notifications.send_notifications"
    ]
    return source


@contextmanager
def running_mail_pipeline(
    table_name: str, emulator: EmulatorHandle, *, ses_failures: int, waits: int = 6
) -> Iterator[MailPipeline]:
    import app as app_module
    from infra.local.streams import StreamPoller
    from infra.local.worker import SqsWorker

    aws = connection()
    names = [f"act-{uuid.uuid4().hex[:8]}", f"mail-{uuid.uuid4().hex[:8]}"]
    urls = create_queues(names, aws)
    verify_sender(aws, SENDER)
    catalog = DynamoDBCatalog(table(table_name))
    seed_catalog(catalog, emulator.api_url, emulator.bounce_url)
    user, password = emulator.auth
    settings = Settings(
        stage="local",
        table_name=table_name,
        activation_queue_url=urls[names[0]],
        notification_queue_url=urls[names[1]],
        notification_dlq_url=urls[f"{names[1]}-dlq"],
        mail_sender=SENDER,
        public_base_url=BASE_URL,
        aws_endpoint_url=aws.endpoint_url,
        aws_region=aws.region,
        city_network_deadline_s=1.0,
    )
    ses = FlakySesClient(aws.client("sesv2"), ses_failures)
    queue = RecordingQueue(SqsQueue(urls[names[1]], aws))
    adapters = AwsAdapters(
        settings,
        catalog=catalog,
        secrets=StaticSecrets(
            {
                "demo-stadsnat/api": f"{user}:{password}",
                "app/signing-key": "mail-integration-test-signing-key",
            }
        ),
        notification_queue=queue,
        mailer=SesMailer(FlakyConnection(aws, ses), SENDER),  # type: ignore[arg-type]
        notification_retries=RetrySchedule(waits_s=(1,) * waits, jitter=0),
    )
    use(adapters)
    stoppers: list[Callable[[], None]] = []
    try:
        poller = StreamPoller(app_module.app, table_stream_arn(table(table_name)), idle_wait_s=0.05)
        stoppers.append(poller.start().stop)
        source = notification_source()
        worker = SqsWorker(app_module.app, {source.queue or "": urls[names[1]]}).start()
        stoppers.append(worker.stop)
        yield MailPipeline(adapters, ses, queue, urls[names[1]], urls[f"{names[1]}-dlq"])
    finally:
        for stop in reversed(stoppers):
            stop()
        use(None)


def an_address() -> str:
    return f"kund-{uuid.uuid4().hex[:10]}@example.se"


def mails_to(address: str) -> list[dict[str, Any]]:
    return [m for m in sent_on_moto(connection().endpoint_url or "") if address in m["to"]]


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def an_order(address: str, offer_id: str = "demo-tl-internet-100", **fields: Any) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "offer_id": offer_id,
            "customer": a_customer(email=address),
            "details": {"router": "own"},
            **fields,
        }
    )


def at(access_id: str) -> Access:
    return Access(city_network_id="demo-stadsnat", access_id=access_id)


def test_ses_throttling_for_a_while_delays_each_scenarios_confirmation_and_sends_it_once(
    table_name, emulator
):
    # Given SES that throttles the first five sends
    with running_mail_pipeline(table_name, emulator, ses_failures=5) as pipeline:
        deps = pipeline.adapters
        activated, refused, manual, nothing = (an_address() for _ in range(4))
        # When customers order in scenarios 1, 2 and 4, and one finds nothing deliverable (3)
        first = place_with_agreement(an_order(activated), at("DEMO-OK-1"), deps, an_agreement())
        second = place_with_agreement(
            an_order(refused), at("DEMO-REFUSE-1"), deps, an_agreement("en")
        )
        fourth = place_with_agreement(
            an_order(manual, city_network_id="demo-stadsnat"), None, deps, an_agreement()
        )
        deliverability, _ = check_deliverable("demo-tl-internet-100", at("DEMO-NONE-1"), deps)
        assert not deliverability.deliverable
        assert [first.activation.state, second.activation.state, fourth.activation.state] == [
            ActivationState.ACTIVATED,
            ActivationState.REFUSED,
            ActivationState.MANUAL,
        ]
        # Then every order is stored at once, whatever SES does
        assert deps.orders.get(first.id).id == first.id

        # And each customer gets exactly one confirmation once SES takes mail again
        def all_sent() -> bool:
            return all(len(mails_to(a)) >= 1 for a in (activated, refused, manual))

        wait_for(all_sent, what="the three confirmations")
        time.sleep(3)  # duplicates, retries or the activation updates would have come by now
        [one], [two], [four] = mails_to(activated), mails_to(refused), mails_to(manual)
        assert mails_to(nothing) == []
        assert pipeline.ses.calls > 5  # the throttled tries were made, and retried
        retries = [(m, d) for m, d in pipeline.queue.sent if m.try_number > 1]
        assert retries and all(delay == 1 for _, delay in retries)

    assert one["subject"] == f"Orderbekräftelse {first.id}"
    assert "Tjänsten är aktiverad" in one["text"]
    assert "Standardformulär för utövande av ångerrätt" in one["text"]
    assert f"{BASE_URL}/orders/{first.id}?t=" in one["text"]
    assert f'href="{BASE_URL}/orders/{first.id}?t=' in one["html"]
    assert two["subject"] == f"Order confirmation {second.id}"
    assert "The service cannot be activated right now." in two["text"]
    assert "Standard withdrawal form" in two["text"]
    assert four["subject"] == f"Orderbekräftelse {fourth.id}"
    assert "Tjänsteleverantören hanterar din beställning och kontaktar dig." in four["text"]
    for mail in (one, two, four):
        assert datetime.fromisoformat(mail["sent_at"])
        assert mail["html"].startswith("<!doctype html>")


def test_a_duplicated_queue_message_sends_its_mail_once(table_name, emulator):
    with running_mail_pipeline(table_name, emulator, ses_failures=0) as pipeline:
        address = an_address()
        order = place_with_agreement(
            an_order(address, city_network_id="demo-stadsnat"),
            None,
            pipeline.adapters,
            an_agreement(),
        )
        wait_for(lambda: len(mails_to(address)) == 1, what="the confirmation")
        # When SQS delivers the same message twice more (at-least-once delivery)
        [(message, _)] = [(m, d) for m, d in pipeline.queue.sent if m.order_id == order.id]
        for _ in range(2):
            sqs_client().send_message(
                QueueUrl=pipeline.queue_url, MessageBody=message.model_dump_json()
            )
        wait_for(lambda: _queue_is_empty(pipeline.queue_url), what="the copies to be handled")
        time.sleep(1)
        # Then the customer still has one mail
        assert len(mails_to(address)) == 1


def test_the_relay_queues_a_mail_for_the_events_a_customer_hears_about(table_name, emulator):
    with running_mail_pipeline(table_name, emulator, ses_failures=0) as pipeline:
        deps = pipeline.adapters
        address = an_address()
        order = place_with_agreement(an_order(address), at("DEMO-OK-1"), deps, an_agreement())
        change_status(order.id, "demo-tl", OrderStatus.IN_PROGRESS, None, deps)
        change_status(order.id, "demo-tl", OrderStatus.CANCELLED, "no capacity", deps)

        def kinds() -> list[MailKind]:
            return [m.kind for m, _ in pipeline.queue.sent if m.order_id == order.id]

        wait_for(lambda: len(kinds()) == 3, what="three notifications")
        wait_for(lambda: len(mails_to(address)) == 2, what="two mails")
        time.sleep(2)
        # Created, activated, cancelled: no mail for the status change to in_progress
        assert sorted(kinds()) == sorted(
            [MailKind.CONFIRMATION, MailKind.ACTIVATION_UPDATE, MailKind.CANCELLATION]
        )
        # The activation's update was the confirmation's news already: two mails
        assert [m["subject"] for m in mails_to(address)] == [
            f"Orderbekräftelse {order.id}",
            f"Din beställning {order.id} är avbruten",
        ]


def test_ses_down_for_longer_than_the_retries_moves_the_mail_to_the_dlq(table_name, emulator):
    with running_mail_pipeline(table_name, emulator, ses_failures=10_000, waits=2) as pipeline:
        address = an_address()
        order = place_with_agreement(
            an_order(address, city_network_id="demo-stadsnat"),
            None,
            pipeline.adapters,
            an_agreement(),
        )
        dead: list[dict[str, Any]] = []

        def in_dlq() -> bool:
            dead.extend(
                sqs_client()
                .receive_message(QueueUrl=pipeline.dlq_url, WaitTimeSeconds=1)
                .get("Messages", [])
            )
            return bool(dead)

        wait_for(in_dlq, what="the mail in the DLQ")
        [message] = [NotificationMessage.model_validate_json(m["Body"]) for m in dead]
        assert (message.order_id, message.kind, message.try_number) == (
            order.id,
            MailKind.CONFIRMATION,
            3,
        )
        assert mails_to(address) == []
        assert pipeline.ses.calls == 3
        # The order is as it was stored
        assert pipeline.adapters.orders.get(order.id).version == order.version


def test_an_unreachable_ses_endpoint_is_unavailable_not_a_refusal():
    mailer = SesMailer(AwsConnection("http://127.0.0.1:9", "eu-north-1"), SENDER)
    mail = Mail(to=("a@example.se",), subject="s", text="t", html="<p>t</p>", language="sv")
    with pytest.raises(MailerUnavailable):
        mailer.send(mail)


def test_dev_mail_lists_what_ses_on_moto_sent_oldest_first(moto_endpoint):
    import app as app_module

    aws = connection()
    verify_sender(aws, SENDER)
    address = an_address()
    mailer = SesMailer(aws, SENDER)
    for subject in ("Första", "Andra"):
        mailer.send(
            Mail(
                to=(address,),
                subject=subject,
                text=f"{subject} & text",
                html=f"<p>{subject} &amp; html</p>",
                language="sv",
            )
        )
    settings = Settings(stage="local", aws_endpoint_url=aws.endpoint_url, aws_region=aws.region)
    use(AwsAdapters(settings))
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/_dev/mail")
    finally:
        use(None)
    assert response.status_code == 200
    listed = [m for m in response.json_body["messages"] if address in m["to"]]
    assert [m["subject"] for m in listed] == ["Första", "Andra"]
    assert listed[0]["to"] == [address]
    assert listed[0]["text"].strip() == "Första & text"
    assert listed[0]["html"].strip() == "<p>Första &amp; html</p>"
    assert datetime.fromisoformat(listed[0]["sent_at"]) <= datetime.fromisoformat(
        listed[1]["sent_at"]
    )
    assert json.dumps(response.json_body)  # plain JSON all through


def _queue_is_empty(url: str) -> bool:
    attributes = sqs_client().get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return all(int(v) == 0 for v in attributes.values())
