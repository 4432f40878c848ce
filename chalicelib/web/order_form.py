"""`GET/POST /order/{offer_id}`: the composed order form and its submission.

Identified visitors get one `service_deliverable` per offer per session (kept in the session
and handed to place_order for the audit trail); a not-deliverable offer shows why and never a
form, and a POST to it stores nothing (scenario 3). Validation is the domain's
(domain.forms); this module only parses the body, checks CSRF and the form's signed
submission id (ours, for this offer and session; anything else is refused before any
city-network call), deduplicates submissions and keeps to the hourly order limits
(domain.order_limits).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote

from chalice.app import Response

from ..domain import ordering
from ..domain.campaigns import asks_for_code
from ..domain.citynet import CallResult
from ..domain.clock import today_in_sweden
from ..domain.forms import ComposedForm, FormRejected, validate_submission
from ..domain.ids import new_order_id
from ..domain.models import Deliverability, Offer
from ..domain.order_limits import OrderLimits, take_order_allowance
from ..domain.ordering import Access, OrderRequest
from ..domain.takeover import takeover_possible, with_consent
from . import review
from .campaign_code import CodeAnswer, code_answer
from .errors import PageError
from .form_source import offer_form
from .offers import provider_names
from .pages import (
    FormPage,
    form_page,
    not_deliverable_page,
    order_limit_page,
    submission_refused_page,
)
from .session import (
    DeliverabilityAnswer,
    Session,
    Submission,
    csrf_token,
    csrf_token_matches,
    read_submission_token,
    receipt_token,
    receipt_token_hash,
    submission_key,
    submission_token,
)
from .visit import Visit

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
# How long a sent form's order outlives the form's own expiry: a double submit of a form
# still accepted always finds its first order.
SUBMISSION_MARGIN = timedelta(minutes=1)


def _access(session: Session | None) -> Access | None:
    if session is None or session.identified is None:
        return None
    who = session.identified
    return Access(
        city_network_id=who.city_network_id, access_id=who.access_id, identified_by=who.by
    )


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
    # The provider's stored form, if any, else the offer's from forms/ (form_source.py).
    return offer_form(visit.adapters, offer)


def _form_response(
    visit: Visit,
    session: Session,
    offer: Offer,
    *,
    values: Mapping[str, str] | None = None,
    rejected: FormRejected | None = None,
    status: int = 200,
    takeover: bool = False,
    takeover_checked: bool = False,
    edited: bool = False,
    code: CodeAnswer | None = None,
) -> Response:
    deps = visit.adapters
    today = today_in_sweden(deps.clock)
    page = FormPage(
        offer=offer,
        provider_name=provider_names(deps.catalog, [offer.provider_id])[offer.provider_id],
        form=_composed(visit, offer),
        identified=session.identified is not None,
        csrf_token=csrf_token(session, deps.signing_key),
        submission_id=submission_token(session, deps.signing_key, offer.id, visit.now_epoch),
        today=today,
        values=values or (rejected.values if rejected else {}),
        errors=rejected.errors if rejected else {},
        first_rendering=rejected is None and not edited,
        takeover=takeover,
        takeover_checked=takeover_checked,
        asks_code=asks_for_code(offer, today) or bool(code and code.typed),
        campaign_code=code.typed if code else "",
        code_error=code.error if code else None,
    )
    return visit.html(form_page(visit.context(f"/order/{offer.id}"), page), status=status)


def show_form(visit: Visit, offer_id: str) -> Response:
    access = _access(visit.session)
    offer = _offer(visit, offer_id, access)
    session = visit.ensure_session()
    takeover = False
    if access is not None:
        answer, _ = _deliverability(visit, session, access, offer)
        # Held by another provider, with a takeover possible: the form asks (takeover.py).
        takeover = takeover_possible(answer)
        if not answer.deliverable and not takeover:
            ctx = visit.context(f"/order/{offer.id}")
            return visit.html(not_deliverable_page(ctx, offer, answer))
        session = visit.session or session
    return _form_response(visit, session, offer, takeover=takeover)


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
    submission = read_submission_token(
        session, key, offer.id, _single(fields, "submission_id"), visit.now_epoch
    )
    if submission is None:
        # Not a form we rendered for this offer in this session (chosen, edited, expired):
        # nothing is checked with the city network, nothing is stored.
        logger.warning("order form refused: submission id not ours", extra={"reason": "id"})
        ctx = visit.context(f"/order/{offer.id}")
        return visit.html(submission_refused_page(ctx, offer), status=400)
    prior_calls: list[CallResult] = []
    takeover, consent = False, _single(fields, "forced_takeover") == "on"
    if access is not None:
        answer, call = _deliverability(visit, session, access, offer)
        takeover = takeover_possible(answer)
        if not with_consent(answer, consent).deliverable:
            # Scenario 3: not deliverable, answered as the GET is, and nothing is stored.
            ctx = visit.context(f"/order/{offer.id}")
            return visit.html(not_deliverable_page(ctx, offer, answer), status=409)
        session = visit.session or session
        port = session.port.call if session.port else None
        prior_calls = [c for c in (port.call() if port else None, call) if c is not None]

    deps = visit.adapters
    form, step = _composed(visit, offer), review.step_of(fields)
    today = today_in_sweden(deps.clock)
    code = code_answer(offer, fields, today)
    if step == "edit":
        return _form_response(
            visit, session, offer, values=review.answer_values(form, fields), edited=True,
            takeover=takeover, takeover_checked=consent, code=code,
        )  # fmt: skip
    result = validate_submission(form, fields, today)
    # A wrong campaign code stops the order as a wrong answer does: on every step, the
    # confirm POST too (its hidden inputs are the client's).
    if isinstance(result, FormRejected) or code.error is not None:
        return _form_response(
            visit, session, offer, rejected=review.as_rejected(form, fields, result),
            status=422, takeover=takeover, takeover_checked=consent, code=code,
        )  # fmt: skip
    checkout = review.Checkout(
        action=f"/order/{offer.id}",
        tokens={
            "csrf_token": csrf_token(session, key),
            "submission_id": _single(fields, "submission_id") or "",
        },
        identified=access is not None,
        takeover_consent=takeover and consent,
    )
    if step == "review":
        return review.review_response(visit, offer, form, fields, result, checkout)
    agreement = review.confirmed_agreement(visit, offer, form, fields, result, checkout)
    if isinstance(agreement, Response):
        return agreement

    order_id = claim_order_id(visit, session, submission, access)
    if isinstance(order_id, Response):
        return order_id

    token = receipt_token(key, order_id)
    request = OrderRequest(
        offer_id=offer.id,
        customer=result.customer,
        details=result.details,
        extra=result.extra,
        requested_date=result.requested_date,
        city_network_id=None if access else offer.city_network_id,
        forced_takeover=takeover and consent,
    )
    order = ordering.place_order(
        request,
        access,
        deps,
        order_id=order_id,
        prior_calls=prior_calls,
        receipt_token_hash=receipt_token_hash(token),
        agreement=agreement,
    )
    return _to_receipt(visit, order.id)


def claim_order_id(
    visit: Visit, session: Session, submission: Submission, access: Access | None
) -> str | Response:
    """The id of the order this submission may place, claimed for it once; or the page
    instead: the first order's receipt for the same rendered form again (double click,
    reload of the POST), or the 429 page when the hour's limit is reached."""
    dedupe_key = submission_key(session, submission.id)
    if visit.adapters.tokens.get(dedupe_key) is not None:
        return _earlier_order(visit, dedupe_key)
    if (refused := _over_the_limit(visit, access)) is not None:
        return refused
    order_id = new_order_id(visit.now)
    if not visit.adapters.tokens.claim(
        dedupe_key, _claimed_until(submission), {"order_id": order_id}
    ):
        return _earlier_order(visit, dedupe_key)
    return order_id


def _claimed_until(submission: Submission) -> datetime:
    """The claim outlives the form's token: a spent id never finds an unclaimed key."""
    return datetime.fromtimestamp(submission.expires, UTC) + SUBMISSION_MARGIN


def _earlier_order(visit: Visit, dedupe_key: str) -> Response:
    earlier = visit.adapters.tokens.get(dedupe_key) or {}
    earlier_id = earlier.get("order_id")
    if not isinstance(earlier_id, str):
        raise PageError(409, "submission already being processed")
    return _to_receipt(visit, earlier_id)


def _over_the_limit(visit: Visit, access: Access | None) -> Response | None:
    """The 429 page when this order is one too many for its outlet or address this hour."""
    settings = visit.adapters.settings
    limits = OrderLimits(settings.orders_per_access_per_hour, settings.orders_per_address_per_hour)
    reached = take_order_allowance(
        visit.adapters.counters, limits, access=access, address=visit.source_ip, now=visit.now
    )
    if reached is None:
        return None
    logger.warning("order refused: %s reached", reached, extra={"reason": str(reached)})
    return visit.html(order_limit_page(visit.context()), status=429)


def _to_receipt(visit: Visit, order_id: str) -> Response:
    token = receipt_token(visit.adapters.signing_key, order_id)
    return visit.redirect(f"/orders/{quote(order_id)}?t={quote(token)}", status=303)
