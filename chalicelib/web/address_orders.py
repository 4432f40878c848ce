"""`GET/POST /address/order/{offer_id}`: the order form for an access chosen in the address
search, and its submission.

As the identified order form (order_form.py) in all it checks (CSRF, our signed submission
id, validation, double submits, the hourly limits), plus the chosen access: its signed
token (address_choice.py) must be this session's and the directory must still list the
access, on the GET and again when the order is placed. Deliverability is asked of the city
network each time (`service_deliverable`: the visitor is not identified, so nothing is
kept in the session). Where another provider has the service and the network lets it be
taken over, the form asks whether the customer takes over the outlet; without that
consent the service is not deliverable. A valid form is shown for review first
(review.py) and only its confirm POST places the order, stored `awaiting_provider`: no
order goes to the city network (domain/address_orders.py).
"""

from __future__ import annotations

import logging

from chalice.app import Response

from ..domain import ordering
from ..domain.address_orders import chosen_access, place_address_order
from ..domain.addresses import ListedAccess
from ..domain.campaigns import asks_for_code
from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from ..domain.forms import FormRejected, validate_submission
from ..domain.models import Offer
from ..domain.ordering import Access, OrderRequest
from ..domain.takeover import takeover_possible, with_consent
from . import review
from .address_choice import PARAMETER
from .address_search import chosen, gone, offers_href
from .campaign_code import CodeAnswer, code_answer
from .errors import PageError
from .offers import provider_names
from .order_form import (
    _composed,
    _single,
    _to_receipt,
    claim_order_id,
    parse_form_body,
)
from .pages import FormPage, form_page, not_deliverable_page, submission_refused_page
from .session import (
    Session,
    csrf_token,
    csrf_token_matches,
    read_submission_token,
    receipt_token,
    receipt_token_hash,
    submission_token,
)
from .visit import Visit

logger = logging.getLogger(__name__)

TAKEOVER_FIELD = "forced_takeover"


def _form_response(
    visit: Visit,
    session: Session,
    offer: Offer,
    token: str,
    listed: ListedAccess,
    *,
    takeover: bool,
    takeover_checked: bool = False,
    rejected: FormRejected | None = None,
    status: int = 200,
    edited: dict[str, str] | None = None,
    code: CodeAnswer | None = None,
) -> Response:
    deps = visit.adapters
    path = f"/address/order/{offer.id}"
    today = today_in_sweden(deps.clock)
    page = FormPage(
        offer=offer,
        provider_name=provider_names(deps.catalog, [offer.provider_id])[offer.provider_id],
        form=_composed(visit, offer),
        identified=False,
        csrf_token=csrf_token(session, deps.signing_key),
        submission_id=submission_token(session, deps.signing_key, offer.id, visit.now_epoch),
        today=today,
        values=rejected.values if rejected else (edited or {}),
        errors=rejected.errors if rejected else {},
        first_rendering=rejected is None and edited is None,
        takeover=takeover,
        takeover_checked=takeover_checked,
        action=path,
        hidden={PARAMETER: token},
        chosen_address=listed,
        back_href=offers_href(token),
        asks_code=asks_for_code(offer, today) or bool(code and code.typed),
        campaign_code=code.typed if code else "",
        code_error=code.error if code else None,
    )
    return visit.html(form_page(visit.context(path), page), status=status)


def _choice(visit: Visit, token: str | None) -> tuple[Access, ListedAccess] | Response:
    """The chosen access, checked against the directory; the page to search again if not."""
    choice = chosen(visit, token)
    if choice is None:
        return gone(visit, None, status=400)
    try:
        return chosen_access(choice.city_network_id, choice.access_id, visit.adapters)
    except NotFound:
        return gone(visit, choice.city_network_id)


def show_form(visit: Visit, offer_id: str) -> Response:
    token = visit.query.get(PARAMETER) or ""
    checked = _choice(visit, token)
    if isinstance(checked, Response):
        return checked
    access, listed = checked
    deps = visit.adapters
    offer = ordering.offer_for(offer_id, access.city_network_id, deps)
    answer, _ = ordering.check_deliverable(offer.id, access, deps)
    if not answer.deliverable and not takeover_possible(answer):
        ctx = visit.context(f"/address/order/{offer.id}")
        return visit.html(not_deliverable_page(ctx, offer, answer, offers_href(token)))
    session = visit.ensure_session()
    return _form_response(visit, session, offer, token, listed, takeover=takeover_possible(answer))


def submit_form(visit: Visit, offer_id: str) -> Response:
    raw = visit.request.raw_body
    fields = parse_form_body(raw.encode() if isinstance(raw, str) else raw)
    session = visit.session
    key = visit.adapters.signing_key
    if session is None or not csrf_token_matches(session, key, _single(fields, "csrf_token")):
        raise PageError(403, "missing or wrong CSRF token")
    token = _single(fields, PARAMETER) or ""
    checked = _choice(visit, token)
    if isinstance(checked, Response):
        return checked
    access, listed = checked
    deps = visit.adapters
    offer = ordering.offer_for(offer_id, access.city_network_id, deps)
    submission = read_submission_token(
        session, key, offer.id, _single(fields, "submission_id"), visit.now_epoch
    )
    if submission is None:
        logger.warning("address order refused: submission id not ours", extra={"reason": "id"})
        ctx = visit.context(f"/address/order/{offer.id}")
        return visit.html(submission_refused_page(ctx, offer), status=400)
    consent = _single(fields, TAKEOVER_FIELD) == "on"
    answer, call = ordering.check_deliverable(offer.id, access, deps)
    takeover = takeover_possible(answer)
    if not with_consent(answer, consent).deliverable:
        # Not deliverable (or not without taking over the outlet): nothing is stored.
        ctx = visit.context(f"/address/order/{offer.id}")
        page = not_deliverable_page(ctx, offer, answer, offers_href(token))
        return visit.html(page, status=409)

    form, step = _composed(visit, offer), review.step_of(fields)
    today = today_in_sweden(deps.clock)
    code = code_answer(offer, fields, today)
    if step == "edit":
        return _form_response(
            visit, session, offer, token, listed,
            takeover=takeover, takeover_checked=consent,
            edited=review.answer_values(form, fields), code=code,
        )  # fmt: skip
    result = validate_submission(form, fields, today)
    # A wrong campaign code stops the order as a wrong answer does (order_form.py).
    if isinstance(result, FormRejected) or code.error is not None:
        return _form_response(
            visit, session, offer, token, listed,
            takeover=takeover, takeover_checked=consent,
            rejected=review.as_rejected(form, fields, result), status=422, code=code,
        )  # fmt: skip
    checkout = review.Checkout(
        action=f"/address/order/{offer.id}",
        tokens={
            "csrf_token": csrf_token(session, key),
            "submission_id": _single(fields, "submission_id") or "",
            PARAMETER: token,
        },
        identified=False,
        takeover_consent=takeover and consent,
        chosen_address=listed,
        back_href=offers_href(token),
    )
    if step == "review":
        return review.review_response(visit, offer, form, fields, result, checkout)
    agreement = review.confirmed_agreement(visit, offer, form, fields, result, checkout)
    if isinstance(agreement, Response):
        return agreement

    order_id = claim_order_id(visit, session, submission, access)
    if isinstance(order_id, Response):
        return order_id
    request = OrderRequest(
        offer_id=offer.id,
        customer=result.customer,
        details=result.details,
        extra=result.extra,
        requested_date=result.requested_date,
        forced_takeover=takeover and consent,
    )
    order = place_address_order(
        request,
        access,
        deps,
        order_id=order_id,
        prior_calls=[call],
        receipt_token_hash=receipt_token_hash(receipt_token(key, order_id)),
        agreement=agreement,
    )
    return _to_receipt(visit, order.id)
