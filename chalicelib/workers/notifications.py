"""Notification worker: the notification queue's messages become customer mails
(chalicelib.domain.notifications; docs/architecture.md, "Notifications").

Thin like the webhook worker: Powertools' batch processor runs each message through
`send_notification` and reports only the messages that raised as `batchItemFailures`. A
message raises when it cannot be parsed (after the queue's maxReceiveCount it moves to the
DLQ) or when the store or queue is down (it comes back). A mail service that is down is no
error here: the domain queues the next try with its delay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib.settings import settings

from .batch import process_batch

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from chalice.app import SQSEvent

    from chalicelib.web.mail import MailTemplates

bp = Blueprint(__name__)

_composer: dict[tuple[bytes, str | None], MailTemplates] = {}


def composer() -> MailTemplates:
    """The templates and the tracking link's signer, built once per key and base URL."""
    from chalicelib.composition import adapters
    from chalicelib.web.mail import MailTemplates

    deps = adapters()
    key = (deps.signing_key, deps.settings.public_base_url)
    built = _composer.get(key)
    if built is None:
        built = _composer[key] = MailTemplates(*key)
    return built


def send_record(record: SQSRecord) -> str:
    """One notification queue message; raises to report the record as failed."""
    from pydantic import ValidationError

    from chalicelib.composition import adapters
    from chalicelib.domain.notifications import NotificationMessage, send_notification
    from chalicelib.logs import correlated, logger

    try:
        message = NotificationMessage.model_validate_json(record.body)
    except ValidationError as error:
        fields = [".".join(map(str, e["loc"])) for e in error.errors(include_input=False)]
        logger().error(
            "unprocessable notification message",
            extra={"message_id": record.message_id, "fields": fields},
        )
        raise
    with correlated(message.order_id) as log:
        try:
            result = send_notification(message, adapters(), composer())
        except Exception:
            log.exception(
                "sending a mail failed to run; the message will come back",
                extra={"message_id": record.message_id, "event_id": message.event_id},
            )
            raise
        # Never the address: the event, the kind and what happened.
        log.info(
            "notification processed",
            extra={
                "result": result,
                "event_id": message.event_id,
                "kind": message.kind.value,
                "try": message.try_number,
            },
        )
        return result


@bp.on_sqs_message(queue=settings().notification_queue_name, batch_size=10)
def send_notifications(event: SQSEvent) -> dict[str, Any]:
    return process_batch(event, send_record)
