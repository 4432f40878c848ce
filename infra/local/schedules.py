"""Runs the app's scheduled handlers (`@schedule`) as EventBridge would, only more often:
each handler gets a scheduled event every `interval_s` (2 s locally instead of its rate,
so an ON-API order's outcome shows within seconds), in its own thread. That is the
order-event poller and the access-list sync (chalicelib/workers/network_events.py): the
address search finds the ON-API emulator's accesses a couple of seconds after start, and
every later sync is a 304 unless the emulator's list changed.

A handler that raises is logged and runs again at the next tick, as Lambda's next
scheduled invocation would; nothing is retried in between.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from chalice.app import Chalice, ScheduledEventConfig
from chalice.local import LambdaContext

logger = logging.getLogger("local.schedules")


class ScheduleRunner:
    def __init__(self, app: Chalice, *, interval_s: float = 2.0) -> None:
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sources: list[tuple[ScheduledEventConfig, Any]] = [
            (source, app.handler_map[source.name])
            for source in app.event_sources
            if isinstance(source, ScheduledEventConfig)
        ]

    @property
    def handlers(self) -> list[str]:
        return [source.name for source, _ in self._sources]

    def start(self) -> ScheduleRunner:
        for source, handler in self._sources:
            thread = threading.Thread(
                target=self._run, args=(source, handler), name=f"schedule-{source.name}"
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def run_once(self, source: ScheduledEventConfig, handler: Any) -> bool:
        """One invocation; whether it succeeded."""
        context = LambdaContext(function_name=source.name, memory_size=256, max_runtime_ms=60_000)
        context.aws_request_id = str(uuid.uuid4())  # type: ignore[attr-defined]
        try:
            handler(scheduled_event(source.name), context)
        except Exception:
            logger.exception("scheduled handler %s raised; it runs again next tick", source.name)
            return False
        return True

    def _run(self, source: ScheduledEventConfig, handler: Any) -> None:
        while not self._stop.wait(self._interval_s):
            self.run_once(source, handler)


def scheduled_event(rule: str) -> dict[str, Any]:
    """What EventBridge sends a function on a schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-north-1",
        "resources": [f"arn:aws:events:eu-north-1:000000000000:rule/{rule}"],
        "detail": {},
    }
