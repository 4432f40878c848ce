"""Counting what the adapters ask DynamoDB and SQS, shared by the request-count test and
the benchmarks.

botocore's event hooks on the adapters' cached clients (before-parameter-build, once per
API call; after-call) count every DynamoDB and SQS call and size the items read and
written, for capacity units. With `record=True` the counter also keeps each call's
operation and parameters in order, so the bare path of the load benchmark can send exactly
the same requests without the app.
"""

from __future__ import annotations

import copy
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws_clients import AwsConnection
from chalicelib.adapters.dynamodb.schema import TABLE_DEFINITION

# Index key attributes: an item carrying one is also written to that index.
GSI_KEYS = [
    index["KeySchema"][0]["AttributeName"] for index in TABLE_DEFINITION["GlobalSecondaryIndexes"]
]


def item_bytes(value: Any) -> int:
    """DynamoDB's item size rule, closely enough: names plus values in UTF-8, numbers about
    one byte per two digits, a few bytes of overhead per map or list."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind == "S":
            return len(inner.encode())
        if kind == "N":
            return math.ceil(len(inner) / 2) + 1
        if kind == "B":
            return len(inner)
        if kind in {"BOOL", "NULL"}:
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + item_bytes(v) for k, v in inner.items())
        if kind == "L":
            return 3 + sum(1 + item_bytes(v) for v in inner)
        if kind in {"SS", "NS"}:
            return sum(len(str(v)) for v in inner)
    if isinstance(value, dict):
        return sum(len(k.encode()) + item_bytes(v) for k, v in value.items())
    raise AssertionError(f"unexpected attribute value {value!r}")


def write_units(item: dict[str, Any], transactional: bool) -> int:
    """1 WRU per KB, twice in a transaction, once more per index the item lands in."""
    units = math.ceil(item_bytes(item) / 1024)
    copies = 1 + sum(1 for key in GSI_KEYS if key in item)
    return units * copies * (2 if transactional else 1)


def read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    """4 KB per unit of the data read, at least one; half for eventually consistent reads."""
    units = max(1, math.ceil(sum(item_bytes(i) for i in items) / 4096))
    return units if consistent else units / 2


def updated_item(params: dict[str, Any]) -> dict[str, Any]:
    """What an update writes, sized from its key and new values (the written item is at
    least this big; DynamoDB charges the larger of before and after)."""
    return {**params["Key"], **params.get("ExpressionAttributeValues", {})}


@dataclass(frozen=True)
class RecordedCall:
    service: str  # "dynamodb" or "sqs"
    operation: str  # botocore's operation name, e.g. "TransactWriteItems"
    params: dict[str, Any]
    at: float  # time.time() when it was sent


class RequestCounter:
    """Counts the calls made on the adapters' boto3 clients while it is installed."""

    def __init__(self, *, record: bool = False) -> None:
        self.calls: Counter[str] = Counter()
        self.rru = 0.0
        self.wru = 0
        self.recorded: list[RecordedCall] = []
        self._record = record
        self._consistent = False

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}:{model.name}"] += 1
        if self._record:
            self.recorded.append(
                RecordedCall(service, model.name, copy.deepcopy(params), time.time())
            )
        self._consistent = bool(params.get("ConsistentRead"))
        if model.name == "PutItem":
            self.wru += write_units(params["Item"], transactional=False)
        elif model.name == "UpdateItem":
            self.wru += write_units(updated_item(params), transactional=False)
        elif model.name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, action),) = entry.items()
                item = action["Item"] if kind == "Put" else updated_item(action)
                self.wru += write_units(item, transactional=True)

    def after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "GetItem":
            self.rru += read_units([parsed.get("Item", {})], self._consistent)
        elif model.name == "Query":
            self.rru += read_units(parsed.get("Items", []), self._consistent)

    def install(self, connection: AwsConnection) -> Callable[[], None]:
        """Count on the clients the adapters use on `connection`."""
        handlers = []
        for service in ("dynamodb", "sqs"):
            client = connection.client(service)  # type: ignore[arg-type]
            events = client.meta.events
            events.register(f"before-parameter-build.{service}", self.before_call)
            events.register(f"after-call.{service}", self.after_call)
            handlers.append(events)

        def uninstall() -> None:
            for events, service in zip(handlers, ("dynamodb", "sqs"), strict=True):
                events.unregister(f"before-parameter-build.{service}", self.before_call)
                events.unregister(f"after-call.{service}", self.after_call)

        return uninstall

    def by_service(self, service: str) -> dict[str, int]:
        """Operation -> count for one service ("dynamodb" or "sqs")."""
        prefix = f"{service}:"
        return {k.removeprefix(prefix): n for k, n in self.calls.items() if k.startswith(prefix)}
