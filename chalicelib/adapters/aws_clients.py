"""Low-level boto3 clients, created on first use and reused (cold starts stay short).

A connection is where the clients go: the settings' endpoint (moto locally, none on AWS)
and region. Clients are cached per service and connection, so a process that talks to two
moto servers in turn (tests, benchmarks) never reuses a client of the other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

Service = Literal["dynamodb", "sqs", "sesv2"]

_lock = threading.Lock()
_clients: dict[tuple[Service, AwsConnection], Any] = {}


@dataclass(frozen=True)
class AwsConnection:
    endpoint_url: str | None = None
    region: str | None = None

    def client(self, service: Service) -> Any:
        key = (service, self)
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
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=Config(
                        connect_timeout=2,
                        read_timeout=5,
                        retries={"mode": "standard", "max_attempts": 3},
                    ),
                )
                _clients[key] = client
            return client


def reset_clients() -> None:
    """Forget cached clients (tests that patch a client)."""
    with _lock:
        _clients.clear()
