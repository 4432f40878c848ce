"""The webhook retry schedule (Standard Webhooks' waits, jitter, Retry-After, a spent
budget) and the generic RetrySchedule it is made of. Failures are counted from 1."""

from __future__ import annotations

import random

import pytest

from chalicelib.domain.retry import RetrySchedule
from chalicelib.domain.webhooks import WEBHOOK_RETRIES


class FixedRandom:
    """uniform() returns the point `fraction` of the way from a to b."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


MIDDLE = FixedRandom(0.5)
LOWEST, HIGHEST = FixedRandom(0.0), FixedRandom(1.0)


# --- the webhook schedule --------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "wait_s"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, 36000)],
)
def test_waits_follow_the_standard_webhooks_schedule(failures: int, wait_s: int) -> None:
    assert WEBHOOK_RETRIES.wait_after(failures, rng=MIDDLE) == wait_s


def test_budget_is_spent_after_eight_attempts() -> None:
    assert WEBHOOK_RETRIES.max_tries == 8
    assert WEBHOOK_RETRIES.wait_after(7, rng=MIDDLE) is not None
    assert WEBHOOK_RETRIES.wait_after(8, rng=MIDDLE) is None
    assert WEBHOOK_RETRIES.wait_after(9, at_least_s=10, rng=MIDDLE) is None


@pytest.mark.parametrize(("rng", "expected"), [(LOWEST, 240), (HIGHEST, 360)])
def test_jitter_is_at_most_twenty_percent(rng: FixedRandom, expected: int) -> None:
    assert WEBHOOK_RETRIES.jitter == 0.2
    assert WEBHOOK_RETRIES.wait_after(2, rng=rng) == expected


def test_jitter_with_the_real_random_stays_in_bounds() -> None:
    rng = random.Random(7)
    waits = {WEBHOOK_RETRIES.wait_after(3, rng=rng) for _ in range(200)}
    assert all(w is not None and 1440 <= w <= 2160 for w in waits)
    assert len(waits) > 1


def test_longer_retry_after_wins() -> None:
    assert WEBHOOK_RETRIES.wait_after(1, at_least_s=120, rng=MIDDLE) == 120


def test_shorter_retry_after_does_not_shorten_the_schedule() -> None:
    assert WEBHOOK_RETRIES.wait_after(3, at_least_s=10, rng=MIDDLE) == 1800


def test_retry_after_is_capped_at_a_day() -> None:
    ten_days = 10 * 24 * 3600
    assert WEBHOOK_RETRIES.max_wait_s == 24 * 3600
    assert WEBHOOK_RETRIES.wait_after(1, at_least_s=ten_days, rng=MIDDLE) == 24 * 3600


def test_failures_are_counted_from_one() -> None:
    with pytest.raises(ValueError):
        WEBHOOK_RETRIES.wait_after(0)


# --- RetrySchedule itself --------------------------------------------------------------


def test_one_try_per_wait_plus_the_first() -> None:
    schedule = RetrySchedule(waits_s=(1, 2, 3), jitter=0)
    assert schedule.max_tries == 4
    assert [schedule.wait_after(n) for n in (1, 2, 3, 4)] == [1, 2, 3, None]
    assert RetrySchedule(waits_s=()).max_tries == 1
    assert RetrySchedule(waits_s=()).wait_after(1) is None


def test_without_jitter_the_waits_are_exact_with_the_real_random() -> None:
    schedule = RetrySchedule(waits_s=(7, 600), jitter=0)
    assert {schedule.wait_after(2) for _ in range(50)} == {600}


def test_a_zero_wait_stays_zero_whatever_the_jitter() -> None:
    schedule = RetrySchedule(waits_s=(0, 0, 0), jitter=0.5)
    assert [schedule.wait_after(n, rng=r) for n in (1, 2, 3) for r in (LOWEST, HIGHEST)] == [0] * 6


def test_jitter_never_brings_a_positive_wait_down_to_zero() -> None:
    schedule = RetrySchedule(waits_s=(1,), jitter=0.9)
    assert schedule.wait_after(1, rng=LOWEST) == 1  # round(0.1) would be 0


def test_at_least_lengthens_a_zero_wait_and_never_shortens_one() -> None:
    schedule = RetrySchedule(waits_s=(0, 60), jitter=0)
    assert schedule.wait_after(1, at_least_s=2) == 2
    assert schedule.wait_after(2, at_least_s=2) == 60
    assert schedule.wait_after(2, at_least_s=None) == 60


def test_max_wait_caps_the_schedule_and_at_least_alike() -> None:
    schedule = RetrySchedule(waits_s=(100, 10), jitter=0, max_wait_s=50)
    assert schedule.wait_after(1) == 50
    assert schedule.wait_after(2, at_least_s=1000) == 50
    assert schedule.wait_after(2) == 10


def test_counting_from_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        RetrySchedule(waits_s=(1,)).wait_after(0)
    with pytest.raises(ValueError):
        RetrySchedule(waits_s=(1,)).wait_after(-1)
