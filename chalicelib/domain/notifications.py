"""Customer e-mail: which order events a customer hears about, what each mail says, and
sending it once per event (docs/architecture.md, "Notifications").

The table stream's relay queues a `NotificationMessage` for every order event that
`mail_kind_for` names; the notification worker sends its mail through the `Mailer` port.
Once per event: `mail#<event_id>` is claimed in the one-time tokens for a short while
before the mail is handed to the mailer, kept for long once the mailer accepted it, and
released when the mailer failed, so a duplicate queue message finds it sent and a retry
finds it free. A mailer that is down delays the mail (the queue carries the wait) and never
touches the order; after the retry budget the message goes to the dead-letter queue.

What a mail says is domain/mail_content.py's (re-exported here): the renderer outside the
domain gets `MailFacts`, the order's facts as of the event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from .clock import Clock
from .errors import DomainError, NotFound
from .mail_content import (
    Language,
    Mail,
    MailComposer,
    MailFacts,
    MailKind,
    RenderedMail,
    compose,
    language_of,
    mail_facts,
)
from .models import (
    Activation,
    ActivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from .ports import Catalog, OneTimeTokens, OrderStore
from .queues import Queue, delay_for, still_waiting
from .retry import RetrySchedule

logger = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed send: an SES throttle passes in seconds,
# an outage in hours. About a day in all, then the dead-letter queue (a person looks).
NOTIFICATION_RETRIES = RetrySchedule(waits_s=(10, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600))
# Long enough for one send (the SES client's timeouts and retries); a worker that dies
# while holding the claim frees it for its message's next delivery.
CLAIM_FOR = timedelta(minutes=5)
# Longer than a queue message can live (14 days), so no duplicate finds the mark gone.
SENT_KEPT_FOR = timedelta(days=30)
# The confirmation of an order whose first activation call is still under way (the
# customer's own request makes it, within the city network's deadline) waits this long at
# most for its outcome, looking every few seconds, so the mail tells it; an outcome that
# comes later gets its own update.
CONFIRMATION_WAITS_FOR = timedelta(seconds=20)
CONFIRMATION_LOOK_EVERY_S = 2

# The activation outcomes a customer is told about after the confirmation (pending is not
# an outcome: it is what the confirmation already says).
OUTCOMES = frozenset(
    {
        ActivationState.ACTIVATED,
        ActivationState.SCHEDULED,
        ActivationState.REFUSED,
        ActivationState.FAILED,
    }
)


class MailerUnavailable(DomainError):
    """The mail service did not take the mail now (throttled, 5xx, unreachable): retry."""

    code = "mailer_unavailable"


class MailRejected(DomainError):
    """The mail service refused this mail for good (e.g. an address it cannot send to)."""

    code = "mail_rejected"


class Mailer(Protocol):
    def send(self, mail: Mail) -> str:
        """Hand `mail` over; returns the service's message id. MailerUnavailable when it
        should be tried again later, MailRejected when it never will be taken."""


class NotificationMessage(BaseModel):
    """What the notification queue carries: one order event's mail, one try of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1, max_length=100)
    order_id: str = Field(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$")
    kind: MailKind
    try_number: int = Field(default=1, ge=1)
    # A wait longer than the queue can delay (domain/queues.py).
    not_before: datetime | None = None


class NotificationDeps(Protocol):
    @property
    def orders(self) -> OrderStore: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def tokens(self) -> OneTimeTokens: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def notification_queue(self) -> Queue[NotificationMessage]: ...
    @property
    def notification_dead_letters(self) -> Queue[NotificationMessage]: ...
    @property
    def mailer(self) -> Mailer: ...
    @property
    def notification_retries(self) -> RetrySchedule: ...


# --- which events ----------------------------------------------------------------------


def mail_kind_for(event: OrderEvent) -> MailKind | None:
    """The mail `event` gives the customer, if any."""
    match event.kind:
        case OrderEventKind.ORDER_CREATED:
            return MailKind.CONFIRMATION
        case OrderEventKind.ACTIVATION_CHANGED if event.activation_state in OUTCOMES:
            return MailKind.ACTIVATION_UPDATE
        case OrderEventKind.WITHDRAWN:
            return MailKind.WITHDRAWAL
        case OrderEventKind.STATUS_CHANGED if (
            event.status_to == OrderStatus.CANCELLED and event.actor.startswith("provider:")
        ):
            # Cancelled by the provider; a withdrawal's own cancellation has its own mail.
            return MailKind.CANCELLATION
    return None


def notification_for(event: OrderEvent) -> NotificationMessage | None:
    kind = mail_kind_for(event)
    if kind is None:
        return None
    return NotificationMessage(event_id=event.id, order_id=event.order_id, kind=kind)


def queue_notification(event: OrderEvent, deps: NotificationDeps) -> NotificationMessage | None:
    """The relay's part: queue `event`'s mail. Safe to repeat: the worker sends once."""
    message = notification_for(event)
    if message is not None:
        deps.notification_queue.send(message)
    return message


def sent_key(event_id: str) -> str:
    return f"mail#{event_id}"


def told_key(order_id: str, activation: Activation) -> str:
    """Marks an activation outcome the confirmation already told (no update repeats it)."""
    stamp = int(activation.updated_at.timestamp() * 1_000_000)
    return f"mail#told#{order_id}#{activation.state.value}#{stamp}"


def _same_outcome(a: Activation, b: Activation) -> bool:
    return a.state == b.state and a.date == b.date


def outcome_changed(event: OrderEvent, trail: list[OrderEvent]) -> bool:
    """An activation event is news unless the last activation event before it ended the
    same way (a reconciliation that found what was already known)."""
    if event.order_snapshot is None:
        return True
    earlier = [
        e
        for e in trail
        if e.id < event.id
        and e.order_snapshot is not None
        and e.kind in (OrderEventKind.ACTIVATION_CHANGED, OrderEventKind.ORDER_CREATED)
    ]
    if not earlier:
        return True
    previous = earlier[-1].order_snapshot
    assert previous is not None
    return not _same_outcome(previous.activation, event.order_snapshot.activation)


# --- sending (one queue message) -------------------------------------------------------


def send_notification(
    message: NotificationMessage, deps: NotificationDeps, composer: MailComposer
) -> str:
    """Send `message`'s mail unless it was sent. Returns what happened, for the log:
    "sent", "duplicate", "in_progress", "retry", "dead_letter", "deferred", "waiting",
    "told", "unchanged" or "unknown". Raises only when the store or queue is down (the message
    then comes back)."""
    now = deps.clock.now()
    wait = still_waiting(message.not_before, now)
    if wait is not None:
        deps.notification_queue.send(message, delay_seconds=wait)
        return "deferred"
    key = sent_key(message.event_id)
    if _was_sent(key, deps):
        return "duplicate"
    found = _event_and_order(message, deps)
    if found is None:
        logger.warning("notification for an unknown order or event dropped")
        return "unknown"
    event, order, trail = found
    subject_order = order
    if message.kind == MailKind.ACTIVATION_UPDATE:
        # The update tells the activation as of its event, and only news.
        subject_order = event.order_snapshot or order
        if not outcome_changed(event, trail):
            return "unchanged"
        if deps.tokens.get(told_key(order.id, subject_order.activation)) is not None:
            return "told"
    elif message.kind in (MailKind.WITHDRAWAL, MailKind.CANCELLATION):
        subject_order = event.order_snapshot or order
    elif _first_call_under_way(subject_order, event, now):
        deps.notification_queue.send(message, delay_seconds=CONFIRMATION_LOOK_EVERY_S)
        return "waiting"
    # The confirmation tells the order as stored now: never earlier than its event, and
    # with the outcome of the activation the customer's own request already made.

    if not deps.tokens.claim(key, now + CLAIM_FOR, {"state": "sending"}):
        return "duplicate" if _was_sent(key, deps) else "in_progress"
    try:
        mail = compose(message.kind, subject_order, event, deps, composer)
        mail_id = deps.mailer.send(mail)
    except MailerUnavailable as unavailable:
        return _retry_later(message, key, deps, str(unavailable))
    except MailRejected as rejected:
        deps.tokens.release(key)
        logger.error("mail refused by the mail service", extra={"reason": str(rejected)})
        deps.notification_dead_letters.send(message)
        return "dead_letter"
    except Exception:
        deps.tokens.release(key)
        raise
    deps.tokens.keep(key, {"state": "sent", "mail_id": mail_id}, now + SENT_KEPT_FOR)
    if message.kind == MailKind.CONFIRMATION and subject_order.activation.state in OUTCOMES:
        deps.tokens.claim(told_key(order.id, subject_order.activation), now + SENT_KEPT_FOR, {})
    return "sent"


def _first_call_under_way(order: Order, event: OrderEvent, now: datetime) -> bool:
    """Still `pending` as created (no reply recorded, not even a transient one) and young."""
    pending = order.activation.state == ActivationState.PENDING
    return pending and order.version == 1 and now - event.at < CONFIRMATION_WAITS_FOR


def _was_sent(key: str, deps: NotificationDeps) -> bool:
    value = deps.tokens.get(key)
    return value is not None and value.get("state") == "sent"


def _event_and_order(
    message: NotificationMessage, deps: NotificationDeps
) -> tuple[OrderEvent, Order, list[OrderEvent]] | None:
    try:
        order = deps.orders.get(message.order_id)
    except NotFound:
        return None
    trail = deps.orders.list_events(order.id)
    event = next((e for e in trail if e.id == message.event_id), None)
    return None if event is None else (event, order, trail)


def _retry_later(message: NotificationMessage, key: str, deps: NotificationDeps, why: str) -> str:
    """The mail service is down: queue the next try (before freeing the claim, so a crash
    in between brings this message back rather than losing the mail)."""
    at = deps.clock.now()
    wait = deps.notification_retries.wait_after(message.try_number)
    if wait is None:
        deps.notification_dead_letters.send(message)
        deps.tokens.release(key)
        logger.error(
            "mail not sent after its retries; moved to the dead-letter queue",
            extra={"tries": message.try_number, "reason": why},
        )
        return "dead_letter"
    delay = delay_for(wait, at)
    follow_up = message.model_copy(
        update={"try_number": message.try_number + 1, "not_before": delay.not_before}
    )
    deps.notification_queue.send(follow_up, delay_seconds=delay.queue_delay_s)
    deps.tokens.release(key)
    logger.warning(
        "mail service unavailable; mail queued again",
        extra={"try": message.try_number, "wait_s": wait, "reason": why},
    )
    return "retry"


__all__ = [
    "CLAIM_FOR",
    "NOTIFICATION_RETRIES",
    "OUTCOMES",
    "SENT_KEPT_FOR",
    "Language",
    "Mail",
    "MailComposer",
    "MailFacts",
    "MailKind",
    "MailRejected",
    "Mailer",
    "MailerUnavailable",
    "NotificationDeps",
    "NotificationMessage",
    "RenderedMail",
    "compose",
    "language_of",
    "mail_facts",
    "mail_kind_for",
    "notification_for",
    "outcome_changed",
    "queue_notification",
    "send_notification",
    "sent_key",
    "told_key",
]
