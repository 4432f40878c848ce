"""The customer web's pages: which template, with which data. No HTML here (that is the
templates'), no store and no city network (that is the flows')."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from ..domain.addresses import ListedAccess
from ..domain.campaigns import PublicPrice
from ..domain.forms import ComposedForm, FieldError
from ..domain.models import (
    ActivationState,
    CityNetwork,
    Customer,
    Deliverability,
    LegalIdentity,
    Offer,
    Order,
    PriceTerms,
    Provider,
    ProviderDocument,
)
from ..domain.texts import translated
from .campaign_code import LABEL as CODE_LABEL
from .form_view import ErrorSummaryItem, FormAnswers, error_summary, error_text, fieldset_view
from .i18n import Language, pick
from .rendering import render

ERROR_STATUSES = frozenset({400, 403, 404, 409, 413, 503})


@dataclass(frozen=True)
class PageContext:
    language: Language
    path: str
    query: Mapping[str, str] = field(default_factory=dict)

    @property
    def other_language(self) -> Language:
        return "sv" if self.language == "en" else "en"

    def language_href(self) -> str:
        """This page in the other language (its other query parameters kept)."""
        query = {k: v for k, v in self.query.items() if k != "lang"}
        query["lang"] = self.other_language
        return f"{self.path}?{urlencode(query)}"


def render_page(ctx: PageContext, template: str, **values: Any) -> str:
    return render(
        template,
        ctx.language,
        other_lang=ctx.other_language,
        language_href=ctx.language_href(),
        **values,
    )


# --- offers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferCard:
    offer: Offer
    provider_name: str
    active: bool
    price: PublicPrice  # the price shown to everyone (domain/campaigns.py)


@dataclass(frozen=True)
class OffersPage:
    city_network_name: str
    identified: bool
    groups: Sequence[tuple[str, Sequence[OfferCard]]]
    port_message: str | None = None
    port_unknown: bool = False
    # The CSRF token of the "not ordering from home" button (identified visitors only).
    csrf_token: str = ""
    # Not identified in a network that lists its accesses: the address search's network.
    address_search: str | None = None


def offers_page(ctx: PageContext, page: OffersPage) -> str:
    return render_page(ctx, "offers.html", page=page)


def choose_network_page(ctx: PageContext, networks: Sequence[CityNetwork]) -> str:
    choices = [(urlencode({"city_network": n.id}), n.name) for n in networks]
    return render_page(ctx, "choose_network.html", choices=choices)


def not_identified_page(ctx: PageContext) -> str:
    """Scenario 4 after a bounce callback that came back from another connection or to
    another address than the identification was started from."""
    return render_page(ctx, "not_identified.html")


def not_from_home_page(ctx: PageContext, csrf_token: str) -> str:
    """What "I am not ordering from home" does, with the button that does it (a POST)."""
    return render_page(ctx, "not_from_home.html", csrf_token=csrf_token)


# --- the order form ---------------------------------------------------------------------


@dataclass(frozen=True)
class FormPage:
    offer: Offer
    provider_name: str
    form: ComposedForm
    identified: bool
    csrf_token: str
    submission_id: str
    today: date
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, FieldError] = field(default_factory=dict)
    first_rendering: bool = True
    # Another provider has the service and the network lets it be taken over: the form
    # asks whether the customer takes over the outlet (domain/takeover.py).
    takeover: bool = False
    takeover_checked: bool = False
    # An order for an address chosen in the address search (web/address_orders.py): where
    # the form goes, what it carries besides the answers, the address and the way back.
    action: str | None = None
    hidden: Mapping[str, str] = field(default_factory=dict)
    chosen_address: ListedAccess | None = None
    back_href: str = "/offers"
    # A provider's preview of its extension form (web/preview.py): read-only, no tokens.
    preview: bool = False
    # The offer's campaign has a code (web/campaign_code.py): the field, as typed, and why
    # the code was refused.
    asks_code: bool = False
    campaign_code: str = ""
    code_error: FieldError | None = None


def _code_error_item(ctx: PageContext, page: FormPage) -> list[ErrorSummaryItem]:
    if page.code_error is None:
        return []
    message = error_text(ctx.language, page.code_error)
    return [ErrorSummaryItem(message, field_id="f-campaign_code", label=_label(ctx))]


def _label(ctx: PageContext) -> str:
    return translated(CODE_LABEL, ctx.language)


def form_page(ctx: PageContext, page: FormPage) -> str:
    answers = FormAnswers(
        today=page.today,
        values=page.values,
        errors=page.errors,
        first_rendering=page.first_rendering,
    )
    return render_page(
        ctx,
        "form.html",
        page=page,
        offer=page.offer,
        errors=error_summary(ctx.language, page.form, page.errors) + _code_error_item(ctx, page),
        code_error=error_text(ctx.language, page.code_error) if page.code_error else None,
        fieldsets=[fieldset_view(ctx.language, fs, answers) for fs in page.form.fieldsets],
    )


def submission_refused_page(ctx: PageContext, offer: Offer) -> str:
    """A form sent with a submission id we did not issue for it (or one no longer valid)."""
    return render_page(ctx, "submission_refused.html", offer=offer)


def order_limit_page(ctx: PageContext) -> str:
    """An order over the hourly limit of its outlet or address (domain/order_limits.py)."""
    return render_page(ctx, "order_limit.html")


def not_deliverable_page(
    ctx: PageContext, offer: Offer, answer: Deliverability, back_href: str = "/offers"
) -> str:
    """Scenario 3: the city network says the offer is not deliverable to this outlet."""
    message = pick(
        ctx.language,
        answer.customer_message or "",
        answer.customer_message_en or answer.customer_message or "",
    )
    return render_page(
        ctx, "not_deliverable.html", offer=offer, message=message, back_href=back_href
    )


# --- the review step (web/review.py) ----------------------------------------------------


@dataclass(frozen=True)
class AnswerLine:
    """One answer of the category's or extension's questions as the review shows it."""

    label: str
    value: str | bool


@dataclass(frozen=True)
class DocumentLink:
    """A provider document as the review links it (the version the agreement will name)."""

    document: ProviderDocument
    href: str

    @property
    def version(self) -> int:
        return self.document.version


@dataclass(frozen=True)
class ReviewPage:
    offer: Offer
    provider: Provider
    broker: LegalIdentity
    customer: Customer
    requested_date: date | None
    answers: Sequence[AnswerLine]
    # The service would start inside the withdrawal period: the page asks about an early
    # start, and says when it starts without one.
    early_start_asked: bool
    start_without_early_start: date | None
    terms: DocumentLink | None
    privacy: DocumentLink | None
    action: str
    # Everything the confirm and edit POSTs carry: the answers and the form's tokens.
    hidden: Mapping[str, str]
    identified: bool
    # The price the order gets (domain/campaigns.price_terms_for with the typed code).
    price: PriceTerms
    takeover: bool = False
    chosen_address: ListedAccess | None = None
    back_href: str = "/offers"
    terms_missing: bool = False
    early_start_checked: bool = False
    # The typed code that gave the price its campaign.
    campaign_code: str | None = None


def review_page(ctx: PageContext, page: ReviewPage) -> str:
    return render_page(ctx, "review.html", page=page, offer=page.offer)


def document_page(ctx: PageContext, provider: Provider, document: ProviderDocument) -> str:
    """A provider's terms or privacy policy kept as text: its paragraphs, escaped."""
    text = (document.text or "").replace("\r\n", "\n")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return render_page(
        ctx, "document.html", provider=provider, document=document, paragraphs=paragraphs
    )


# --- receipt ----------------------------------------------------------------------------


def receipt_outcome(order: Order, today: date) -> tuple[str, str]:
    """(which outcome text, css class): the honest state of the order's activation."""
    activation = order.activation
    match activation.state:
        case ActivationState.ACTIVATED:
            if activation.date is None or activation.date >= today:
                return "activated_today", "notice-success"
            return "activated", "notice-success"
        case ActivationState.SCHEDULED:
            return "scheduled", "notice-success"
        case ActivationState.REFUSED:
            return "refused", "notice-warning"
        case ActivationState.PENDING:
            return "pending", ""
        case ActivationState.FAILED:
            return "failed", "notice-warning"
        case ActivationState.AWAITING_PROVIDER:
            return "awaiting_provider", ""
        case _:
            return "manual", ""


def error_page(ctx: PageContext, status: int) -> str:
    return render_page(ctx, "error.html", status=status if status in ERROR_STATUSES else 500)


__all__ = [
    "AnswerLine",
    "DocumentLink",
    "FormPage",
    "OfferCard",
    "OffersPage",
    "PageContext",
    "ReviewPage",
    "choose_network_page",
    "document_page",
    "error_page",
    "form_page",
    "not_deliverable_page",
    "not_from_home_page",
    "not_identified_page",
    "offers_page",
    "order_limit_page",
    "receipt_outcome",
    "review_page",
    "submission_refused_page",
]
