"""The low-level DynamoDB client (see adapters/aws_clients.py: lazy, cached per endpoint)."""

from __future__ import annotations

from typing import Any

from ..aws_clients import aws_client, reset_clients


def dynamodb_client() -> Any:
    return aws_client("dynamodb")


def reset_client() -> None:
    """Forget cached clients (tests that swap endpoints or patch the client)."""
    reset_clients()
