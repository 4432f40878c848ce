"""Where the tests' AWS clients go: moto's server, as the `moto_endpoint` fixture set it."""

from __future__ import annotations

import os
from typing import Any

from chalicelib.adapters.aws_clients import AwsConnection
from chalicelib.adapters.dynamodb.client import DynamoDBTable


def connection() -> AwsConnection:
    return AwsConnection(os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_REGION"))


def table(name: str) -> DynamoDBTable:
    return DynamoDBTable(name, connection())


def dynamodb_client() -> Any:
    return connection().client("dynamodb")


def sqs_client() -> Any:
    return connection().client("sqs")
