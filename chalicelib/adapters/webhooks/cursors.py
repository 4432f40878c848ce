"""Paging through a provider's deliveries.

The cursor is the last delivery id returned. It need not be signed: every listing reads
only the calling provider's own partition, so an edited or borrowed cursor can position a
listing but never reach another provider's deliveries.
"""

from __future__ import annotations

import re

from chalicelib.domain.errors import InvalidCursor, InvalidInput
from chalicelib.domain.webhooks import DELIVERY_ID_PATTERN

_DELIVERY_ID = re.compile(DELIVERY_ID_PATTERN)


def decode_delivery_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    if not isinstance(cursor, str) or not _DELIVERY_ID.fullmatch(cursor):
        raise InvalidCursor("the cursor is not valid for this listing")
    return cursor


def check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidInput("limit must be at least 1", details={"field": "limit"})
