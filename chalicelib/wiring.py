"""Builds the adapters once per process and hands them to entry points.

Entry points call `services()`; tests install their own with `use_services(...)`
(usually `in_memory_services()`), so routes run unchanged against fakes.
Everything heavy is imported inside the builders: a Lambda cold start pays only for
what its entry point touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .process_wide import ProcessWide

if TYPE_CHECKING:
    from .domain.citynet import CityNetworkClients
    from .domain.ports import ApiKeyStore, Deps, OneTimeTokens, Secrets


@dataclass(frozen=True)
class Services:
    deps: Deps
    api_keys: ApiKeyStore
    tokens: OneTimeTokens
    secrets: Secrets
    # Signs session cookies, receipt tokens and cursors. From a secret, never from config.
    signing_key: bytes = field(repr=False)


# Through a lambda: the builder is defined further down.
_current: ProcessWide[Services] = ProcessWide(lambda: services_from_environment())


def services() -> Services:
    return _current.get()


def use_services(replacement: Services | None) -> None:
    _current.replace(replacement)


def services_from_environment() -> Services:
    from .adapters.cached_catalog import CachedCatalog
    from .adapters.citynet.registry import CityNetworkRegistry
    from .adapters.cursor import CursorCodec
    from .adapters.dynamodb.api_keys import DynamoDBApiKeyStore
    from .adapters.dynamodb.catalog import DynamoDBCatalog
    from .adapters.dynamodb.orders import DynamoDBOrderStore
    from .adapters.dynamodb.tokens import DynamoDBOneTimeTokens
    from .adapters.secrets import secrets_from_environment
    from .adapters.sqs import SqsActivationQueue
    from .config import settings
    from .domain.clock import SystemClock
    from .domain.ports import Deps

    config = settings()
    secrets = secrets_from_environment()
    signing_key = secrets.get(config.app_secret_ref).encode()
    catalog = CachedCatalog(DynamoDBCatalog(config.table_name), config.catalog_cache_ttl_s)
    deps = Deps(
        orders=DynamoDBOrderStore(config.table_name, CursorCodec(signing_key)),
        catalog=catalog,
        city_networks=CityNetworkRegistry(catalog, secrets),
        activation_queue=SqsActivationQueue(config.activation_queue_url),
        clock=SystemClock(),
    )
    return Services(
        deps=deps,
        api_keys=DynamoDBApiKeyStore(config.table_name),
        tokens=DynamoDBOneTimeTokens(config.table_name),
        secrets=secrets,
        signing_key=signing_key,
    )


def in_memory_services(
    *,
    city_networks: CityNetworkClients | None = None,
    secrets: dict[str, str] | None = None,
    clock: object | None = None,
) -> Services:
    """Everything in memory: for unit tests and the CPU profile. `city_networks` defaults
    to the real Direct Activation registry over the in-memory catalog."""
    from .adapters.citynet.registry import CityNetworkRegistry
    from .adapters.cursor import CursorCodec
    from .adapters.memory.store import (
        InMemoryApiKeyStore,
        InMemoryCatalog,
        InMemoryOneTimeTokens,
        InMemoryOrderStore,
    )
    from .adapters.secrets import StaticSecrets
    from .adapters.sqs import InMemoryActivationQueue
    from .domain.clock import Clock, SystemClock
    from .domain.ports import Deps

    static = StaticSecrets({"app/signing-key": "test-signing-key", **(secrets or {})})
    signing_key = static.get("app/signing-key").encode()
    catalog = InMemoryCatalog()
    the_clock: Clock = clock if clock is not None else SystemClock()  # type: ignore[assignment]
    deps = Deps(
        orders=InMemoryOrderStore(CursorCodec(signing_key)),
        catalog=catalog,
        city_networks=city_networks or CityNetworkRegistry(catalog, static),
        activation_queue=InMemoryActivationQueue(),
        clock=the_clock,
    )
    return Services(
        deps=deps,
        api_keys=InMemoryApiKeyStore(),
        tokens=InMemoryOneTimeTokens(the_clock),
        secrets=static,
        signing_key=signing_key,
    )
