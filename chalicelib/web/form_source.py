"""Which composed form an offer's order page shows: base + category + the provider's
extension. A provider's form stored through the API (domain/provider_forms.py) is the
extension of all its offers; without one, the offer's `extension_form_id` from
forms/providers/ as before.

Composing is a pure function of the definitions, which are loaded once per process, and of
the stored form's version, which is immutable: both key the cache, so a changed form is a
new key, never a stale entry.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

from ..domain.forms import ComposedForm, compose_extension, compose_form
from ..domain.models import Offer
from ..domain.provider_forms import ProviderForm

if TYPE_CHECKING:
    from ..composition import Adapters
    from ..domain.forms import FormDefinitions

# Enough for every category of a few hundred providers' current forms.
MAX_STORED_COMPOSITIONS = 1024
_lock = threading.Lock()
_stored: dict[tuple[int, str, str, int], ComposedForm] = {}


def offer_form(adapters: Adapters, offer: Offer) -> ComposedForm:
    stored = adapters.provider_forms.current(offer.provider_id)
    definitions = adapters.form_definitions
    if stored is not None:
        return stored_form(definitions, offer.category.value, stored)
    return _file_form(definitions, offer.category.value, offer.extension_form_id)


@cache
def _file_form(
    definitions: FormDefinitions, category: str, extension_form_id: str | None
) -> ComposedForm:
    # Composing on every GET and POST was a tenth of an order's CPU (docs/benchmarks.md).
    return compose_form(definitions, category, extension_form_id)


def stored_form(definitions: FormDefinitions, category: str, form: ProviderForm) -> ComposedForm:
    """The composed form with a stored provider form as its extension."""
    key = (id(definitions), category, form.provider_id, form.version)
    with _lock:
        composed = _stored.get(key)
    if composed is None:
        composed = compose_extension(definitions, category, (form.extension_id, form.definition))
        with _lock:
            if len(_stored) >= MAX_STORED_COMPOSITIONS:
                _stored.clear()
            _stored[key] = composed
    return composed
