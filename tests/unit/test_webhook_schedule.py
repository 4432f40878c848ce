"""The retry schedule: Standard Webhooks' delays, jitter, Retry-After, a spent budget."""

from __future__ import annotations

import random

import pytest

from chalicelib.adapters.webhooks.schedule import MAX_ATTEMPTS, MAX_DELAY_S, next_delay


class FixedRandom:
    """uniform() returns the point `fraction` of the way from a to b."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


MIDDLE = FixedRandom(0.5)


@pytest.mark.parametrize(
    ("failed_attempt", "delay_s"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, 36000)],
)
def test_delays_follow_the_standard_webhooks_schedule(failed_attempt: int, delay_s: int) -> None:
    assert next_delay(failed_attempt, rng=MIDDLE) == delay_s


def test_budget_is_spent_after_eight_attempts() -> None:
    assert MAX_ATTEMPTS == 8
    assert next_delay(8, rng=MIDDLE) is None
    assert next_delay(9, retry_after_s=10, rng=MIDDLE) is None


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, 240), (1.0, 360)])
def test_jitter_is_at_most_twenty_percent(fraction: float, expected: int) -> None:
    assert next_delay(2, rng=FixedRandom(fraction)) == expected


def test_jitter_with_the_real_random_stays_in_bounds() -> None:
    rng = random.Random(7)
    delays = {next_delay(3, rng=rng) for _ in range(200)}
    assert all(d is not None and 1440 <= d <= 2160 for d in delays)
    assert len(delays) > 1


def test_longer_retry_after_wins() -> None:
    assert next_delay(1, retry_after_s=120, rng=MIDDLE) == 120


def test_shorter_retry_after_does_not_shorten_the_schedule() -> None:
    assert next_delay(3, retry_after_s=10, rng=MIDDLE) == 1800


def test_retry_after_is_capped() -> None:
    assert next_delay(1, retry_after_s=10 * 24 * 3600, rng=MIDDLE) == MAX_DELAY_S == 24 * 3600


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        next_delay(0)
