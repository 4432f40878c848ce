"""How many customer orders one outlet and one address may place in an hour (docs/
architecture.md, "The four scenarios").

Every order the customer web is about to store is counted twice: once for its outlet (an
identified order's `access_id`) and once for the visitor's source address. Each count runs
for an hour from its first order. An order over either limit is refused before anything is
stored or sent to the city network; the web answers it with a 429 page.

The outlet is counted first, so an outlet over its limit uses up nothing of its address's
share (an address may be shared, behind a NAT); an address over its limit has counted one
order on the outlet it refused. IPv6 addresses are counted by their /64: one customer's
prefix, from which any number of addresses can be chosen.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .ordering import Access
from .ports import Counters

WINDOW = timedelta(hours=1)
IPV6_PREFIX = 64


class LimitReached(StrEnum):
    """Which hourly limit refused an order. Values are log-safe."""

    ACCESS = "orders_per_access"
    ADDRESS = "orders_per_address"


@dataclass(frozen=True)
class OrderLimits:
    per_access_per_hour: int
    per_address_per_hour: int


def address_key(address: str) -> str:
    """What an address is counted as: an IPv4 address whole, an IPv6 address by its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def take_order_allowance(
    counters: Counters,
    limits: OrderLimits,
    *,
    access: Access | None,
    address: str,
    now: datetime,
) -> LimitReached | None:
    """Count one order for `access` (when identified) and `address`; the limit that refuses
    it, or None when it may be placed."""
    ends = now + WINDOW
    if access is not None:
        key = f"orders-per-access:{access.city_network_id}:{access.access_id}"
        if not counters.count(key, limit=limits.per_access_per_hour, expires_at=ends):
            return LimitReached.ACCESS
    key = f"orders-per-address:{address_key(address)}"
    if not counters.count(key, limit=limits.per_address_per_hour, expires_at=ends):
        return LimitReached.ADDRESS
    return None
