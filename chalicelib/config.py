"""Settings from the environment, read once per process. Secrets are never settings:
only the *names* of secrets live here (see adapters/secrets.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    activation_queue_url: str
    webhook_queue_url: str
    city_network_deadline_s: float
    city_network_max_reply_bytes: int
    bounce_deadline_s: float
    # How long a warm process trusts what it read of providers, city networks and offers.
    catalog_cache_ttl_s: float
    # Local stack only: webhooks to http:// and loopback addresses.
    allow_insecure_webhooks: bool
    # Name of the secret that signs sessions, cursors and receipt tokens.
    app_secret_ref: str
    public_base_url: str | None

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        stage=env.get("STAGE", "local"),
        table_name=env.get("TABLE_NAME", "stadsnatsfabriken"),
        activation_queue_url=env.get("ACTIVATION_QUEUE_URL", ""),
        webhook_queue_url=env.get("WEBHOOK_QUEUE_URL", ""),
        city_network_deadline_s=float(env.get("CITY_NETWORK_DEADLINE_S", "5")),
        city_network_max_reply_bytes=int(env.get("CITY_NETWORK_MAX_REPLY_BYTES", str(1 << 20))),
        bounce_deadline_s=float(env.get("BOUNCE_DEADLINE_S", "3")),
        catalog_cache_ttl_s=float(env.get("CATALOG_CACHE_TTL_S", "30")),
        allow_insecure_webhooks=_bool("ALLOW_INSECURE_WEBHOOKS"),
        app_secret_ref=env.get("APP_SECRET_REF", "app/signing-key"),
        public_base_url=env.get("PUBLIC_BASE_URL") or None,
    )
