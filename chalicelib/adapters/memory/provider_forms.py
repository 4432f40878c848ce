"""Providers' extension forms in memory (domain/provider_forms.py)."""

from __future__ import annotations

import threading

from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.provider_forms import ProviderForm


class InMemoryProviderForms:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: dict[str, dict[int, ProviderForm]] = {}

    def add(self, form: ProviderForm) -> None:
        with self._lock:
            versions = self._forms.setdefault(form.provider_id, {})
            if form.version in versions:
                raise AlreadyExists(f"form version {form.version} exists")
            versions[form.version] = form

    def get(self, provider_id: str, version: int) -> ProviderForm | None:
        with self._lock:
            return self._forms.get(provider_id, {}).get(version)

    def current(self, provider_id: str) -> ProviderForm | None:
        with self._lock:
            versions = self._forms.get(provider_id, {})
            return versions[max(versions)] if versions else None
