"""Small helpers around the low-level client's attribute-value dicts and paginated Query.

Documents are stored as one JSON string attribute (``doc``): one (de)serialisation through
pydantic, no per-field type mapping, and Decimal never leaks into the domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# DynamoDB's cap on the items of one TransactWriteItems call.
MAX_TRANSACTION_ITEMS = 100

Item = dict[str, dict[str, Any]]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def text(item: Item, name: str) -> str:
    return str(item[name]["S"])


def query_items(client: Any, params: dict[str, Any]) -> Iterator[Item]:
    """Every item of a Query, following LastEvaluatedKey."""
    params = dict(params)
    while True:
        response = client.query(**params)
        yield from response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        params["ExclusiveStartKey"] = last


def cancellation_codes(error: Exception) -> list[str]:
    """The per-item reason codes of a cancelled transaction, in TransactItems order."""
    response: dict[str, Any] = getattr(error, "response", {}) or {}
    reasons = response.get("CancellationReasons") or []
    return [str(r.get("Code") or "None") for r in reasons]
