"""Applying what an asynchronous city network reports about our orders (ON-API).

The poller pulls each such network's order events from the stored cursor and applies them
in the network's order; the cursor is stored only after every event of the page is
applied, so a crash between reading and storing reads the same events again. Applying is
idempotent: an event for an activation that is no longer pending (already applied, or
another attempt is current) changes nothing, so events delivered twice or out of order
are harmless, and an event for an order we do not know is logged and skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..citynet import NetworkOrderUpdate, OrderUpdatesFeed
from ..clock import today_in_sweden
from ..errors import NotFound
from ..models import Activation, ActivationState, Order
from ..ports import Deps
from .recording import record_activation
from .replies import activation_after_network_outcome

logger = logging.getLogger(__name__)

ACTOR = "city_network"


@dataclass(frozen=True)
class PollResult:
    applied: int
    skipped: int
    cursor: str | None
    outcome: str  # the pull's own outcome: ok, refused or transient


def apply_network_update(update: NetworkOrderUpdate, deps: Deps) -> Order | None:
    """The order as the update leaves it; None when the update changes nothing."""
    try:
        order = deps.orders.get(update.order_id)
    except NotFound:
        logger.warning(
            "order event for an order we do not know", extra={"order_id": update.order_id}
        )
        return None
    activation = order.activation
    known = activation.network_order_id
    if activation.state != ActivationState.PENDING or (
        known is not None and known != update.result.network_order_id
    ):
        return None
    now = deps.clock.now()
    today = today_in_sweden(deps.clock)
    if activation_after_network_outcome(activation, update.result, today=today, now=now) is None:
        return None

    def settled(current: Order) -> Activation:
        after = activation_after_network_outcome(
            current.activation, update.result, today=today, now=now
        )
        return after if after is not None else current.activation

    return record_activation(
        order,
        settled,
        calls=[update.result],
        attempt_id=activation.attempt_id,
        actor=ACTOR,
        deps=deps,
    )


def poll_order_updates(city_network_id: str, feed: OrderUpdatesFeed, deps: Deps) -> PollResult:
    """One pull of `city_network_id`'s feed, applied, then its cursor stored."""
    since = deps.feed_cursors.get(city_network_id)
    page = feed.order_updates(since)
    if page.outcome != "ok":
        logger.warning(
            "order events could not be read",
            extra={"city_network_id": city_network_id, "code": page.code},
        )
        return PollResult(0, 0, since, page.outcome)
    applied = skipped = 0
    for update in page.updates:
        if apply_network_update(update, deps) is None:
            skipped += 1
        else:
            applied += 1
    if page.cursor is not None and page.cursor != since:
        deps.feed_cursors.put(city_network_id, page.cursor)
    # An empty pull (most of them: the poller runs every minute) is not worth a line.
    logger.log(
        logging.INFO if page.updates else logging.DEBUG,
        "order events applied",
        extra={"city_network_id": city_network_id, "applied": applied, "skipped": skipped},
    )
    return PollResult(applied, skipped, page.cursor, "ok")
