"""`GET /orders/{order_id}?t=<token>`: the customer's receipt.

The token is an HMAC of the order id under the app's key, so nothing is stored for it; a
missing or wrong token is a 404, indistinguishable from an unknown order.
"""

from __future__ import annotations

from chalice.app import Response

from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from .offers import provider_names
from .pages import receipt_page
from .session import receipt_token_matches
from .visit import Visit


def show_receipt(visit: Visit, order_id: str) -> Response:
    if not receipt_token_matches(visit.adapters.signing_key, order_id, visit.query.get("t")):
        raise NotFound("no such receipt")
    deps = visit.adapters
    order = deps.orders.get(order_id)
    provider = provider_names(deps.catalog, [order.provider_id])[order.provider_id]
    ctx = visit.context(f"/orders/{order.id}")
    return visit.html(receipt_page(ctx, order, provider, today_in_sweden(deps.clock)))
