"""The adapters are built once per process, even when the first requests arrive together
(the local stack serves requests on several threads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib import webhook_wiring, wiring


def slow_builder(built: list[object]) -> Callable[[], Any]:
    def build() -> object:
        time.sleep(0.05)  # long enough for every racer to arrive while the first builds
        built.append(object())
        return built[-1]

    return build


@pytest.mark.parametrize(
    ("module", "getter", "builder"),
    [
        (wiring, "services", "services_from_environment"),
        (webhook_wiring, "webhook_adapters", "adapters_from_environment"),
    ],
)
def test_first_requests_at_once_share_one_set_of_adapters(module, getter, builder, monkeypatch):
    # Given a process that has built nothing yet
    built: list[object] = []
    monkeypatch.setattr(module, "_current", None)
    monkeypatch.setattr(module, builder, slow_builder(built))
    start = threading.Barrier(6, timeout=5)

    def first_request() -> object:
        start.wait()
        return getattr(module, getter)()

    # When six requests ask for the adapters at the same moment
    with ThreadPoolExecutor(max_workers=6) as pool:
        seen = list(pool.map(lambda _: first_request(), range(6)))

    # Then one set was built and every request got it
    assert len(built) == 1
    assert all(found is built[0] for found in seen)
