"""Counts with an expiry, in memory (the Counters port; DynamoDB's twin is
adapters/dynamodb/counters.py)."""

from __future__ import annotations

import threading
from datetime import datetime

from chalicelib.domain.clock import Clock, SystemClock

from ..expiry import expiry_epoch, is_expired


class InMemoryCounters:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        # key -> (expiry epoch seconds, count)
        self._counts: dict[str, tuple[int, int]] = {}

    def count(self, key: str, *, limit: int, expires_at: datetime) -> bool:
        with self._lock:
            entry = self._counts.get(key)
            if entry is None or is_expired(entry[0], self._clock.now()):
                entry = (expiry_epoch(expires_at), 0)
            expires, counted = entry
            if counted >= limit:
                return False
            self._counts[key] = (expires, counted + 1)
            return True
