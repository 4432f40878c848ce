"""The webhook pipeline for integration tests, wired as in production: orders in DynamoDB
(moto) → the table's stream → the relay handler → the SQS webhook queue → the delivery
handler → real HTTP to a receiver on 127.0.0.1.

The stream poller and the SQS worker are the local stack's own (infra/local). The retry
schedule is injected with short waits, so a test never sits through 5 minutes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.adapters.cursor import CursorCodec
from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
from chalicelib.adapters.dynamodb.schema import table_stream_arn
from chalicelib.adapters.dynamodb.webhooks import DynamoDBWebhookStore
from chalicelib.adapters.sqs import create_queues
from chalicelib.adapters.webhooks.queue import SqsWebhookQueue
from chalicelib.adapters.webhooks.sender import WebhookSender
from chalicelib.adapters.webhooks.transport import HttpWebhookTransport
from chalicelib.domain.webhook_delivery import configure_endpoint
from chalicelib.domain.webhooks import Delivery, WebhookStore
from chalicelib.webhook_wiring import WebhookAdapters, use_webhook_adapters, webhook_deps
from chalicelib.wiring import Services, in_memory_services, use_services
from tests.webhook_receiver import WebhookReceiver


@dataclass
class ShortSchedule:
    """Retries after `wait_s` for up to `attempts` attempts; records every Retry-After."""

    wait_s: int = 1
    attempts: int = 8
    calls: list[tuple[int, int | None]] = field(default_factory=list)

    def __call__(self, try_number: int, retry_after_s: int | None) -> int | None:
        self.calls.append((try_number, retry_after_s))
        if try_number >= self.attempts:
            return None
        # Honour a (short) Retry-After as the real schedule does.
        return max(self.wait_s, retry_after_s or 0)


@dataclass
class Pipeline:
    table: str
    queue_url: str
    receiver: WebhookReceiver
    services: Services
    adapters: WebhookAdapters
    schedule: ShortSchedule

    @property
    def store(self) -> WebhookStore:
        return self.adapters.store

    def configure(self, provider_id: str, event_types: list[str] | None = None) -> str:
        _, secret = configure_endpoint(provider_id, self.receiver.url, event_types, webhook_deps())
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


def wait_until(condition: Callable[[], bool], timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


@contextmanager
def running_pipeline(
    table_name: str,
    *,
    services: Services | None = None,
    schedule: ShortSchedule | None = None,
    sender_timeout_s: float = 2.0,
    start_workers: bool = True,
) -> Iterator[Pipeline]:
    """The pipeline with its stream poller and SQS worker running in threads."""
    import app as app_module
    from chalicelib.workers.webhooks import QUEUE_NAME
    from infra.local.streams import StreamPoller
    from infra.local.worker import SqsWorker

    queue_name = f"wh-{uuid.uuid4().hex[:10]}"
    queue_url = create_queues([queue_name])[queue_name]
    if services is None:
        # In-memory services with the orders in the table, where its stream sees them.
        base = in_memory_services()
        orders = DynamoDBOrderStore(table_name, CursorCodec(base.signing_key))
        wired = replace(base, deps=replace(base.deps, orders=orders))
    else:
        wired = services  # already storing its orders in `table_name`
    the_schedule = schedule or ShortSchedule()
    adapters = WebhookAdapters(
        store=DynamoDBWebhookStore(table_name),
        queue=SqsWebhookQueue(queue_url),
        transport=HttpWebhookTransport(
            WebhookSender(allow_insecure=True, timeout_s=sender_timeout_s)
        ),
        allow_insecure=True,
        schedule=the_schedule,
    )
    receiver = WebhookReceiver().start()
    use_services(wired)
    use_webhook_adapters(adapters)
    stoppers: list[Any] = [receiver.stop]
    try:
        if start_workers:
            poller = StreamPoller(app_module.app, table_stream_arn(table_name), idle_wait_s=0.05)
            stoppers.append(poller.start().stop)
            # The handler is registered for the configured queue name; feed it our queue.
            worker = SqsWorker(app_module.app, {QUEUE_NAME: queue_url}).start()
            stoppers.append(worker.stop)
        yield Pipeline(table_name, queue_url, receiver, wired, adapters, the_schedule)
    finally:
        for stop in reversed(stoppers):
            stop()
        use_webhook_adapters(None)
        use_services(None)


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
