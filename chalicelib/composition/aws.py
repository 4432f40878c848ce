"""`AwsAdapters`: DynamoDB, SQS and SSM (moto locally), as the settings say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Adapters
from .built import built_once

if TYPE_CHECKING:
    from ..adapters.aws_clients import AwsConnection
    from ..adapters.dynamodb.client import DynamoDBTable
    from ..domain.activation.messages import ActivationMessage
    from ..domain.notifications import Mailer, NotificationMessage
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
    from ..domain.queues import Queue
    from ..domain.webhooks import WebhookMessage, WebhookStore


class AwsAdapters(Adapters):
    """DynamoDB, SQS and SSM (moto locally), as the settings say."""

    @property
    def connection(self) -> AwsConnection:
        from ..adapters.aws_clients import AwsConnection

        return AwsConnection(self.settings.aws_endpoint_url, self.settings.aws_region)

    @property
    def table(self) -> DynamoDBTable:
        from ..adapters.dynamodb.client import DynamoDBTable

        return DynamoDBTable(self.settings.table_name, self.connection)

    def component_problems(self) -> dict[str, str | None]:
        from ..adapters import probes

        config = self.settings
        return {
            "store": probes.table_problem(self.table),
            "activation_queue": probes.queue_problem(config.activation_queue_url, self.connection),
            "webhook_queue": probes.queue_problem(config.webhook_queue_url, self.connection),
            **super().component_problems(),
        }

    @staticmethod
    def _orders(adapters: AwsAdapters) -> OrderStore:
        from ..adapters.dynamodb.orders import DynamoDBOrderStore

        return DynamoDBOrderStore(adapters.table, adapters.cursor_codec)

    orders = built_once(_orders)

    @staticmethod
    def _catalog(adapters: AwsAdapters) -> Catalog:
        from ..adapters.cached_catalog import CachedCatalog
        from ..adapters.dynamodb.catalog import DynamoDBCatalog

        return CachedCatalog(
            DynamoDBCatalog(adapters.table, adapters.clock), adapters.settings.catalog_cache_ttl_s
        )

    catalog = built_once(_catalog)

    @staticmethod
    def _provider_forms(adapters: AwsAdapters) -> ProviderFormStore:
        from ..adapters.cached_provider_forms import CachedProviderForms
        from ..adapters.dynamodb.provider_forms import DynamoDBProviderForms

        catalog = adapters.catalog
        return CachedProviderForms(
            DynamoDBProviderForms(adapters.table),
            adapters.settings.catalog_cache_ttl_s,
            generation=getattr(catalog, "seen_generation", None),
            after_write=getattr(catalog, "bump_generation", None),
        )

    provider_forms = built_once(_provider_forms)

    @staticmethod
    def _activation_queue(adapters: AwsAdapters) -> Queue[ActivationMessage]:
        from ..adapters.sqs import SqsQueue

        return SqsQueue(adapters.settings.activation_queue_url, adapters.connection)

    activation_queue = built_once(_activation_queue)

    @staticmethod
    def _tokens(adapters: AwsAdapters) -> OneTimeTokens:
        from ..adapters.dynamodb.tokens import DynamoDBOneTimeTokens

        return DynamoDBOneTimeTokens(adapters.table)

    tokens = built_once(_tokens)

    @staticmethod
    def _counters(adapters: AwsAdapters) -> Counters:
        from ..adapters.dynamodb.counters import DynamoDBCounters

        return DynamoDBCounters(adapters.table)

    counters = built_once(_counters)

    @staticmethod
    def _feed_cursors(adapters: AwsAdapters) -> FeedCursors:
        from ..adapters.dynamodb.feed_cursors import DynamoDBFeedCursors

        return DynamoDBFeedCursors(adapters.table)

    feed_cursors = built_once(_feed_cursors)

    @staticmethod
    def _access_directory(adapters: AwsAdapters) -> AccessDirectory:
        from ..adapters.dynamodb.access_directory import DynamoDBAccessDirectory

        return DynamoDBAccessDirectory(adapters.table)

    access_directory = built_once(_access_directory)

    @staticmethod
    def _api_keys(adapters: AwsAdapters) -> ApiKeyStore:
        from ..adapters.dynamodb.api_keys import DynamoDBApiKeyStore

        return DynamoDBApiKeyStore(adapters.table)

    api_keys = built_once(_api_keys)

    @staticmethod
    def _webhook_store(adapters: AwsAdapters) -> WebhookStore:
        from ..adapters.dynamodb.webhooks import DynamoDBWebhookStore

        return DynamoDBWebhookStore(adapters.table)

    webhook_store = built_once(_webhook_store)

    @staticmethod
    def _webhook_queue(adapters: AwsAdapters) -> Queue[WebhookMessage]:
        from ..adapters.sqs import SqsQueue

        return SqsQueue(adapters.settings.webhook_queue_url, adapters.connection)

    webhook_queue = built_once(_webhook_queue)

    @staticmethod
    def _notification_queue(adapters: AwsAdapters) -> Queue[NotificationMessage]:
        from ..adapters.sqs import SqsQueue

        return SqsQueue(adapters.settings.notification_queue_url, adapters.connection)

    notification_queue = built_once(_notification_queue)

    @staticmethod
    def _notification_dead_letters(adapters: AwsAdapters) -> Queue[NotificationMessage]:
        from ..adapters.sqs import SqsQueue

        return SqsQueue(adapters.settings.notification_dlq_url, adapters.connection)

    notification_dead_letters = built_once(_notification_dead_letters)

    @staticmethod
    def _mailer(adapters: AwsAdapters) -> Mailer:
        from ..adapters.ses import SesMailer

        return SesMailer(adapters.connection, adapters.settings.mail_sender, adapters.clock)

    mailer = built_once(_mailer)

    def sent_mail(self) -> list[dict[str, Any]]:
        from ..adapters.ses import sent_on_moto

        endpoint = self.settings.aws_endpoint_url
        if not endpoint:
            raise NotImplementedError("sent mail is only kept by moto (the local stack)")
        return sent_on_moto(endpoint)

    @staticmethod
    def _secrets(adapters: AwsAdapters) -> Secrets:
        from ..adapters.secrets import EnvironmentSecrets, ParameterStoreSecrets

        prefix = adapters.settings.secrets_ssm_prefix
        if prefix:
            return ParameterStoreSecrets(prefix)
        return EnvironmentSecrets(adapters.settings.environment)

    secrets = built_once(_secrets)
