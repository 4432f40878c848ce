"""`GET /orders/{order_id}?t=<token>`: the customer's order page (the receipt link).

The outcome notice and the summary of what was ordered, the order's timeline from its
audit trail (`timeline.py`: only what is meant for the customer), and the right of
withdrawal: within 14 days a way to withdraw, after them how to end the contract with the
provider (`withdrawal.py`).

The token is an HMAC of the order id under the app's key, so nothing is stored for it; a
missing or wrong token is a 404, indistinguishable from an unknown order.
"""

from __future__ import annotations

from chalice.app import Response

from ..domain.clock import today_in_sweden
from .pages import receipt_outcome, render_page
from .timeline import timeline
from .visit import Visit
from .withdrawal import order_for_token, provider_of, withdrawal_section


def show_receipt(visit: Visit, order_id: str) -> Response:
    order = order_for_token(visit, order_id)
    deps = visit.adapters
    provider = provider_of(visit, order)
    today = today_in_sweden(deps.clock)
    outcome, css = receipt_outcome(order, today)
    activation_date = order.activation.date
    ctx = visit.context(f"/orders/{order.id}")
    body = render_page(
        ctx,
        "receipt.html",
        order=order,
        provider_name=provider.name,
        outcome=outcome,
        outcome_class=css,
        activation_date=activation_date.isoformat() if activation_date else "",
        entries=timeline(deps.orders.list_events(order.id)),
        withdrawal=withdrawal_section(order, provider, today, visit.query["t"]),
    )
    return visit.html(body)
