"""Activation worker: the activation queue's SQS handler.

Thin on purpose: Powertools' batch processor runs each record through the use case
(`chalicelib.domain.activation_attempts.process_activation`) and reports only the records
that raised as `batchItemFailures`, so one bad message does not bring the whole batch back.
A record raises when its body is not an activation message (after the queue's
maxReceiveCount it moves to the DLQ) or when the store or queue is down (it comes back);
everything the domain decides there is nothing to do is a success.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from chalice.app import Blueprint

from .batch import process_batch
from .correlation import correlated

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import SQSEvent

QUEUE_NAME = os.environ.get("ACTIVATION_QUEUE_NAME", "stadsnatsfabriken-activation")

bp = Blueprint(__name__)
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "stadsnatsfabriken"))


def process_record(record: SQSRecord) -> str:
    """One message; raises to report the record as failed."""
    from chalicelib.domain.activation_attempts import parse_activation_message, process_activation
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.wiring import services

    try:
        message = parse_activation_message(record.body)
    except InvalidInput as error:
        # The body is not logged: only which fields were wrong.
        logger.error(
            "unprocessable activation message",
            extra={"message_id": record.message_id, "details": error.details},
        )
        raise
    with correlated(logger, message.order_id):
        try:
            current = services()
            result = process_activation(message, current.deps, claims=current.tokens)
        except Exception:
            logger.exception(
                "activation step failed; the message will come back",
                extra={"message_id": record.message_id, "retry_number": message.retry_number},
            )
            raise
        logger.info(
            "activation message processed",
            extra={"result": result.kind, "retry_number": message.retry_number},
        )
    return result.kind


@bp.on_sqs_message(queue=QUEUE_NAME, batch_size=10)
def handle_activation_messages(event: SQSEvent) -> dict[str, Any]:
    return process_batch(event, process_record)
