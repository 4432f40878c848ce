"""`InMemoryAdapters`: everything in memory, for unit tests and the CPU profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..settings import LOCAL_STAGE, Settings
from .base import Adapters
from .built import built_once

if TYPE_CHECKING:
    from ..domain.notifications import Mailer
    from ..domain.ports import (
        AccessDirectory,
        ApiKeyStore,
        Catalog,
        Counters,
        FeedCursors,
        OneTimeTokens,
        OrderStore,
        Secrets,
    )
    from ..domain.provider_forms import ProviderFormStore
    from ..domain.webhooks import WebhookStore, WebhookTransport


# What InMemoryAdapters signs with unless a test hands in secrets of its own.
TEST_SECRETS = {"app/signing-key": "test-signing-key"}


class InMemoryAdapters(Adapters):
    """Everything in memory: unit tests, the CPU profile. City networks default to the real
    Direct Activation registry over the in-memory catalog."""

    def __init__(self, settings: Settings | None = None, **given: Any) -> None:
        super().__init__(settings or Settings(stage=LOCAL_STAGE), **given)

    @staticmethod
    def _orders(adapters: InMemoryAdapters) -> OrderStore:
        from ..adapters.memory.store import InMemoryOrderStore

        return InMemoryOrderStore(adapters.cursor_codec)

    orders = built_once(_orders)

    @staticmethod
    def _catalog(adapters: InMemoryAdapters) -> Catalog:
        from ..adapters.memory.catalog import InMemoryCatalog

        return InMemoryCatalog(adapters.clock)

    catalog = built_once(_catalog)

    @staticmethod
    def _provider_forms(_: InMemoryAdapters) -> ProviderFormStore:
        from ..adapters.memory.provider_forms import InMemoryProviderForms

        return InMemoryProviderForms()

    provider_forms = built_once(_provider_forms)

    @staticmethod
    def _queue(_: InMemoryAdapters) -> Any:
        from ..adapters.sqs import InMemoryQueue

        return InMemoryQueue()

    activation_queue = built_once(_queue)
    webhook_queue = built_once(_queue)
    notification_queue = built_once(_queue)
    notification_dead_letters = built_once(_queue)

    @staticmethod
    def _mailer(adapters: InMemoryAdapters) -> Mailer:
        from ..adapters.memory.mailer import InMemoryMailer

        return InMemoryMailer(adapters.clock)

    mailer = built_once(_mailer)

    def sent_mail(self) -> list[dict[str, Any]]:
        from ..adapters.memory.mailer import InMemoryMailer

        mailer = self.mailer
        return mailer.listed() if isinstance(mailer, InMemoryMailer) else []

    @staticmethod
    def _tokens(adapters: InMemoryAdapters) -> OneTimeTokens:
        from ..adapters.memory.store import InMemoryOneTimeTokens

        return InMemoryOneTimeTokens(adapters.clock)

    tokens = built_once(_tokens)

    @staticmethod
    def _counters(adapters: InMemoryAdapters) -> Counters:
        from ..adapters.memory.counters import InMemoryCounters

        return InMemoryCounters(adapters.clock)

    counters = built_once(_counters)

    @staticmethod
    def _feed_cursors(_: InMemoryAdapters) -> FeedCursors:
        from ..adapters.memory.store import InMemoryFeedCursors

        return InMemoryFeedCursors()

    feed_cursors = built_once(_feed_cursors)

    @staticmethod
    def _access_directory(_: InMemoryAdapters) -> AccessDirectory:
        from ..adapters.memory.access_directory import InMemoryAccessDirectory

        return InMemoryAccessDirectory()

    access_directory = built_once(_access_directory)

    @staticmethod
    def _api_keys(_: InMemoryAdapters) -> ApiKeyStore:
        from ..adapters.memory.store import InMemoryApiKeyStore

        return InMemoryApiKeyStore()

    api_keys = built_once(_api_keys)

    @staticmethod
    def _webhook_store(_: InMemoryAdapters) -> WebhookStore:
        from ..adapters.memory.webhooks import InMemoryWebhookStore

        return InMemoryWebhookStore()

    webhook_store = built_once(_webhook_store)

    @staticmethod
    def _secrets(_: InMemoryAdapters) -> Secrets:
        from ..adapters.secrets import StaticSecrets

        return StaticSecrets(TEST_SECRETS)

    secrets = built_once(_secrets)

    @staticmethod
    def _loopback_webhook_transport(adapters: InMemoryAdapters) -> WebhookTransport:
        from ..adapters.webhooks.sender import WebhookSender
        from ..adapters.webhooks.transport import HttpWebhookTransport

        # A short timeout: tests' receivers answer on loopback at once.
        allow_insecure = adapters.settings.allow_insecure_webhooks
        return HttpWebhookTransport(WebhookSender(allow_insecure=allow_insecure, timeout_s=5))

    webhook_transport = built_once(_loopback_webhook_transport)
