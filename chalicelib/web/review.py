"""The review-and-confirm step of both order forms (issue 12, item 3), and the provider
documents it links to.

Stateless: a valid form POST renders the review page, whose one form posts every answer
back as hidden inputs with `step` "edit" (the form again, answers kept) or "confirm". The
confirm POST is checked exactly as the first one was (the hidden inputs are the client's,
trusted no more than the form), then the consents, and only then may the order be placed:
only that POST creates an order. The agreement kept with it (domain/agreement.py) names
the review page's text by its hash, rendered again here from the validated answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Literal

from chalice.app import Response

from ..domain.addresses import ListedAccess
from ..domain.agreement import (
    agreed_start_date,
    asks_about_early_start,
    build_agreement,
    current_documents,
    text_sha256,
)
from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from ..domain.forms import ComposedForm
from ..domain.forms.definitions import BASE_FIELDSET, FieldSpec
from ..domain.forms.validation import FormAccepted, FormRejected, FormResult
from ..domain.models import DOCUMENT_KINDS, Agreement, DocumentKind, Offer, ProviderDocument
from ..domain.operator import BROKER
from .campaign_code import CODE_FIELD, code_answer
from .i18n import Language, pick
from .pages import AnswerLine, DocumentLink, PageContext, ReviewPage, document_page, review_page
from .visit import Visit

Step = Literal["review", "edit", "confirm"]
STEP_FIELD = "step"
TERMS_FIELD = "accept_terms"
EARLY_START_FIELD = "early_start"
TAKEOVER_FIELD = "forced_takeover"
_TICKED = frozenset({"on", "true", "1", "yes"})


def step_of(fields: Mapping[str, list[str]]) -> Step:
    """Which step a POST is: "review" unless it names "edit" or "confirm" (exactly once)."""
    values = fields.get(STEP_FIELD) or []
    if len(values) == 1 and values[0] in ("edit", "confirm"):
        return "edit" if values[0] == "edit" else "confirm"
    return "review"


def ticked(fields: Mapping[str, list[str]], name: str) -> bool:
    values = fields.get(name) or []
    return len(values) == 1 and values[0].strip().lower() in _TICKED


def answer_values(form: ComposedForm, fields: Mapping[str, list[str]]) -> dict[str, str]:
    """The posted answers of the form's own fields, as the form and the hidden inputs carry
    them: the first value of each, a ticked checkbox as "on", an unticked one left out."""
    values: dict[str, str] = {}
    for spec in form.fields:
        sent = fields.get(spec.name) or []
        if not sent:
            continue
        if spec.value_type == "boolean":
            if sent[0].strip().lower() in _TICKED:
                values[spec.name] = "on"
        else:
            values[spec.name] = sent[0]
    return values


def as_rejected(
    form: ComposedForm, fields: Mapping[str, list[str]], result: FormResult
) -> FormRejected:
    """The answers to show the form again with: the form's own errors, or none (when only
    the campaign code was wrong) and the answers as posted."""
    if isinstance(result, FormRejected):
        return result
    return FormRejected(errors={}, values=answer_values(form, fields))


@dataclass(frozen=True)
class Checkout:
    """One order form's side of the review: where its POST goes, the tokens it carries
    (CSRF, the form's submission id, the chosen address's token), who orders."""

    action: str
    tokens: Mapping[str, str]
    identified: bool
    takeover_consent: bool = False
    chosen_address: ListedAccess | None = None
    back_href: str = "/offers"


def _shown(language: Language, spec: FieldSpec, value: object) -> str | bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    for option in spec.options:
        if option.value == str(value):
            return pick(language, option.label_sv, option.label_en)
    return str(value)


def _answer_lines(
    language: Language, form: ComposedForm, accepted: FormAccepted
) -> list[AnswerLine]:
    """The category's and the extension's answers, labelled as the form labels them."""
    lines: list[AnswerLine] = []
    for spec in form.fields:
        if spec.fieldset == BASE_FIELDSET:
            continue
        value = accepted.extra.get(spec.name, accepted.details.get(spec.name))
        shown = _shown(language, spec, value)
        if shown is not None:
            lines.append(AnswerLine(pick(language, spec.label_sv, spec.label_en), shown))
    return lines


def _document_link(document: ProviderDocument | None) -> DocumentLink | None:
    """Where the review links a document: its own URL, or our page of its text."""
    if document is None:
        return None
    href = document.url or (f"/documents/{document.provider_id}/{document.kind}/{document.version}")
    return DocumentLink(document=document, href=href)


def _page(
    visit: Visit,
    offer: Offer,
    form: ComposedForm,
    fields: Mapping[str, list[str]],
    accepted: FormAccepted,
    checkout: Checkout,
) -> ReviewPage:
    deps = visit.adapters
    catalog = deps.catalog
    today = today_in_sweden(deps.clock)
    docs = current_documents(catalog, offer.provider_id)
    asked = asks_about_early_start(accepted.requested_date, today)
    hidden = {**checkout.tokens, **answer_values(form, fields)}
    if checkout.takeover_consent:
        hidden[TAKEOVER_FIELD] = "on"
    # The forms refused a wrong code before this step (web/campaign_code.py): the code here
    # gives the campaign or is empty, and the page shows the price it gives.
    code = code_answer(offer, fields, today)
    if code.typed:
        hidden[CODE_FIELD] = code.typed
    return ReviewPage(
        offer=offer,
        provider=catalog.get_provider(offer.provider_id),
        broker=BROKER,
        customer=accepted.customer,
        requested_date=accepted.requested_date,
        answers=tuple(_answer_lines(visit.language, form, accepted)),
        early_start_asked=asked,
        start_without_early_start=agreed_start_date(
            accepted.requested_date, today, early_start=False
        ),
        terms=_document_link(docs["terms"]),
        privacy=_document_link(docs["privacy"]),
        action=checkout.action,
        hidden=hidden,
        identified=checkout.identified,
        price=code.price,
        campaign_code=code.campaign_code,
        takeover=checkout.takeover_consent,
        chosen_address=checkout.chosen_address,
        back_href=checkout.back_href,
    )


def review_response(
    visit: Visit,
    offer: Offer,
    form: ComposedForm,
    fields: Mapping[str, list[str]],
    accepted: FormAccepted,
    checkout: Checkout,
) -> Response:
    """The review page for answers that validated (the consents unticked)."""
    page = _page(visit, offer, form, fields, accepted, checkout)
    return visit.html(review_page(visit.context(checkout.action), page))


def confirmed_agreement(
    visit: Visit,
    offer: Offer,
    form: ComposedForm,
    fields: Mapping[str, list[str]],
    accepted: FormAccepted,
    checkout: Checkout,
) -> Agreement | Response:
    """The agreement of a confirm POST; the review page again (422, nothing stored) when
    the provider's terms were not accepted."""
    page = _page(visit, offer, form, fields, accepted, checkout)
    early_start = page.early_start_asked and ticked(fields, EARLY_START_FIELD)
    if not ticked(fields, TERMS_FIELD):
        again = replace(page, terms_missing=True, early_start_checked=early_start)
        return visit.html(review_page(visit.context(checkout.action), again), status=422)
    deps = visit.adapters
    city_network = deps.catalog.get_city_network(offer.city_network_id)
    # The versions the page just linked, not read again: the agreement names what was shown
    shown: dict[DocumentKind, ProviderDocument | None] = {
        "terms": page.terms.document if page.terms else None,
        "privacy": page.privacy.document if page.privacy else None,
    }
    return build_agreement(
        offer,
        page.provider,
        city_network.name,
        shown,
        language=visit.language,
        accepted_at=deps.clock.now(),
        early_start=early_start,
        review_text_sha256=review_text_sha256(visit.context(checkout.action), page),
        campaign_code=page.campaign_code,
        price=page.price,
    )


def review_text_sha256(ctx: PageContext, page: ReviewPage) -> str:
    """The hash of what the review page says: rendered again from the validated answers,
    without tokens, hidden inputs or consents ticked, its visible text only."""
    plain = replace(page, hidden={}, terms_missing=False, early_start_checked=False)
    return text_sha256(visible_text(review_page(ctx, plain)))


class _VisibleText(HTMLParser):
    """The text a reader sees in a page's body: no tags, no <script>/<style>/<head>."""

    _SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


# --- the provider documents the review links to -------------------------------------------


def show_document(visit: Visit, provider_id: str, kind: str, version: str) -> Response:
    """`GET /documents/{provider_id}/{kind}/{version}`: one version of a provider's terms or
    privacy policy kept as text (a document published at a URL is linked there instead)."""
    if kind not in DOCUMENT_KINDS or not version.isdigit() or len(version) > 6:
        raise NotFound("no such document")
    catalog = visit.adapters.catalog
    provider = catalog.get_provider(provider_id)
    wanted = int(version)
    for document in catalog.documents(provider.id, kind):
        if document.version == wanted and document.text is not None:
            ctx = visit.context(f"/documents/{provider.id}/{kind}/{wanted}")
            return visit.html(document_page(ctx, provider, document))
    raise NotFound("no such document")
