"""`GET/POST /order/{offer_id}`: the composed order form and its submission.

Identified visitors get one `service_deliverable` per offer per session (kept in the session
and handed to place_order for the audit trail); a not-deliverable offer shows why and never a
form, and a POST to it stores nothing (scenario 3). Validation is the domain's
(domain.forms); this module only parses the body, checks CSRF and deduplicates submissions.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote

from chalice.app import Response

from ..domain import ordering
from ..domain.citynet import CallResult
from ..domain.clock import today_in_sweden
from ..domain.forms import ComposedForm, FormRejected, compose_form, validate_submission
from ..domain.ids import new_order_id
from ..domain.models import Deliverability, Offer
from ..domain.ordering import Access, OrderRequest
from .errors import PageError
from .offers import provider_names
from .pages import FormPage, form_page, not_deliverable_page
from .session import (
    DeliverabilityAnswer,
    Session,
    csrf_token,
    csrf_token_matches,
    receipt_token,
    receipt_token_hash,
    submission_key,
)
from .visit import Visit

if TYPE_CHECKING:
    from ..domain.forms import FormDefinitions

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
SUBMISSION_TTL = timedelta(hours=1)
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _access(session: Session | None) -> Access | None:
    if session is None or session.identified is None:
        return None
    who = session.identified
    return Access(city_network_id=who.city_network_id, access_id=who.access_id)


def _offer(visit: Visit, offer_id: str, access: Access | None) -> Offer:
    return ordering.offer_for(offer_id, access.city_network_id if access else None, visit.adapters)


def _deliverability(
    visit: Visit, session: Session, access: Access, offer: Offer
) -> tuple[Deliverability, CallResult | None]:
    """One service_deliverable per offer per session; later requests read the session."""
    cached = session.deliverability.get(offer.id)
    if cached is not None:
        return cached.answer(), cached.call.call() if cached.call else None
    answer, result = ordering.check_deliverable(offer.id, access, visit.adapters)
    visit.keep(session.with_deliverability(offer.id, DeliverabilityAnswer.of(answer, result)))
    return answer, result


def _composed(visit: Visit, offer: Offer) -> ComposedForm:
    return _composed_form(
        visit.adapters.form_definitions, offer.category.value, offer.extension_form_id
    )


@cache
def _composed_form(
    definitions: FormDefinitions, category: str, extension_form_id: str | None
) -> ComposedForm:
    # Pure function of the definitions, which are loaded once per process: composing on
    # every GET and POST was a tenth of an order's CPU (docs/benchmarks.md).
    return compose_form(definitions, category, extension_form_id)


def _form_response(
    visit: Visit,
    session: Session,
    offer: Offer,
    *,
    values: Mapping[str, str] | None = None,
    rejected: FormRejected | None = None,
    status: int = 200,
) -> Response:
    deps = visit.adapters
    page = FormPage(
        offer=offer,
        provider_name=provider_names(deps.catalog, [offer.provider_id])[offer.provider_id],
        form=_composed(visit, offer),
        identified=session.identified is not None,
        csrf_token=csrf_token(session, visit.adapters.signing_key),
        submission_id=secrets.token_urlsafe(24),
        today=today_in_sweden(deps.clock),
        values=values or (rejected.values if rejected else {}),
        errors=rejected.errors if rejected else {},
        first_rendering=rejected is None,
    )
    return visit.html(form_page(visit.context(f"/order/{offer.id}"), page), status=status)


def show_form(visit: Visit, offer_id: str) -> Response:
    access = _access(visit.session)
    offer = _offer(visit, offer_id, access)
    session = visit.ensure_session()
    if access is not None:
        answer, _ = _deliverability(visit, session, access, offer)
        if not answer.deliverable:
            ctx = visit.context(f"/order/{offer.id}")
            return visit.html(not_deliverable_page(ctx, offer, answer))
        session = visit.session or session
    return _form_response(visit, session, offer)


def parse_form_body(raw_body: bytes | None) -> dict[str, list[str]]:
    """The posted fields; PageError(413/400) for what cannot be a form post of ours."""
    body = raw_body or b""
    if len(body) > MAX_BODY_BYTES:
        raise PageError(413, "form body too large")
    text = body.decode("utf-8", errors="replace")
    try:
        return parse_qs(
            text,
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="replace",
        )
    except ValueError as error:
        raise PageError(400, "form body could not be parsed") from error


def _single(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name) or []
    return values[0] if len(values) == 1 else None


def submit_form(visit: Visit, offer_id: str) -> Response:
    raw = visit.request.raw_body
    fields = parse_form_body(raw.encode() if isinstance(raw, str) else raw)
    session = visit.session
    key = visit.adapters.signing_key
    if session is None or not csrf_token_matches(session, key, _single(fields, "csrf_token")):
        raise PageError(403, "missing or wrong CSRF token")
    access = _access(session)
    offer = _offer(visit, offer_id, access)
    prior_calls: list[CallResult] = []
    if access is not None:
        answer, call = _deliverability(visit, session, access, offer)
        if not answer.deliverable:
            # Scenario 3: not deliverable, answered as the GET is, and nothing is stored.
            ctx = visit.context(f"/order/{offer.id}")
            return visit.html(not_deliverable_page(ctx, offer, answer), status=409)
        session = visit.session or session
        port = session.port.call if session.port else None
        prior_calls = [c for c in (port.call() if port else None, call) if c is not None]

    deps = visit.adapters
    result = validate_submission(_composed(visit, offer), fields, today_in_sweden(deps.clock))
    if isinstance(result, FormRejected):
        return _form_response(visit, session, offer, rejected=result, status=422)

    submission_id = _single(fields, "submission_id")
    if submission_id is None or not _SUBMISSION_ID.match(submission_id):
        raise PageError(400, "missing or malformed submission id")
    dedupe_key = submission_key(session, submission_id)
    order_id = new_order_id(visit.now)
    if not visit.adapters.tokens.claim(
        dedupe_key, visit.now + SUBMISSION_TTL, {"order_id": order_id}
    ):
        # The same rendered form again (double click, reload of the POST): its first order.
        earlier = visit.adapters.tokens.get(dedupe_key) or {}
        earlier_id = earlier.get("order_id")
        if not isinstance(earlier_id, str):
            raise PageError(409, "submission already being processed")
        return _to_receipt(visit, earlier_id)

    token = receipt_token(key, order_id)
    request = OrderRequest(
        offer_id=offer.id,
        customer=result.customer,
        details=result.details,
        extra=result.extra,
        requested_date=result.requested_date,
        city_network_id=None if access else offer.city_network_id,
    )
    order = ordering.place_order(
        request,
        access,
        deps,
        order_id=order_id,
        prior_calls=prior_calls,
        receipt_token_hash=receipt_token_hash(token),
    )
    return _to_receipt(visit, order.id)


def _to_receipt(visit: Visit, order_id: str) -> Response:
    token = receipt_token(visit.adapters.signing_key, order_id)
    return visit.redirect(f"/orders/{quote(order_id)}?t={quote(token)}", status=303)
