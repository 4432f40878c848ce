"""Builds the webhook adapters once per process; the use cases get them with the order
store and clock of `wiring.services()`.

Tests install their own with `use_webhook_adapters(in_memory_webhook_adapters(...))`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .process_wide import ProcessWide

if TYPE_CHECKING:
    from collections.abc import Callable

    from .adapters.dns import Resolver
    from .domain.models import Order
    from .domain.webhook_delivery import WebhookDeps
    from .domain.webhooks import WebhookQueue, WebhookStore, WebhookTransport


@dataclass(frozen=True)
class WebhookAdapters:
    store: WebhookStore
    queue: WebhookQueue
    transport: WebhookTransport
    # Local stack only: http:// and loopback URLs (settings().allow_insecure_webhooks).
    allow_insecure: bool = False
    # DNS for the configuration-time guard; tests hand in a fake one.
    resolver: Resolver | None = None
    # The retry schedule (adapters/webhooks/schedule.next_delay); tests inject short waits.
    schedule: Callable[[int, int | None], int | None] | None = None


# Through a lambda: the builder is defined further down.
_current: ProcessWide[WebhookAdapters] = ProcessWide(lambda: adapters_from_environment())


def webhook_adapters() -> WebhookAdapters:
    return _current.get()


def use_webhook_adapters(replacement: WebhookAdapters | None) -> None:
    _current.replace(replacement)


def adapters_from_environment() -> WebhookAdapters:
    from .adapters.dynamodb.webhooks import DynamoDBWebhookStore
    from .adapters.webhooks.queue import SqsWebhookQueue
    from .adapters.webhooks.sender import WebhookSender
    from .adapters.webhooks.transport import HttpWebhookTransport
    from .config import settings

    config = settings()
    allow_insecure = config.allow_insecure_webhooks
    return WebhookAdapters(
        store=DynamoDBWebhookStore(config.table_name),
        queue=SqsWebhookQueue(config.webhook_queue_url),
        transport=HttpWebhookTransport(WebhookSender(allow_insecure=allow_insecure)),
        allow_insecure=allow_insecure,
    )


def in_memory_webhook_adapters(
    transport: WebhookTransport | None = None,
    *,
    allow_insecure: bool = True,
    resolver: Resolver | None = None,
    schedule: Callable[[int, int | None], int | None] | None = None,
) -> WebhookAdapters:
    """In-memory store and queue; HTTP transport unless one is given."""
    from .adapters.memory.webhooks import InMemoryWebhookStore
    from .adapters.webhooks.queue import InMemoryWebhookQueue
    from .adapters.webhooks.sender import WebhookSender
    from .adapters.webhooks.transport import HttpWebhookTransport

    return WebhookAdapters(
        store=InMemoryWebhookStore(),
        queue=InMemoryWebhookQueue(),
        transport=transport
        or HttpWebhookTransport(WebhookSender(allow_insecure=allow_insecure, timeout_s=5)),
        allow_insecure=allow_insecure,
        resolver=resolver,
        schedule=schedule,
    )


def order_view(order: Order) -> dict[str, Any]:
    """The order as the provider API shows it (never the receipt token hash)."""
    from .api.schemas import OrderOut

    return OrderOut.from_domain(order).model_dump(mode="json")


def webhook_deps() -> WebhookDeps:
    from .adapters.dns import resolve_host, within
    from .adapters.webhooks.guard import DNS_DEADLINE_S, check_webhook_url
    from .adapters.webhooks.schedule import next_delay
    from .adapters.webhooks.signing import new_webhook_secret
    from .domain.webhook_delivery import WebhookDeps
    from .wiring import services

    adapters = webhook_adapters()
    deps = services().deps
    resolver = within(adapters.resolver or resolve_host, DNS_DEADLINE_S)

    def check_url(url: str) -> None:
        check_webhook_url(url, allow_insecure=adapters.allow_insecure, resolver=resolver)

    return WebhookDeps(
        store=adapters.store,
        queue=adapters.queue,
        transport=adapters.transport,
        clock=deps.clock,
        orders=deps.orders,
        order_view=order_view,
        check_url=check_url,
        new_secret=new_webhook_secret,
        schedule=adapters.schedule or (lambda n, retry_after_s: next_delay(n, retry_after_s)),
    )
