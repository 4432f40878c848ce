"""The local stack for the load and webhook benchmarks: `python -m bench.stack_server ARGS`
is `python -m infra.local.stack ARGS` with one change to moto, in that process only.

moto backs up every table a TransactWriteItems touches with copy.deepcopy(table), once per
item of the transaction, and a table's copy includes every stream record ever written. So
each order's transactions cost more than the last one's (an order took 0.2 s at first and
over 1 s after 150 orders). Every Query also sorts and walks the whole table, even on the
table's own key. And moto's DynamoDB is not thread-safe: under concurrent requests it
answered 500 ("dictionary changed size during iteration"). DynamoDB has none of these
costs or races. Here DynamoDB requests are handled one at a time (moto is CPU-bound under the
GIL, so little is lost), a transaction's backup copies the item containers (what a
rollback of Put-only transactions restores), and a Query on the table's key reads its
partition only. A Query on an index still walks the table (moto has no index structure):
later orders of a run pay a little more for it. Both the app and the bare path run
against this same server, so they pay the same.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from typing import Any


def patch_moto_dynamodb() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    from infra.local.moto_safety import serialize_dynamodb_requests

    if getattr(DynamoDBBackend, "_bench_patched", False):
        return
    # The local stack's own fix for moto's thread-safety; the rest here is speed only.
    serialize_dynamodb_requests()

    def backup(self: Table, memo: dict[int, Any]) -> Table:
        clone = copy.copy(self)
        clone.items = defaultdict(
            dict, {k: dict(v) if isinstance(v, dict) else v for k, v in self.items.items()}
        )
        return clone

    partition = threading.local()
    all_items = Table.all_items
    query = Table.query

    def partition_items(self: Table) -> list[Any]:
        hash_key = getattr(partition, "hash_key", None)
        if hash_key is None:
            return all_items(self)
        found = list(self.items.get(hash_key, {}).values())
        return sorted(found, key=lambda item: (item.hash_key, item.range_key))

    def key_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None or not self.range_key_attr:
            return query(self, hash_key, *args, **kwargs)
        partition.hash_key = hash_key
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            partition.hash_key = None

    Table.__deepcopy__ = backup  # type: ignore[attr-defined]
    Table.all_items = partition_items  # type: ignore[method-assign]
    Table.query = key_query  # type: ignore[method-assign]
    DynamoDBBackend._bench_patched = True  # type: ignore[attr-defined]


def main() -> int:
    from infra.local.stack import main as stack_main

    patch_moto_dynamodb()
    return stack_main()


if __name__ == "__main__":
    raise SystemExit(main())
