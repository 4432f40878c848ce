"""When to try a webhook again: Standard Webhooks' retry schedule, with jitter.

Attempt 1 is sent immediately; after failed attempt n the next waits ATTEMPT_DELAYS_S[n]:
5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. Eight attempts over about 28 hours, then the
budget is spent. Jitter (±20 %) keeps a provider's recovery from meeting all our retries
at once; a Retry-After from the provider is honoured when it asks for more patience.
"""

from __future__ import annotations

import random
from typing import Protocol

# Delay before attempt k (1-based) is ATTEMPT_DELAYS_S[k - 1]; the first is immediate.
ATTEMPT_DELAYS_S: tuple[int, ...] = (0, 5, 300, 1800, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(ATTEMPT_DELAYS_S)
JITTER = 0.2
# A provider's Retry-After may not park a delivery for longer than this.
MAX_DELAY_S = 24 * 3600


class RandomSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def next_delay(
    attempt_number: int, retry_after_s: int | None = None, rng: RandomSource = random
) -> int | None:
    """Seconds to wait after failed attempt `attempt_number` (1-based); None when spent."""
    if attempt_number < 1:
        raise ValueError("attempt numbers start at 1")
    if attempt_number >= MAX_ATTEMPTS:
        return None
    base = ATTEMPT_DELAYS_S[attempt_number]
    delay = round(base * rng.uniform(1 - JITTER, 1 + JITTER))
    if retry_after_s is not None and retry_after_s > delay:
        delay = retry_after_s
    return min(delay, MAX_DELAY_S)
