"""Providers' current extension forms, remembered for a short while with the catalog's rules
(adapters/cached_catalog.py): `ttl_s` seconds, this process's own writes seen at once, and
another process's write seen on the next request: a write bumps the catalog's generation
(`after_write`) and the cache forgets what it holds when the generation this request saw
(`generation`) is not the one it filled itself under.

Only `current` is cached: a version, once stored, never changes, so `get` of a version is
read through (the preview page asks for the exact version its URL names).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..domain.provider_forms import ProviderForm, ProviderFormStore

DEFAULT_TTL_S = 30.0


class CachedProviderForms:
    def __init__(
        self,
        inner: ProviderFormStore,
        ttl_s: float = DEFAULT_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        generation: Callable[[], int | None] | None = None,
        after_write: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._generation = generation
        self._after_write = after_write
        self._filled_under: int | None = None
        self._lock = threading.Lock()
        self._current: dict[str, tuple[float, ProviderForm | None]] = {}

    def add(self, form: ProviderForm) -> None:
        self._inner.add(form)
        with self._lock:
            self._current.pop(form.provider_id, None)
        if self._after_write is not None:
            self._after_write()

    def _follow_generation(self) -> None:
        if self._generation is None:
            return
        seen = self._generation()
        with self._lock:
            if seen != self._filled_under:
                self._current.clear()
                self._filled_under = seen

    def get(self, provider_id: str, version: int) -> ProviderForm | None:
        return self._inner.get(provider_id, version)

    def current(self, provider_id: str) -> ProviderForm | None:
        self._follow_generation()
        now = self._monotonic()
        with self._lock:
            entry = self._current.get(provider_id)
        if entry is not None and now - entry[0] < self._ttl_s:
            return entry[1]
        # "None" is remembered too: most providers have no stored form, and every order
        # page asks.
        value = self._inner.current(provider_id)
        with self._lock:
            self._current[provider_id] = (now, value)
        return value
