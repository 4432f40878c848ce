"""When a single-use token expires, as both stores count it (DynamoDB's `ttl` semantics):
whole epoch seconds, rounded up so nothing expires early."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def expiry_epoch(expires_at: datetime) -> int:
    """The ``ttl`` value: whole epoch seconds, rounded up so nothing expires early."""
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return math.ceil(expires_at.timestamp())


def is_expired(ttl: int, now: datetime) -> bool:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return ttl <= now.timestamp()
