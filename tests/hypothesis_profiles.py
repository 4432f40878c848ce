"""Hypothesis settings profiles, and the split between the short and the long fuzz run.

`make test` runs every property at the "ci" profile: few examples, so the whole suite stays
fast. `make fuzz` sets HYPOTHESIS_PROFILE=fuzz: many examples, and the tests marked
`fuzz_only` (too slow for every run) are collected too. Loaded as a pytest plugin from
tests/conftest.py so the profile is in force before any test module is imported.

Properties that set their own `max_examples` scale it with `scaled(n)`: n examples in the
short run, FUZZ_FACTOR times as many in the long one.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"
FUZZ = "fuzz"
FUZZ_FACTOR = 20

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    FUZZ,
    max_examples=2_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


def long_run() -> bool:
    return os.environ.get(PROFILE_ENV) == FUZZ


def scaled(examples: int) -> int:
    """`examples` in the short run, FUZZ_FACTOR times as many under `make fuzz`."""
    return examples * FUZZ_FACTOR if long_run() else examples


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fuzz: part of the fuzz suite (short in make test, long in make fuzz)"
    )
    config.addinivalue_line(
        "markers", "fuzz_only: too slow for make test; runs only under HYPOTHESIS_PROFILE=fuzz"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if long_run():
        return
    skip = pytest.mark.skip(reason="long fuzz run: make fuzz (HYPOTHESIS_PROFILE=fuzz)")
    for item in items:
        if item.get_closest_marker("fuzz_only") is not None:
            item.add_marker(skip)
