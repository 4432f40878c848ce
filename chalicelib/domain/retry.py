"""How long to wait before trying again: one schedule type for every retried thing
(activations towards city networks, webhook deliveries towards providers).

Failures are counted from 1: `wait_after(1)` is the wait after the first failed try. When
the schedule has no wait for a failure, the budget is spent and the caller gives up.
Jitter (±`jitter`) keeps many retries that failed together from all coming back together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol


class RandomSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class RetrySchedule:
    # Seconds to wait after the 1st, 2nd, ... failure.
    waits_s: tuple[int, ...]
    jitter: float = 0.2
    # Never wait longer than this, whatever the schedule or the other side asks for.
    max_wait_s: int = 24 * 3600

    @property
    def max_tries(self) -> int:
        """The first try and one retry per wait."""
        return len(self.waits_s) + 1

    def wait_after(
        self, failures: int, *, at_least_s: int | None = None, rng: RandomSource | None = None
    ) -> int | None:
        """Seconds before the next try once `failures` tries have failed; None when the
        budget is spent. `at_least_s` (e.g. a Retry-After) lengthens the wait, never
        shortens it."""
        if failures < 1:
            raise ValueError("failures are counted from 1")
        if failures > len(self.waits_s):
            return None
        base = self.waits_s[failures - 1]
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        wait = max(1, round(base * spread)) if base > 0 else 0
        if at_least_s is not None and at_least_s > wait:
            wait = at_least_s
        return min(wait, self.max_wait_s)
