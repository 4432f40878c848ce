"""Activation worker: the activation queue's SQS handler.

Thin on purpose: Powertools' batch processor runs each record through the use case
(`chalicelib.domain.activation.worker.process_activation`) and reports only the records
that raised as `batchItemFailures`, so one bad message does not bring the whole batch back.
A record raises when its body is not an activation message (after the queue's
maxReceiveCount it moves to the DLQ) or when the store or queue is down (it comes back);
everything the domain decides there is nothing to do is a success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.settings import settings

from .batch import process_batch

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import SQSEvent

bp = Blueprint(__name__)


def process_record(record: SQSRecord) -> str:
    """One message; raises to report the record as failed."""
    from chalicelib.composition import adapters
    from chalicelib.domain.activation.messages import parse_activation_message
    from chalicelib.domain.activation.worker import process_activation
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.logs import correlated, logger

    try:
        message = parse_activation_message(record.body)
    except InvalidInput as error:
        # The body is not logged: only which fields were wrong.
        logger().error(
            "unprocessable activation message",
            extra={"message_id": record.message_id, "details": error.details},
        )
        raise
    with correlated(message.order_id) as log:
        try:
            deps = adapters()
            result = process_activation(message, deps, claims=deps.tokens)
        except Exception:
            log.exception(
                "activation step failed; the message will come back",
                extra={"message_id": record.message_id, "retry_number": message.retry_number},
            )
            raise
        log.info(
            "activation message processed",
            extra={"result": result.kind, "retry_number": message.retry_number},
        )
    return result.kind


@bp.on_sqs_message(queue=settings().activation_queue_name, batch_size=10)
def handle_activation_messages(event: SQSEvent) -> dict[str, Any]:
    return process_batch(event, process_record)
