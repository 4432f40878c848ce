"""Identifiers: ULIDs sort by creation time, which the provider listing relies on."""

from __future__ import annotations

from datetime import datetime

from ulid import ULID


def new_order_id(at: datetime | None = None) -> str:
    return "ord_" + str(ULID.from_datetime(at) if at else ULID())


def new_event_id(at: datetime | None = None) -> str:
    return "evt_" + str(ULID.from_datetime(at) if at else ULID())


def new_attempt_id() -> str:
    return "att_" + str(ULID())


def _millis(at: datetime) -> int:
    # As ULID.from_datetime counts them, so a bound and an id made at the same instant agree.
    return int(at.timestamp() * 1000)


def order_id_range(start: datetime, end: datetime) -> tuple[str, str]:
    """The lowest and highest order id an order created from `start` up to (not including)
    `end` can have: its ULID's time is the first 48 bits, the rest is random."""
    low = ULID.from_bytes(_millis(start).to_bytes(6, "big") + bytes(10))
    high = ULID.from_bytes((_millis(end) - 1).to_bytes(6, "big") + b"\xff" * 10)
    return "ord_" + str(low), "ord_" + str(high)


def next_order_id(order_id: str) -> str:
    """The order id right after `order_id` in key order (a key range starting after it)."""
    following = ULID.from_int(int(ULID.from_str(order_id.removeprefix("ord_"))) + 1)
    return "ord_" + str(following)
