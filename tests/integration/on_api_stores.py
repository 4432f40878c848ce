"""The adapters ON-API integration tests run on: the stores in memory, or DynamoDB on
moto's server. The activation queue stays in memory either way, so a test can take the
step the provider's trigger queued."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import TEST_SECRETS, Adapters, AwsAdapters, InMemoryAdapters
from chalicelib.settings import Settings
from infra.local.emulator_onapi import OnApiEmulator
from tests import aws

STORES = ["in memory", "on moto"]


def adapters_on(request: pytest.FixtureRequest, emulator: OnApiEmulator) -> Adapters:
    """`request.param` names the stores; the emulator's credentials are the secrets."""
    user, password = emulator.auth
    secrets = StaticSecrets({**TEST_SECRETS, "demo-onapi/api": f"{user}:{password}"})
    if request.param == "in memory":
        return InMemoryAdapters(secrets=secrets)
    table_name = request.getfixturevalue("table_name")
    connection = aws.connection()
    return AwsAdapters(
        Settings(
            table_name=table_name,
            aws_endpoint_url=connection.endpoint_url,
            aws_region=connection.region,
            stage="local",
        ),
        secrets=secrets,
        activation_queue=InMemoryQueue(),
        # Uncached: a test adds offers as it goes.
        catalog=DynamoDBCatalog(aws.table(table_name)),
    )
