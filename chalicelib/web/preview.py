"""`GET /preview/form/{provider_id}`: a provider's extension form as customers will see it,
composed with the base and a category form (`?category=`, default internet) and rendered
with the order form's own page (pages.form_page), read-only: no session, no CSRF token or
submission id (so nothing it shows could be sent), the button disabled, a banner saying it
is a preview. Its address is signed for the provider and the form version
(domain/form_preview.py); a wrong or expired signature is a 404 like an unknown page.
"""

from __future__ import annotations

import re

from chalice.app import Response

from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from ..domain.form_preview import verified_version
from ..domain.models import ID_PATTERN, Category, Offer
from ..domain.texts import N_
from .form_source import stored_form
from .i18n import gettext_callables
from .offers import provider_names
from .pages import FormPage, form_page
from .visit import Visit

# The order form's heading names the offer: without an offer of the provider in the
# category, the preview names an example.
EXAMPLE_SERVICE = N_("Example service")


def _example_offer(visit: Visit, provider_id: str, category: Category) -> Offer:
    for offer in visit.adapters.catalog.offers_of_provider(provider_id):
        if offer.category == category and not offer.retired:
            return offer
    name = gettext_callables(visit.language)["gettext"](EXAMPLE_SERVICE)
    return Offer(
        id="preview",
        provider_id=provider_id,
        city_network_id="preview",
        service_uid="preview",
        category=category,
        name=name,
        monthly_price_sek=0,
        binding_months=0,
    )


def show_preview(visit: Visit, provider_id: str) -> Response:
    deps = visit.adapters
    if not re.fullmatch(ID_PATTERN, provider_id):
        raise NotFound("no such preview")
    version = verified_version(deps.signing_key, provider_id, visit.query, visit.now)
    form = deps.provider_forms.get(provider_id, version) if version is not None else None
    if form is None:
        raise NotFound("no such preview")
    try:
        category = Category(visit.query.get("category") or Category.INTERNET.value)
    except ValueError:
        raise NotFound("no such category") from None
    offer = _example_offer(visit, provider_id, category)
    page = FormPage(
        offer=offer,
        provider_name=provider_names(deps.catalog, [provider_id])[provider_id],
        form=stored_form(deps.form_definitions, category.value, form),
        identified=True,
        csrf_token="",
        submission_id="",
        today=today_in_sweden(deps.clock),
        preview=True,
    )
    return visit.html(form_page(visit.context(), page))
