"""One value per process, built on first use: what a warm Lambda reuses between requests.

The local stack serves requests on several threads, so the first ones to arrive together
must not each build their own (and so their own catalog cache). Tests install a value of
their own with `replace`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ProcessWide[T]:
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._building = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._building:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def replace(self, value: T | None) -> None:
        """Use `value` from now on; None builds afresh on the next `get`."""
        self._value = value
