"""Low-level boto3 clients, created on first use and reused (cold starts stay short).

boto3 itself honours AWS_ENDPOINT_URL (moto locally). The cache is keyed by service,
endpoint and region, so a process that starts moto after something else made a client
still talks to the right server.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Literal

Service = Literal["dynamodb", "sqs"]

_lock = threading.Lock()
_clients: dict[tuple[Service, str | None, str | None], Any] = {}


def aws_client(service: Service) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, os.environ.get("AWS_ENDPOINT_URL"), region)
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                service,
                region_name=region,
                config=Config(
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"mode": "standard", "max_attempts": 3},
                ),
            )
            _clients[key] = client
        return client


def reset_clients() -> None:
    """Forget cached clients (tests that swap endpoints or patch a client)."""
    with _lock:
        _clients.clear()
