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
