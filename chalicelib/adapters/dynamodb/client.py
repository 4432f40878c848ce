"""The low-level DynamoDB client, created on first use and reused (cold starts stay short).

boto3 itself honours AWS_ENDPOINT_URL (moto locally). The cache is keyed by endpoint and
region, so a test session that starts moto after something else made a client still talks to
the right server.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str | None, str | None], Any] = {}


def dynamodb_client() -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (os.environ.get("AWS_ENDPOINT_URL"), region)
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "dynamodb",
                region_name=region,
                config=Config(
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"mode": "standard", "max_attempts": 3},
                ),
            )
            _clients[key] = client
        return client


def reset_client() -> None:
    """Forget cached clients (tests that swap endpoints or patch the client)."""
    with _lock:
        _clients.clear()
