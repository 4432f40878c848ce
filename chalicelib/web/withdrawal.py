"""The right of withdrawal on the customer's order page (docs/architecture.md,
"Withdrawal"): the section of the order page, the confirmation step
(`GET /orders/{id}/withdraw?t=…`) and the withdrawal itself (`POST`, CSRF-protected).

The receipt token opens all three, as it opens the order page: a missing or wrong one is a
404, indistinguishable from an unknown order. A withdrawal that may not be made (already
made, after the 14th day, an order the provider cancelled) changes nothing and says why
(409). The rules are the domain's (`chalicelib/domain/withdrawal.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal
from urllib.parse import urlencode

from chalice.app import Response

from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound, WithdrawalRefused
from ..domain.models import LegalIdentity, Order, OrderStatus, Provider
from ..domain.withdrawal import refusal, withdraw
from ..domain.withdrawal_period import last_day_to_withdraw, may_withdraw, ordered_on
from .errors import PageError
from .pages import PageContext, render_page
from .session import csrf_token, csrf_token_matches, receipt_token_matches
from .visit import Visit

SectionState = Literal["open", "withdrawn", "cancelled", "period_over"]
MAX_REASON_FIELD = 2000  # longer is cut to the 500 characters the order keeps


@dataclass(frozen=True)
class WithdrawalSection:
    """What the order page says about withdrawing."""

    state: SectionState
    last_day: str
    withdraw_href: str
    provider_name: str
    contact: LegalIdentity | None = None
    notice_months: int | None = None
    withdrawn_on: str = ""


def order_for_token(visit: Visit, order_id: str) -> Order:
    """The order the link's token opens; NotFound (404) for a missing or wrong token."""
    if not receipt_token_matches(visit.adapters.signing_key, order_id, visit.query.get("t")):
        raise NotFound("no such order page")
    return visit.adapters.orders.get(order_id)


def order_href(order_id: str, token: str, suffix: str = "") -> str:
    return f"/orders/{order_id}{suffix}?{urlencode({'t': token})}"


def provider_of(visit: Visit, order: Order) -> Provider:
    try:
        return visit.adapters.catalog.get_provider(order.provider_id)
    except NotFound:
        return Provider(id=order.provider_id, name=order.provider_id)


def withdrawal_section(
    order: Order, provider: Provider, today: date, token: str
) -> WithdrawalSection:
    order_day = ordered_on(order.created_at)
    section = WithdrawalSection(
        "open",
        last_day=last_day_to_withdraw(order_day).isoformat(),
        withdraw_href=order_href(order.id, token, "/withdraw"),
        provider_name=provider.name,
    )
    if order.withdrawal is not None:
        # The Swedish day of the withdrawal, as the customer's calendar reads it.
        withdrawn_on = ordered_on(order.withdrawal.at).isoformat()
        return replace(section, state="withdrawn", withdrawn_on=withdrawn_on)
    if order.status == OrderStatus.CANCELLED:
        return replace(section, state="cancelled")
    if may_withdraw(order_day, today):
        return section
    notice = order.agreement.price.notice_months if order.agreement else None
    return replace(
        section, state="period_over", contact=provider.legal_identity, notice_months=notice
    )


def show_confirmation(visit: Visit, order_id: str) -> Response:
    """`GET /orders/{id}/withdraw?t=…`: what withdrawing means, then the POST form."""
    order = order_for_token(visit, order_id)
    token = visit.query["t"]
    ctx = visit.context(f"/orders/{order.id}/withdraw")
    refused = refusal(order, visit.adapters)
    if refused is not None:
        return _refused_page(visit, ctx, order, refused, token)
    session = visit.ensure_session()
    return visit.html(
        render_page(
            ctx,
            "withdraw_confirm.html",
            order=order,
            provider_name=provider_of(visit, order).name,
            csrf_token=csrf_token(session, visit.adapters.signing_key),
            action=order_href(order.id, token, "/withdraw"),
            back_href=order_href(order.id, token),
            max_reason=500,
        )
    )


def submit_withdrawal(visit: Visit, order_id: str) -> Response:
    """`POST /orders/{id}/withdraw?t=…`: withdraw, then back to the order page."""
    order = order_for_token(visit, order_id)
    token = visit.query["t"]
    fields = visit.form or {}
    given = fields.get("csrf_token") or []
    session = visit.session
    key = visit.adapters.signing_key
    if session is None or len(given) != 1 or not csrf_token_matches(session, key, given[0]):
        raise PageError(403, "missing or wrong CSRF token")
    reason = (fields.get("reason") or [""])[0][:MAX_REASON_FIELD]
    try:
        withdraw(order.id, visit.adapters, actor="customer", reason=reason or None)
    except WithdrawalRefused as refused:
        ctx = visit.context(f"/orders/{order.id}/withdraw")
        return _refused_page(visit, ctx, visit.adapters.orders.get(order.id), refused, token)
    return visit.redirect(order_href(order.id, token), status=303)


def _refused_page(
    visit: Visit, ctx: PageContext, order: Order, refused: WithdrawalRefused, token: str
) -> Response:
    provider = provider_of(visit, order)
    section = withdrawal_section(order, provider, today_in_sweden(visit.adapters.clock), token)
    body = render_page(
        ctx,
        "withdraw_refused.html",
        order=order,
        reason=refused.reason,
        withdrawal=section,
        back_href=order_href(order.id, token),
    )
    return visit.html(body, status=409)
