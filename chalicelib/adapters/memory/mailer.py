"""A `Mailer` that keeps what it was given (unit tests, the CPU profile)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.notifications import Mail


class InMemoryMailer:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self.sent: list[tuple[Mail, datetime]] = []

    def send(self, mail: Mail) -> str:
        with self._lock:
            self.sent.append((mail, self._clock.now()))
            return f"mem-{len(self.sent)}"

    @property
    def mails(self) -> list[Mail]:
        return [mail for mail, _ in self.sent]

    def listed(self) -> list[dict[str, Any]]:
        """As /_dev/mail lists them, oldest first."""
        return [
            {
                "to": list(mail.to),
                "subject": mail.subject,
                "text": mail.text,
                "html": mail.html,
                "sent_at": at.isoformat(),
            }
            for mail, at in self.sent
        ]
