"""Time. Swedish time decides what "today" means (docs/protocols/direct-activation.md,
"Our assumptions")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def today_in_sweden(clock: Clock) -> date:
    return clock.now().astimezone(STOCKHOLM).date()
