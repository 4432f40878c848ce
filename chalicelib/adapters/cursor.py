"""Signed, opaque paging cursors and the sort keys they carry.

A cursor is ``<base64url(JSON position)>.<base64url(HMAC-SHA256)>``. The MAC covers the
provider id as well as the position, so a cursor only works for the provider it was issued
to: a provider cannot page through (or probe) another provider's orders by editing or
borrowing one. Both order stores use the same codec and the same position shapes, so a
cursor means the same thing whichever store issued it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.errors import InvalidCursor
from chalicelib.domain.ports import OrderFilter

_CONTEXT = b"stadsnatsfabriken/cursor/v1\x00"
_MAX_CURSOR_CHARS = 2048


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("cursor key must be at least 16 bytes")
        self._key = key

    def _mac(self, provider_id: str, payload: bytes) -> bytes:
        provider = provider_id.encode("utf-8")
        # Length-prefixing the provider id keeps (provider, payload) pairs unambiguous.
        message = _CONTEXT + len(provider).to_bytes(4, "big") + provider + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def encode(self, provider_id: str, position: dict[str, Any]) -> str:
        payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return f"{_b64encode(payload)}.{_b64encode(self._mac(provider_id, payload))}"

    def decode(self, provider_id: str, cursor: str) -> dict[str, Any]:
        # The message never echoes the cursor: it is attacker-controlled input.
        invalid = InvalidCursor("the cursor is not valid for this listing")
        if not isinstance(cursor, str) or len(cursor) > _MAX_CURSOR_CHARS:
            raise invalid
        body, sep, signature = cursor.partition(".")
        if not sep or not body or not signature:
            raise invalid
        try:
            payload = _b64decode(body)
            mac = _b64decode(signature)
        except (ValueError, binascii.Error, UnicodeEncodeError):
            raise invalid from None
        if not hmac.compare_digest(mac, self._mac(provider_id, payload)):
            raise invalid
        try:
            position = json.loads(payload)
        except ValueError:
            raise invalid from None
        if not isinstance(position, dict):
            raise invalid
        return position


# --- positions shared by the stores ----------------------------------------------------
#
# Newest-first listing: the position is the last returned order id (ULIDs sort by creation).
# Change feed: the position is the last returned "<updated_at>#<order id>" key.

LISTING = "orders"
CHANGES = "changes"
CREATED = "created"


def instant_key(at: datetime) -> str:
    """A fixed-width UTC timestamp (microseconds) that sorts as text the way it sorts as time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def change_key(updated_at: datetime, order_id: str) -> str:
    return f"{instant_key(updated_at)}#{order_id}"


def since_key(since: datetime) -> str:
    """Sorts after every change key at `since` itself, so the feed is strictly "after"."""
    return f"{instant_key(since)}#~"


def filter_key(filter: OrderFilter) -> str:
    """What a listing cursor is bound to besides its provider: the filters it was issued
    for (a cursor carried over to other filters would skip or repeat orders)."""
    status = filter.status.value if filter.status else ""
    state = filter.activation_state.value if filter.activation_state else ""
    return f"{status}|{state}" if status or state else ""


def listing_position(order_id: str, filters: str = "") -> dict[str, Any]:
    return {"k": LISTING, "after": order_id, **({"f": filters} if filters else {})}


def changes_position(key: str) -> dict[str, Any]:
    return {"k": CHANGES, "after": key}


def position_after(position: dict[str, Any], kind: str, filters: str = "") -> str:
    """The `after` key of a decoded position of `kind` issued for `filters`; InvalidCursor
    for any other shape, and for a cursor issued for other filters."""
    after = position.get("after")
    if position.get("k") != kind or not isinstance(after, str) or not after:
        raise InvalidCursor("the cursor is not valid for this listing")
    if position.get("f", "") != filters:
        raise InvalidCursor("the cursor was issued for other filters; list again without it")
    return after


def range_key(start: datetime, end: datetime) -> str:
    """What a cursor of created_between is bound to: its range (another month's cursor
    would start in the wrong place)."""
    return f"{instant_key(start)}/{instant_key(end)}"


def created_position(order_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {"k": CREATED, "after": order_id, "f": range_key(start, end)}
