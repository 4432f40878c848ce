"""The adapters are built once per process, even when the first requests arrive together
(the local stack serves requests on several threads)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from chalicelib.process_wide import ProcessWide


def test_first_requests_at_once_share_one_built_value():
    # Given a value that takes a while to build, not built yet
    built: list[object] = []

    def build() -> object:
        time.sleep(0.05)  # long enough for every racer to arrive while the first builds
        built.append(object())
        return built[-1]

    shared = ProcessWide(build)
    start = threading.Barrier(6, timeout=5)

    def first_request(_: int) -> object:
        start.wait()
        return shared.get()

    # When six requests ask for it at the same moment
    with ThreadPoolExecutor(max_workers=6) as pool:
        seen = list(pool.map(first_request, range(6)))

    # Then it was built once and every request got that one
    assert len(built) == 1
    assert all(found is built[0] for found in seen)


def test_a_replacement_is_used_until_cleared_and_then_built_afresh():
    builds = iter(["first build", "second build"])
    shared = ProcessWide(lambda: next(builds))
    assert shared.get() == "first build"
    shared.replace("installed by a test")
    assert shared.get() == "installed by a test"
    shared.replace(None)
    assert shared.get() == "second build"
