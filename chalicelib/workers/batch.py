"""One Lambda batch through a record handler, reporting only the records that raised.

Powertools' batch processor turns a raising record into a `batchItemFailures` entry, so
one bad record does not bring the whole batch back. Imported lazily: the API functions
load the same `app` module and should not pay for it at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def process_batch(
    event: Any, record_handler: Callable[[Any], Any], *, stream: bool = False
) -> dict[str, Any]:
    """`event` is Chalice's SQSEvent or DynamoDBEvent; `stream` selects the record type."""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    # A processor per invocation: it keeps per-batch state.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams if stream else EventType.SQS)
    response = process_partial_response(
        event=event.to_dict(),
        record_handler=record_handler,
        processor=processor,
        # Chalice types the Lambda context as a dict; it is the runtime's context object.
        context=event.context,
    )
    return dict(response)
