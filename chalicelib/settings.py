"""Every setting of a process, read from its environment in this one place.

Only the composition root (chalicelib/composition/) and the entry points' decorators
(which need queue names when the module is imported) read these; nothing else reads the
environment. Secrets are never settings: only the *names* of secrets live here; their
values come from the secrets adapter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

LOCAL_STAGE = "local"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # "local" for the local stack (and only there: see `allow_insecure_webhooks`); a
    # deployment's stage name otherwise. Unset is not local.
    stage: str = field(default="", metadata={"env": "STAGE"})
    table_name: str = field(default="stadsnatsfabriken", metadata={"env": "TABLE_NAME"})
    activation_queue_url: str = field(default="", metadata={"env": "ACTIVATION_QUEUE_URL"})
    webhook_queue_url: str = field(default="", metadata={"env": "WEBHOOK_QUEUE_URL"})
    notification_queue_url: str = field(default="", metadata={"env": "NOTIFICATION_QUEUE_URL"})
    # Where a mail goes after its retries (the notification worker puts it there itself).
    notification_dlq_url: str = field(default="", metadata={"env": "NOTIFICATION_DLQ_URL"})
    # Names the SQS event sources are declared with (Chalice reads them at import).
    activation_queue_name: str = field(
        default="stadsnatsfabriken-activation", metadata={"env": "ACTIVATION_QUEUE_NAME"}
    )
    webhook_queue_name: str = field(
        default="stadsnatsfabriken-webhook", metadata={"env": "WEBHOOK_QUEUE_NAME"}
    )
    notification_queue_name: str = field(
        default="stadsnatsfabriken-notification", metadata={"env": "NOTIFICATION_QUEUE_NAME"}
    )
    # The From of every customer mail: an SES identity the notification worker may send as.
    mail_sender: str = field(
        default="no-reply@stadsnatsfabriken.se", metadata={"env": "MAIL_SENDER"}
    )
    # Known only once the table exists: the deployment sets it; the local stack feeds the
    # relay itself (infra/local/streams.py).
    table_stream_arn: str = field(
        default="arn:aws:dynamodb:eu-north-1:000000000000:table/stadsnatsfabriken/stream/local",
        metadata={"env": "TABLE_STREAM_ARN"},
    )
    city_network_deadline_s: float = field(default=5.0, metadata={"env": "CITY_NETWORK_DEADLINE_S"})
    city_network_max_reply_bytes: int = field(
        default=1 << 20, metadata={"env": "CITY_NETWORK_MAX_REPLY_BYTES"}
    )
    bounce_deadline_s: float = field(default=3.0, metadata={"env": "BOUNCE_DEADLINE_S"})
    # When the relay's look at a `pending` attempt comes (domain/activation/intents.py):
    # longer than the customer's request may take, short enough that a lost attempt is
    # noticed within minutes.
    activation_intent_look_s: int = field(default=120, metadata={"env": "ACTIVATION_INTENT_LOOK_S"})
    # Customer orders accepted per outlet (access_id) and per source address in an hour
    # (domain/order_limits.py); the next one is a 429 page and never reaches the network.
    orders_per_access_per_hour: int = field(
        default=5, metadata={"env": "ORDERS_PER_ACCESS_PER_HOUR"}
    )
    orders_per_address_per_hour: int = field(
        default=10, metadata={"env": "ORDERS_PER_ADDRESS_PER_HOUR"}
    )
    # How long a warm process trusts what it read of providers, city networks and offers.
    catalog_cache_ttl_s: float = field(default=30.0, metadata={"env": "CATALOG_CACHE_TTL_S"})
    # The local stack's own service ports (app, moto, emulator): a webhook may not call
    # them, even on loopback (one to the emulator's reset wiped its call log).
    local_service_ports: tuple[int, ...] = field(
        default=(), metadata={"env": "LOCAL_SERVICE_PORTS"}
    )
    # Name of the secret that signs sessions, cursors and receipt tokens.
    app_secret_ref: str = field(default="app/signing-key", metadata={"env": "APP_SECRET_REF"})
    # Where the customer web is reached from outside: the links in mails start with it.
    public_base_url: str | None = field(default=None, metadata={"env": "PUBLIC_BASE_URL"})
    # Secrets from SSM Parameter Store under this prefix; unset: SECRET_<NAME> variables.
    secrets_ssm_prefix: str | None = field(default=None, metadata={"env": "SECRETS_SSM_PREFIX"})
    forms_dir: Path | None = field(default=None, metadata={"env": "FORMS_DIR"})
    # moto locally; unset: AWS's own endpoints.
    aws_endpoint_url: str | None = field(default=None, metadata={"env": "AWS_ENDPOINT_URL"})
    aws_region: str | None = field(default=None, metadata={"env": "AWS_REGION"})
    # The Powertools service name of this function's log lines.
    service_name: str = field(
        default="stadsnatsfabriken", metadata={"env": "POWERTOOLS_SERVICE_NAME"}
    )
    log_level: str = field(default="INFO", metadata={"env": "POWERTOOLS_LOG_LEVEL"})
    # Where SECRET_<NAME> values are looked up when no SSM prefix is set (the local stack
    # and tests): this process's environment, read live.
    environment: Mapping[str, str] = field(
        default_factory=dict, repr=False, compare=False, metadata={"env": None}
    )

    @property
    def allow_insecure_webhooks(self) -> bool:
        """Plain-http webhooks to loopback: the local stack's receiver, and nowhere else.
        One setting decides, the stage; `make package` refuses to build the local one."""
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"environment": env}
        for f in fields(cls):
            name = f.metadata.get("env")
            if name is None:
                continue
            raw = env.get(name)
            if name == "AWS_REGION" and not raw:
                raw = env.get("AWS_DEFAULT_REGION")
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = _parsed(f.type, raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a valid {f.type}") from None
        return cls(**values)  # type: ignore[arg-type]


def _parsed(annotation: object, raw: str) -> object:
    kind = str(annotation)
    if kind == "tuple[int, ...]":
        return tuple(int(part) for part in raw.split(",") if part.strip())
    if kind == "bool":
        return _bool(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("Path"):
        return Path(raw)
    return raw


@lru_cache(maxsize=1)
def settings() -> Settings:
    """This process's settings, read once."""
    return Settings.from_environment()
