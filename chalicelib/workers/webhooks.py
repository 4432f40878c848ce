"""Webhook entry points: the outbox relay (the table's stream) and the delivery worker
(the webhook queue). The relay also queues the later look an activation intent promises
(`chalicelib.domain.activation.intents`) and the customer's mail of an event
(`chalicelib.domain.notifications`, sent by workers/notifications.py).

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

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.settings import settings

from .batch import process_batch

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import DynamoDBEvent, SQSEvent

bp = Blueprint(__name__)


def deliver_record(record: SQSRecord) -> str:
    """One webhook queue message; raises to report the record as failed."""
    from pydantic import ValidationError

    from chalicelib.composition import adapters
    from chalicelib.domain.webhook_delivery import deliver
    from chalicelib.domain.webhooks import WebhookMessage
    from chalicelib.logs import correlated, logger

    try:
        message = WebhookMessage.model_validate_json(record.body)
    except ValidationError as error:
        # Never the body: only which fields were wrong.
        fields = [".".join(map(str, e["loc"])) for e in error.errors(include_input=False)]
        logger().error(
            "unprocessable webhook message",
            extra={"message_id": record.message_id, "fields": fields},
        )
        raise
    with correlated(message.delivery_id) as log:
        try:
            result = deliver(message, adapters())
        except Exception:
            log.exception(
                "webhook attempt failed to run; the message will come back",
                extra={"message_id": record.message_id, "attempt": message.attempt},
            )
            raise
        log.info(
            "webhook message processed",
            extra={"result": result, "attempt": message.attempt, "provider": message.provider_id},
        )
        return result


def relay_record(record: DynamoDBRecord) -> str:
    """One stream record: an order event with a webhook type becomes a queued delivery;
    one with an activation intent, a queued look at its attempt; one the customer hears
    about, a queued mail."""
    from chalicelib.adapters.dynamodb.webhooks import outbox_event
    from chalicelib.composition import adapters
    from chalicelib.domain.activation.intents import queue_look_again
    from chalicelib.domain.notifications import queue_notification
    from chalicelib.domain.webhook_delivery import relay_event
    from chalicelib.logs import correlated

    if record.raw_event.get("eventName") != "INSERT":
        return "skipped"  # events are written once; updates and TTL deletions are not news
    event = outbox_event(record.raw_event.get("dynamodb", {}).get("NewImage"))
    if event is None:
        return "skipped"
    with correlated(event.order_id) as log:
        deps = adapters()
        try:
            look = queue_look_again(event, deps.settings.activation_intent_look_s, deps)
            # Before the webhook: a provider's endpoint being gone must not cost the mail.
            mail = queue_notification(event, deps)
            delivery = relay_event(event, deps)
        except Exception:
            log.exception("relaying an order event failed", extra={"event_id": event.id})
            raise
        log.info(
            "order event relayed",
            extra={
                "event_id": event.id,
                "delivery_id": delivery.id if delivery else None,
                "activation_look": look is not None,
                "mail": mail.kind.value if mail else None,
            },
        )
        if delivery is not None:
            return "relayed"
        return "look_queued" if look is not None else "no_webhook"


@bp.on_sqs_message(queue=settings().webhook_queue_name, batch_size=10)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    return process_batch(event, deliver_record)


@bp.on_dynamodb_record(
    stream_arn=settings().table_stream_arn, batch_size=100, starting_position="LATEST"
)
def relay_order_events(event: DynamoDBEvent) -> dict[str, Any]:
    return process_batch(event, relay_record, stream=True)
