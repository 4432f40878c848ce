"""The message queues the domain hands work to (the activation queue and the webhook
queue; SQS when deployed), and the one rule every delayed message follows.

SQS delays a message by at most 15 minutes. A longer wait travels in the message as
`not_before`: the message is queued with the longest delay SQS allows, and whoever
receives it early queues it again until it is due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

MAX_QUEUE_DELAY_S = 900


class Queue[M](Protocol):
    def send(self, message: M, delay_seconds: int = 0) -> None:
        """Queue `message`; a delay above MAX_QUEUE_DELAY_S is shortened to it."""


def clamped_delay(delay_s: int) -> int:
    return max(0, min(delay_s, MAX_QUEUE_DELAY_S))


@dataclass(frozen=True)
class Delay:
    """A wait as a queue can carry it: the queue's own delay, plus `not_before` when the
    wait is longer than the queue can delay."""

    queue_delay_s: int
    not_before: datetime | None


def delay_for(wait_s: int, now: datetime) -> Delay:
    if wait_s > MAX_QUEUE_DELAY_S:
        return Delay(MAX_QUEUE_DELAY_S, now + timedelta(seconds=wait_s))
    return Delay(clamped_delay(wait_s), None)


def still_waiting(not_before: datetime | None, now: datetime) -> int | None:
    """Seconds to queue a message again for when it arrived before `not_before`; None
    when it is due."""
    if not_before is None or not_before <= now:
        return None
    return clamped_delay(math.ceil((not_before - now).total_seconds()))
