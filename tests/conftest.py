"""Fixtures shared by every test layer.

AWS is moto's server on 127.0.0.1 (one per test session); boto3 finds it through
AWS_ENDPOINT_URL, exactly as the local stack does. Fake credentials make sure nothing
here could ever reach a real account.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.hypothesis_profiles", "tests.security.log_guard"]

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_REGION": "eu-north-1",
        "POWERTOOLS_SERVICE_NAME": "stadsnatsfabriken",
        "POWERTOOLS_METRICS_NAMESPACE": "Stadsnatsfabriken",
        "POWERTOOLS_DEV": "false",
        # The log guard reads the project's loggers at DEBUG (tests/security/log_guard.py).
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
    }
)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from infra.local.moto_safety import serialize_dynamodb_requests

    serialize_dynamodb_requests()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = previous
    server.stop()


@pytest.fixture
def table_name(moto_endpoint: str) -> str:
    """A fresh, empty table per test, created from the one schema definition."""
    from chalicelib.adapters.dynamodb.schema import create_table
    from tests.aws import table

    name = f"t-{uuid.uuid4().hex[:12]}"
    create_table(table(name))
    return name
