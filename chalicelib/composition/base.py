"""`Adapters`: what every process builds the same way, whatever its stores are."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Self

from ..settings import Settings
from .built import _missing, built_once

if TYPE_CHECKING:
    from ..adapters.citynet.bounce_probe import BounceProbe
    from ..adapters.cursor import CursorCodec
    from ..adapters.dns import Resolver
    from ..domain.activation.messages import ActivationMessage
    from ..domain.citynet import CityNetworkClients
    from ..domain.clock import Clock
    from ..domain.forms import FormDefinitions
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
    from ..domain.retry import RetrySchedule
    from ..domain.webhooks import WebhookMessage, WebhookStore, WebhookTransport


class Adapters:
    """What is built the same way whatever the stores are; subclasses build the stores,
    queues and secrets (AWS, or in memory)."""

    def __init__(self, settings: Settings | None = None, **given: Any) -> None:
        self.settings = settings or Settings()
        self._building = threading.RLock()
        unknown = sorted(
            name for name in given if not isinstance(getattr(type(self), name, None), built_once)
        )
        if unknown:
            raise TypeError(f"not an adapter: {', '.join(unknown)}")
        self.__dict__.update(given)

    def replaced(self, **given: Any) -> Self:
        """A copy that shares everything built so far, with `given` in place of some parts
        (a test's failing store, say)."""
        built = {
            name: value
            for name, value in self.__dict__.items()
            if isinstance(getattr(type(self), name, None), built_once)
        }
        return type(self)(self.settings, **{**built, **given})

    # --- built by the subclasses ----------------------------------------------------------
    orders: built_once[OrderStore] = built_once(_missing("orders"))
    catalog: built_once[Catalog] = built_once(_missing("catalog"))
    activation_queue: built_once[Queue[ActivationMessage]] = built_once(_missing("queue"))
    tokens: built_once[OneTimeTokens] = built_once(_missing("tokens"))
    counters: built_once[Counters] = built_once(_missing("counters"))
    feed_cursors: built_once[FeedCursors] = built_once(_missing("feed_cursors"))
    access_directory: built_once[AccessDirectory] = built_once(_missing("access_directory"))
    api_keys: built_once[ApiKeyStore] = built_once(_missing("api_keys"))
    webhook_store: built_once[WebhookStore] = built_once(_missing("webhook_store"))
    webhook_queue: built_once[Queue[WebhookMessage]] = built_once(_missing("webhook_queue"))
    secrets: built_once[Secrets] = built_once(_missing("secrets"))
    notification_queue: built_once[Queue[NotificationMessage]] = built_once(
        _missing("notification_queue")
    )
    notification_dead_letters: built_once[Queue[NotificationMessage]] = built_once(
        _missing("notification_dead_letters")
    )
    mailer: built_once[Mailer] = built_once(_missing("mailer"))
    provider_forms: built_once[ProviderFormStore] = built_once(_missing("provider_forms"))

    # --- the same everywhere -------------------------------------------------------------

    @staticmethod
    def _clock(_: Adapters) -> Clock:
        from ..domain.clock import SystemClock

        return SystemClock()

    clock: built_once[Clock] = built_once(_clock)

    @staticmethod
    def _signing_key(adapters: Adapters) -> bytes:
        # Signs session cookies, receipt tokens and cursors. From a secret, never a setting.
        return adapters.secrets.get(adapters.settings.app_secret_ref).encode()

    signing_key: built_once[bytes] = built_once(_signing_key)

    @staticmethod
    def _cursor_codec(adapters: Adapters) -> CursorCodec:
        from ..adapters.cursor import CursorCodec

        return CursorCodec(adapters.signing_key)

    cursor_codec: built_once[CursorCodec] = built_once(_cursor_codec)

    @staticmethod
    def _city_networks(adapters: Adapters) -> CityNetworkClients:
        from ..adapters.citynet.registry import CityNetworkRegistry

        return CityNetworkRegistry(
            adapters.catalog,
            adapters.secrets,
            deadline_s=adapters.settings.city_network_deadline_s,
            max_reply_bytes=adapters.settings.city_network_max_reply_bytes,
        )

    city_networks: built_once[CityNetworkClients] = built_once(_city_networks)

    @staticmethod
    def _webhook_transport(adapters: Adapters) -> WebhookTransport:
        from ..adapters.webhooks.sender import WebhookSender
        from ..adapters.webhooks.transport import HttpWebhookTransport

        config = adapters.settings
        sender = WebhookSender(
            allow_insecure=config.allow_insecure_webhooks,
            reserved_ports=frozenset(config.local_service_ports),
        )
        return HttpWebhookTransport(sender)

    webhook_transport: built_once[WebhookTransport] = built_once(_webhook_transport)

    @staticmethod
    def _webhook_retries(_: Adapters) -> RetrySchedule:
        from ..domain.webhooks import WEBHOOK_RETRIES

        return WEBHOOK_RETRIES

    webhook_retries: built_once[RetrySchedule] = built_once(_webhook_retries)

    @staticmethod
    def _notification_retries(_: Adapters) -> RetrySchedule:
        from ..domain.notifications import NOTIFICATION_RETRIES

        return NOTIFICATION_RETRIES

    notification_retries: built_once[RetrySchedule] = built_once(_notification_retries)

    def sent_mail(self) -> list[dict[str, Any]]:
        """The mails sent so far, oldest first (GET /_dev/mail, local stage only)."""
        raise NotImplementedError(f"{type(self).__name__} keeps no sent mail")

    @staticmethod
    def _resolver(_: Adapters) -> Resolver:
        from ..adapters.dns import resolve_host

        return resolve_host

    # DNS for the webhook guard at configuration time; tests hand in a fake one.
    resolver: built_once[Resolver] = built_once(_resolver)

    @staticmethod
    def _bounce_probe(adapters: Adapters) -> BounceProbe:
        from ..adapters.citynet.bounce_probe import BounceProbe

        return BounceProbe(deadline_s=adapters.settings.bounce_deadline_s)

    bounce_probe: built_once[BounceProbe] = built_once(_bounce_probe)

    @staticmethod
    def _form_definitions(adapters: Adapters) -> FormDefinitions:
        from ..adapters.form_files import load_form_definitions

        return load_form_definitions(adapters.settings.forms_dir)

    form_definitions: built_once[FormDefinitions] = built_once(_form_definitions)

    def component_problems(self) -> dict[str, str | None]:
        """/healthz: each component's problem, None when it answers.

        A city network is probed at its `api_url` without credentials, whatever its
        protocol: any HTTP answer means it is reachable (an ON-API base answers 401 or
        404 to a bare GET); only a transport failure is a problem."""
        from ..adapters import probes

        return {
            f"city_network:{city_network.id}": probes.http_problem(city_network.api_url)
            for city_network in self.catalog.list_city_networks()
        }

    def check_webhook_url(self, url: str) -> None:
        from ..adapters.dns import within
        from ..adapters.webhooks.guard import DNS_DEADLINE_S, check_webhook_url

        check_webhook_url(
            url,
            allow_insecure=self.settings.allow_insecure_webhooks,
            resolver=within(self.resolver, DNS_DEADLINE_S),
            reserved_ports=frozenset(self.settings.local_service_ports),
        )

    def new_webhook_secret(self) -> str:
        from ..adapters.webhooks.signing import new_webhook_secret

        return new_webhook_secret()
