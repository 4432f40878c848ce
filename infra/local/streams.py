"""Feeds the table's stream to the app's `on_dynamodb_record` handlers, as Lambda's event
source mapping would: Lambda-shaped records, batches up to the handler's batch size, in
order per shard, and partial batch failures honoured (the shard is read again from the
first failed record, so nothing after it is skipped; a handler that raises gets the whole
batch again).

The handler's registered stream ARN is a deployment setting; locally the ARN of the
table's actual stream is used.

The poller keeps a position per shard (the last sequence number handled), not the shard
iterator the last read returned, and asks for a fresh iterator on every read. moto rolls
a failed transaction back by putting a copy of the table in place, stream included: an
iterator kept from before then reads the orphaned copy, which holds the rolled-back
writes and never sees another record.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime
from typing import Any

from chalice.app import Chalice, DynamoDBEventConfig
from chalice.local import LambdaContext

logger = logging.getLogger("local.streams")

_OLDEST, _AFTER, _AT = "TRIM_HORIZON", "AFTER_SEQUENCE_NUMBER", "AT_SEQUENCE_NUMBER"


class StreamPoller:
    def __init__(self, app: Chalice, stream_arn: str, *, idle_wait_s: float = 0.2) -> None:
        import boto3

        self._streams = boto3.client("dynamodbstreams")
        self._arn = stream_arn
        self._idle_wait_s = idle_wait_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Per shard: where the next read starts (iterator type, sequence number).
        self._positions: dict[str, tuple[str, str | None]] = {}
        self._sources: list[tuple[DynamoDBEventConfig, Any]] = []
        for source in app.event_sources:
            if isinstance(source, DynamoDBEventConfig):
                self._sources.append((source, app.handler_map[source.name]))
        # Start at the oldest record: whatever was written before the poller started counts.
        for shard in self._shards():
            self._positions[shard] = (_OLDEST, None)

    @property
    def handlers(self) -> list[str]:
        return [source.name for source, _ in self._sources]

    def start(self) -> StreamPoller:
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def drain(self, max_rounds: int = 50) -> int:
        """Hand every record available now to the handlers (tests drive it this way)."""
        total = 0
        for _ in range(max_rounds):
            handed = self.poll_once()
            total += handed
            if handed == 0:
                return total
        return total

    def poll_once(self) -> int:
        """One read of every shard; the number of records handed to the handlers."""
        with self._lock:
            live = self._shards()
            for shard in live:
                self._positions.setdefault(shard, (_OLDEST, None))
            return sum(self._poll_shard(shard) for shard in live)

    # --- internals ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handed = self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("reading the table's stream failed")
                handed = 0
            if handed == 0:
                self._stop.wait(self._idle_wait_s)

    def _shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _iterator(self, shard: str, kind: str, sequence_number: str | None = None) -> str:
        params: dict[str, Any] = {"StreamArn": self._arn, "ShardId": shard}
        params["ShardIteratorType"] = kind
        if sequence_number is not None:
            params["SequenceNumber"] = sequence_number
        return str(self._streams.get_shard_iterator(**params)["ShardIterator"])

    def _poll_shard(self, shard: str) -> int:
        batch_size = min((s.batch_size for s, _ in self._sources), default=100)
        kind, sequence_number = self._positions[shard]
        iterator = self._iterator(shard, kind, sequence_number)
        response = self._streams.get_records(ShardIterator=iterator, Limit=batch_size)
        records = [_record(r, self._arn) for r in response.get("Records", [])]
        if not records:
            return 0
        retry_from: str | None = None
        for source, handler in self._sources:
            failed = self._deliver(source, handler, records)
            if failed is not None and (retry_from is None or int(failed) < int(retry_from)):
                retry_from = failed
        if retry_from is None:
            self._positions[shard] = (_AFTER, str(records[-1]["dynamodb"]["SequenceNumber"]))
        else:
            self._positions[shard] = (_AT, retry_from)
            self._stop.wait(self._idle_wait_s)  # Lambda retries too, not in a tight loop
        return len(records)

    def _deliver(
        self, source: DynamoDBEventConfig, handler: Any, records: list[dict[str, Any]]
    ) -> str | None:
        """The sequence number to read again from, or None when the batch is done."""
        context = LambdaContext(function_name=source.name, memory_size=256, max_runtime_ms=60_000)
        context.aws_request_id = str(uuid.uuid4())
        try:
            response = handler({"Records": records}, context) or {}
        except Exception:
            logger.exception("stream handler %s raised; the batch comes again", source.name)
            return str(records[0]["dynamodb"]["SequenceNumber"])
        failed = [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
        return min(failed, key=int) if failed else None


def _record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A get_records record as a Lambda event record (epoch seconds, the source ARN)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID", str(uuid.uuid4())),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", arn.split(":")[3]),
        "dynamodb": dynamodb,
        "eventSourceARN": arn,
    }
