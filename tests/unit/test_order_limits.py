"""The hourly order limits per outlet and per address (domain/order_limits.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.adapters.memory.counters import InMemoryCounters
from chalicelib.domain.order_limits import (
    LimitReached,
    OrderLimits,
    address_key,
    take_order_allowance,
)
from chalicelib.domain.ordering import Access
from tests.fakes import FixedClock

HOME = Access(city_network_id="test-stadsnat", access_id="ACC-1")
NEIGHBOUR = Access(city_network_id="test-stadsnat", access_id="ACC-2")
LIMITS = OrderLimits(per_access_per_hour=2, per_address_per_hour=3)


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_an_address_is_counted_whole_or_by_its_ipv6_prefix(address: str, counted_as: str):
    assert address_key(address) == counted_as


def test_an_outlet_over_its_limit_uses_nothing_of_its_address_share():
    # Given an outlet that used its hourly share from one address
    clock = FixedClock()
    counters = InMemoryCounters(clock)

    def take(access: Access | None) -> LimitReached | None:
        return take_order_allowance(
            counters, LIMITS, access=access, address="10.1.2.3", now=clock.now()
        )

    assert [take(HOME), take(HOME)] == [None, None]
    # When it tries again, twice
    assert [take(HOME), take(HOME)] == [LimitReached.ACCESS, LimitReached.ACCESS]
    # Then the address still has its third order for a neighbour, and then no more
    assert take(NEIGHBOUR) is None
    assert take(None) is LimitReached.ADDRESS
    # and an hour after the first order both start afresh
    clock.advance(hours=1, seconds=1)
    assert take(HOME) is None


def test_the_window_runs_from_the_first_order():
    clock = FixedClock()
    counters = InMemoryCounters(clock)
    limits = OrderLimits(per_access_per_hour=1, per_address_per_hour=100)
    assert take_order_allowance(counters, limits, access=HOME, address="", now=clock.now()) is None
    clock.advance(minutes=59)
    later = clock.now()
    assert take_order_allowance(counters, limits, access=HOME, address="", now=later) is not None
    clock.at = later + timedelta(minutes=2)
    assert take_order_allowance(counters, limits, access=HOME, address="", now=clock.now()) is None
