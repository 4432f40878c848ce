"""What a provider may do to its own orders: list and poll them, move the workflow status,
read the audit trail and leave messages (docs/architecture.md, "Provider API"). Asking for
activation again is `activation/provider.py`.

Every lookup goes through `get_for_provider`, so another provider's order is NotFound,
exactly like an unknown one. Every state change is a conditional write on `version`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from .activation.provider import actor_of
from .ids import new_event_id
from .models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from .ports import Deps, OrderFilter, OrderPage
from .status import check_transition

logger = logging.getLogger(__name__)

MessageType = Literal["log", "alert", "error", "system"]

# A write stamps updated_at just before its conditional write, so a write stamped earlier
# can commit later than one stamped after it. The change feed therefore only hands out
# changes older than SETTLE, by when every write stamped that early has committed (a write
# is one DynamoDB round trip, far below 5 s). Without it a poller could move past a change
# that became visible only after its poll: the one way the feed could miss an order.
SETTLE = timedelta(seconds=5)


class ChangeFeedPage(OrderPage):
    # Where the next poll starts (updated_since) once this page's next_cursor is null.
    next_updated_since: datetime


def list_orders(
    provider_id: str, *, limit: int, cursor: str | None, filter: OrderFilter, deps: Deps
) -> OrderPage:
    """Newest first; the cursor continues exactly where the last page ended, so orders
    created meanwhile neither repeat nor push others out of the pages still to come."""
    return deps.orders.list_for_provider(provider_id, limit=limit, cursor=cursor, filter=filter)


def poll_changes(
    provider_id: str, since: datetime, *, limit: int, cursor: str | None, deps: Deps
) -> ChangeFeedPage:
    """Orders changed after `since` and settled, oldest change first (the polling feed).

    Delivery is at least once: an order changed again reappears with its newer version.
    """
    horizon = deps.clock.now() - SETTLE
    page = deps.orders.changed_since(provider_id, since, limit=limit, cursor=cursor)
    settled = [o for o in page.items if o.updated_at <= horizon]
    if len(settled) < len(page.items):
        # The rest is too fresh to hand out yet; it comes with the next poll.
        return ChangeFeedPage(
            items=settled, next_cursor=None, next_updated_since=max(since, horizon)
        )
    if page.next_cursor is None:
        # Everything after `since` up to the horizon has now been handed out.
        return ChangeFeedPage(
            items=settled, next_cursor=None, next_updated_since=max(since, horizon)
        )
    # More pages follow. Should the client start over from here instead of following the
    # cursor, one microsecond back re-delivers orders sharing the last timestamp rather
    # than skipping them.
    last = settled[-1].updated_at - timedelta(microseconds=1)
    return ChangeFeedPage(
        items=settled, next_cursor=page.next_cursor, next_updated_since=max(since, last)
    )


def change_status(
    order_id: str, provider_id: str, target: OrderStatus, note: str | None, deps: Deps
) -> Order:
    order = deps.orders.get_for_provider(order_id, provider_id)
    check_transition(order.status, target)
    now = order.stamp_after(deps.clock.now())
    updated = order.next_version(status=target, updated_at=now)
    event = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=provider_id,
        kind=OrderEventKind.STATUS_CHANGED,
        at=now,
        actor=actor_of(provider_id),
        status_from=order.status,
        status_to=target,
        text=note,
        webhook_type="order.status_changed",
        order_snapshot=updated,
    )
    deps.orders.replace(updated, expected_version=order.version, events=[event])
    return updated


def add_message(
    order_id: str, provider_id: str, type: MessageType, text: str, deps: Deps
) -> OrderEvent:
    order = deps.orders.get_for_provider(order_id, provider_id)
    now = deps.clock.now()
    event = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=provider_id,
        kind=OrderEventKind.MESSAGE,
        at=now,
        actor=actor_of(provider_id),
        message_type=type,
        text=text,
    )
    deps.orders.append_events([event])
    return event


def order_events(order_id: str, provider_id: str, deps: Deps) -> list[OrderEvent]:
    """One of the provider's orders' audit trail, oldest first."""
    order = deps.orders.get_for_provider(order_id, provider_id)
    return deps.orders.list_events(order.id)
