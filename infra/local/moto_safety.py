"""moto's DynamoDB is not thread-safe: under concurrent requests its server answers 500
("dictionary changed size during iteration"), and a failed transaction's rollback puts
back a copy of the whole table taken when it began. DynamoDB has no such race, so the
local stack (and the tests' moto server) handle DynamoDB requests one at a time. moto is
CPU-bound under the GIL: little is lost."""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.RLock()


def serialize_dynamodb_requests() -> None:
    """Patch this process's moto once: each DynamoDB request runs alone."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_one_at_a_time", False):
        return
    call_action = DynamoHandler.call_action

    @functools.wraps(call_action)
    def one_at_a_time(self: Any) -> Any:
        with _lock:
            return call_action(self)

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]
    DynamoHandler._one_at_a_time = True  # type: ignore[attr-defined]
