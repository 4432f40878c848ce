"""The webhook pipeline for integration tests, wired as in production: orders in DynamoDB
(moto) → the table's stream → the relay handler → the SQS webhook queue → the delivery
handler → real HTTP to a receiver on 127.0.0.1.

The stream poller and the SQS worker are the local stack's own (infra/local). The retry
schedule is injected with short waits (a RetrySchedule of 1 s waits), so a test never
sits through 5 minutes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from chalice.app import SQSEventConfig

from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
from chalicelib.adapters.dynamodb.schema import table_stream_arn
from chalicelib.adapters.dynamodb.webhooks import DynamoDBWebhookStore
from chalicelib.adapters.sqs import InMemoryQueue, SqsQueue, create_queues
from chalicelib.adapters.webhooks.sender import WebhookSender
from chalicelib.adapters.webhooks.transport import HttpWebhookTransport
from chalicelib.composition import Adapters, InMemoryAdapters, use
from chalicelib.domain.retry import RetrySchedule
from chalicelib.domain.webhook_delivery import configure_endpoint
from chalicelib.domain.webhooks import Delivery, WebhookMessage, WebhookStore
from tests.aws import connection, table
from tests.webhook_receiver import WebhookReceiver


def short_schedule(wait_s: int = 1, attempts: int = 8) -> RetrySchedule:
    """Retries after `wait_s` (no jitter) for up to `attempts` attempts. A (short)
    Retry-After is honoured as with the real schedule: it lengthens a wait."""
    return RetrySchedule(waits_s=(wait_s,) * (attempts - 1), jitter=0)


@dataclass
class RecordingQueue:
    """The real SQS webhook queue, keeping the delay each send asked for."""

    queue: SqsQueue[WebhookMessage]
    sent: list[tuple[WebhookMessage, int]] = field(default_factory=list)

    def send(self, message: WebhookMessage, delay_seconds: int = 0) -> None:
        self.sent.append((message, delay_seconds))
        self.queue.send(message, delay_seconds=delay_seconds)


@dataclass
class Pipeline:
    table: str
    queue_url: str
    receiver: WebhookReceiver
    # What the API, the relay and the delivery worker use (installed with `use`).
    adapters: Adapters
    schedule: RetrySchedule
    queue: RecordingQueue

    @property
    def store(self) -> WebhookStore:
        return self.adapters.webhook_store

    def configure(self, provider_id: str, event_types: list[str] | None = None) -> str:
        _, secret = configure_endpoint(provider_id, self.receiver.url, event_types, self.adapters)
        assert secret is not None
        return secret

    def deliveries(self, provider_id: str) -> list[Delivery]:
        found: list[Delivery] = []
        cursor = None
        while True:
            page = self.store.list_deliveries(provider_id, limit=100, cursor=cursor)
            found.extend(page.items)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor


def webhook_event_source() -> SQSEventConfig:
    """The delivery worker's SQS event source, as the app declares it."""
    import app as app_module

    [source] = [
        s
        for s in app_module.app.event_sources
        if isinstance(s, SQSEventConfig)
        and s.handler_string == "chalicelib.workers.webhooks.deliver_webhooks"
    ]
    return source


@contextmanager
def running_pipeline(
    table_name: str,
    *,
    adapters: Adapters | None = None,
    schedule: RetrySchedule | None = None,
    sender_timeout_s: float = 2.0,
    start_workers: bool = True,
) -> Iterator[Pipeline]:
    """The pipeline with its stream poller and SQS worker running in threads.

    `adapters` must keep their orders in `table_name` (where its stream sees them); by
    default in-memory adapters with DynamoDB orders. Either way the webhook parts are
    replaced: the store in the table, the SQS queue, real HTTP, and the short schedule."""
    import app as app_module
    from infra.local.streams import StreamPoller
    from infra.local.worker import SqsWorker

    queue_name = f"wh-{uuid.uuid4().hex[:10]}"
    queue_url = create_queues([queue_name], connection())[queue_name]
    if adapters is None:
        base = InMemoryAdapters()
        adapters = base.replaced(orders=DynamoDBOrderStore(table(table_name), base.cursor_codec))
    the_schedule = schedule or short_schedule()
    queue = RecordingQueue(SqsQueue(queue_url, connection()))
    wired = adapters.replaced(
        webhook_store=DynamoDBWebhookStore(table(table_name)),
        webhook_queue=queue,
        webhook_transport=HttpWebhookTransport(
            WebhookSender(allow_insecure=True, timeout_s=sender_timeout_s)
        ),
        webhook_retries=the_schedule,
        # The relay also queues customer mail; these tests read only the webhooks.
        notification_queue=InMemoryQueue(),
    )
    # The receiver is http:// on loopback, as the local stack allows.
    wired.settings = replace(wired.settings, stage="local")
    receiver = WebhookReceiver().start()
    use(wired)
    stoppers: list[Any] = [receiver.stop]
    try:
        if start_workers:
            arn = table_stream_arn(table(table_name))
            poller = StreamPoller(app_module.app, arn, idle_wait_s=0.05)
            stoppers.append(poller.start().stop)
            # The handler is registered for the configured queue name; feed it our queue.
            source = webhook_event_source()
            worker = SqsWorker(app_module.app, {source.queue or "": queue_url}).start()
            stoppers.append(worker.stop)
        yield Pipeline(table_name, queue_url, receiver, wired, the_schedule, queue)
    finally:
        for stop in reversed(stoppers):
            stop()
        use(None)


def run_in_threads(jobs: list[Callable[[], Any]], width: int = 4) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def work(start: int) -> None:
        for i in range(start, len(jobs), width):
            try:
                results[i] = jobs[i]()
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
