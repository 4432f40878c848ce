"""A provider's extension form kept through the provider API (PUT /tl/v1/form).

Versions are immutable: each accepted form is stored as version newest + 1, so a customer
page and a preview that name a version always get the same definition, and a per-process
cache keyed by (provider, version) is never stale for what it holds. When a provider has a
stored form, it is the extension of every offer of that provider (in place of the offer's
`extension_form_id` from forms/providers/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .errors import AlreadyExists, ConcurrentModification, InvalidInput
from .forms import FormDefinitions
from .forms.extension_check import extension_form_problems
from .models import ID_PATTERN

# The extension id a stored form composes under (ComposedForm.extension_form_id, kept with
# the order): the provider and the version, so the definition it names is unambiguous.
STORED_FORM_PREFIX = "provider-"
# Versions are dense from 1 (each is the first free number), so trying the next numbers
# finds newest + 1 even when the reader's idea of the newest was a little behind.
MAX_ATTEMPTS = 20


class ProviderForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider_id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    definition: dict[str, Any]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: dt.datetime

    @property
    def extension_id(self) -> str:
        return f"{STORED_FORM_PREFIX}{self.provider_id}-v{self.version}"


class ProviderFormStore(Protocol):
    def add(self, form: ProviderForm) -> None:
        """Store a new version; AlreadyExists if that version is stored."""

    def get(self, provider_id: str, version: int) -> ProviderForm | None: ...

    def current(self, provider_id: str) -> ProviderForm | None:
        """The newest version, which the provider's offers use; None without one."""


def definition_sha256(definition: Mapping[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def add_form_version(
    store: ProviderFormStore,
    definitions: FormDefinitions,
    provider_id: str,
    definition: Mapping[str, Any],
    *,
    now: dt.datetime,
) -> ProviderForm:
    """Checks `definition` (InvalidInput naming every problem's field) and stores it as the
    provider's next version."""
    problems = extension_form_problems(definitions, definition)
    if problems:
        raise InvalidInput("the extension form is not accepted", details=problems)
    current = store.current(provider_id)
    first = current.version + 1 if current else 1
    for version in range(first, first + MAX_ATTEMPTS):
        form = ProviderForm(
            provider_id=provider_id,
            version=version,
            definition=dict(definition),
            sha256=definition_sha256(definition),
            created_at=now,
        )
        try:
            store.add(form)
        except AlreadyExists:
            continue
        return form
    raise ConcurrentModification("another form was stored at the same time; retry")
