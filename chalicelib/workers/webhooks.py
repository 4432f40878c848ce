"""Webhook entry points: the outbox relay (the table's stream) and the delivery worker
(the webhook queue).

Thin on purpose: Powertools' batch processor runs each record through a use case in
`chalicelib.domain.webhook_delivery` and reports only the records that raised as
`batchItemFailures`. A record raises when it cannot be parsed (after the queue's
maxReceiveCount an SQS message moves to the DLQ) or when the store or queue is down (it
comes back); a failed HTTP attempt is not an error here: it is recorded and scheduled.

The relay needs the stream's event source mapping to report batch item failures
(FunctionResponseTypes: ReportBatchItemFailures) so a failed record is retried from its
own sequence number; relaying is idempotent, so the records after it may repeat safely.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from chalice.app import Blueprint

from .batch import process_batch
from .correlation import correlated

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import DynamoDBEvent, SQSEvent

QUEUE_NAME = os.environ.get("WEBHOOK_QUEUE_NAME", "stadsnatsfabriken-webhook")
# Known only once the table exists: the deployment sets it from the table's stream; the
# local stack feeds the handler itself (infra/local/streams.py).
TABLE_STREAM_ARN = os.environ.get(
    "TABLE_STREAM_ARN",
    "arn:aws:dynamodb:eu-north-1:000000000000:table/stadsnatsfabriken/stream/local",
)

bp = Blueprint(__name__)
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "stadsnatsfabriken"))


def deliver_record(record: SQSRecord) -> str:
    """One webhook queue message; raises to report the record as failed."""
    from pydantic import ValidationError

    from chalicelib.domain.webhook_delivery import deliver
    from chalicelib.domain.webhooks import WebhookMessage
    from chalicelib.webhook_wiring import webhook_deps

    try:
        message = WebhookMessage.model_validate_json(record.body)
    except ValidationError as error:
        # Never the body: only which fields were wrong.
        fields = [".".join(map(str, e["loc"])) for e in error.errors(include_input=False)]
        logger.error(
            "unprocessable webhook message",
            extra={"message_id": record.message_id, "fields": fields},
        )
        raise
    with correlated(logger, message.delivery_id):
        try:
            result = deliver(message, webhook_deps())
        except Exception:
            logger.exception(
                "webhook attempt failed to run; the message will come back",
                extra={"message_id": record.message_id, "attempt": message.attempt},
            )
            raise
        logger.info(
            "webhook message processed",
            extra={"result": result, "attempt": message.attempt, "provider": message.provider_id},
        )
        return result


def relay_record(record: DynamoDBRecord) -> str:
    """One stream record: an order event with a webhook type becomes a queued delivery."""
    from chalicelib.adapters.dynamodb.webhooks import outbox_event
    from chalicelib.domain.webhook_delivery import relay_event
    from chalicelib.webhook_wiring import webhook_deps

    if record.raw_event.get("eventName") != "INSERT":
        return "skipped"  # events are written once; updates and TTL deletions are not news
    event = outbox_event(record.raw_event.get("dynamodb", {}).get("NewImage"))
    if event is None:
        return "skipped"
    with correlated(logger, event.order_id):
        try:
            delivery = relay_event(event, webhook_deps())
        except Exception:
            logger.exception("relaying an order event failed", extra={"event_id": event.id})
            raise
        logger.info(
            "order event relayed",
            extra={"event_id": event.id, "delivery_id": delivery.id if delivery else None},
        )
        return "relayed" if delivery is not None else "no_webhook"


@bp.on_sqs_message(queue=QUEUE_NAME, batch_size=10)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    return process_batch(event, deliver_record)


@bp.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=100, starting_position="LATEST")
def relay_order_events(event: DynamoDBEvent) -> dict[str, Any]:
    return process_batch(event, relay_record, stream=True)
