"""Cheap reachability probes for /healthz. Each returns None when fine, else a short reason."""

from __future__ import annotations

import logging

from .aws_clients import AwsConnection
from .dynamodb.client import DynamoDBTable

logger = logging.getLogger(__name__)


def table_problem(table: DynamoDBTable) -> str | None:
    try:
        description = table.client().describe_table(TableName=table.name)["Table"]
    except Exception as error:
        logger.warning("table probe failed: %s", type(error).__name__)
        return f"unreachable ({type(error).__name__})"
    status = description["TableStatus"]
    return None if status == "ACTIVE" else f"table is {status}"


def queue_problem(queue_url: str, connection: AwsConnection) -> str | None:
    if not queue_url:
        return "not configured"
    try:
        connection.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )
    except Exception as error:
        logger.warning("queue probe failed: %s", type(error).__name__)
        return f"unreachable ({type(error).__name__})"
    return None


def http_problem(url: str, timeout_s: float = 2.0) -> str | None:
    """Any HTTP answer means the server is there; only the transport can fail here."""
    import requests

    try:
        requests.get(url, timeout=timeout_s, allow_redirects=False).close()
    except requests.RequestException as error:
        return f"unreachable ({type(error).__name__})"
    return None
