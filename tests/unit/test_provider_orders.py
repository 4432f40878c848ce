"""The provider's use cases on their own: status, messages, activation, the change feed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain import provider_orders
from chalicelib.domain.activation.provider import ActivationQueueUnavailable, request_activation
from chalicelib.domain.errors import ConcurrentModification, Conflict, NotFound
from chalicelib.domain.models import ActivationState, OrderEventKind, OrderStatus
from chalicelib.domain.provider_orders import SETTLE
from tests.fakes import FixedClock

from .provider_factories import T0, store_order

A, B = "prov-a", "prov-b"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def deps(clock: FixedClock) -> InMemoryAdapters:
    return InMemoryAdapters(clock=clock)


def queued(deps: InMemoryAdapters) -> list[Any]:
    queue = deps.activation_queue
    assert isinstance(queue, InMemoryQueue)
    return queue.messages


def test_status_change_is_a_versioned_write_with_an_event(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    clock.advance(seconds=3)
    updated = provider_orders.change_status(order.id, A, OrderStatus.RECEIVED, "got it", deps)
    assert (updated.status, updated.version, updated.updated_at) == (
        OrderStatus.RECEIVED,
        2,
        clock.now(),
    )
    assert deps.orders.get(order.id) == updated
    [event] = deps.orders.list_events(order.id)
    assert (event.kind, event.actor, event.status_from, event.status_to, event.text) == (
        OrderEventKind.STATUS_CHANGED,
        "provider:prov-a",
        OrderStatus.NEW,
        OrderStatus.RECEIVED,
        "got it",
    )
    # The webhook for this change describes the order as of the change, not as of relaying.
    assert event.order_snapshot == updated


def test_updated_at_never_runs_back_even_if_the_clock_lags(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    clock.advance(seconds=-10)
    updated = provider_orders.change_status(order.id, A, OrderStatus.RECEIVED, None, deps)
    assert updated.updated_at > order.updated_at


def test_a_lost_race_is_a_concurrent_modification(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    real_get = deps.orders.get_for_provider

    def stale_get(order_id: str, provider_id: str) -> Any:
        stale = real_get(order_id, provider_id)
        provider_orders.change_status(order_id, provider_id, OrderStatus.WAITING, None, deps)
        return stale

    racing = deps.replaced(orders=_Proxy(deps.orders, get_for_provider=stale_get))
    with pytest.raises(ConcurrentModification):
        provider_orders.change_status(order.id, A, OrderStatus.IN_PROGRESS, None, racing)
    assert deps.orders.get(order.id).status == OrderStatus.WAITING


class _Proxy:
    def __init__(self, inner: Any, **overrides: Any) -> None:
        self._inner = inner
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._inner, name)


def test_message_is_appended_without_changing_the_order(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    event = provider_orders.add_message(order.id, A, "error", "CPE faulty", deps)
    assert deps.orders.list_events(order.id) == [event]
    assert deps.orders.get(order.id) == order


def test_other_providers_orders_are_not_found(deps: InMemoryAdapters, clock: FixedClock) -> None:
    theirs = store_order(deps.orders, clock, B)
    with pytest.raises(NotFound):
        provider_orders.change_status(theirs.id, A, OrderStatus.RECEIVED, None, deps)
    with pytest.raises(NotFound):
        provider_orders.add_message(theirs.id, A, "log", "x", deps)
    with pytest.raises(NotFound):
        request_activation(theirs.id, A, None, deps)


def test_activation_request_starts_a_new_pending_attempt(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    pending = request_activation(order.id, A, date(2025, 3, 3), deps)
    activation = pending.activation
    assert activation.state == ActivationState.PENDING
    assert activation.reason is None
    assert activation.attempts == order.activation.attempts
    assert activation.requested_date == date(2025, 3, 3)
    assert activation.attempt_id not in (None, order.activation.attempt_id)
    [message] = queued(deps)
    assert (message.order_id, message.attempt_id, message.origin) == (
        order.id,
        activation.attempt_id,
        "provider",
    )
    [event] = deps.orders.list_events(order.id)
    assert (event.kind, event.webhook_type) == (
        OrderEventKind.ACTIVATION_REQUESTED,
        "order.activation_changed",
    )
    assert event.order_snapshot == pending


def test_failed_activation_may_be_requested_again(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A, activation_state=ActivationState.FAILED)
    assert request_activation(order.id, A, None, deps).activation.state == "pending"


def test_manual_order_is_a_conflict(deps: InMemoryAdapters, clock: FixedClock) -> None:
    order = store_order(
        deps.orders, clock, A, activation_state=ActivationState.MANUAL, identified=False
    )
    with pytest.raises(Conflict, match="manually"):
        request_activation(order.id, A, None, deps)
    assert queued(deps) == []


class _DownQueue:
    def send(self, message: Any, delay_seconds: int = 0) -> None:
        raise TimeoutError("SQS timed out")


def test_queue_outage_restores_the_previous_activation(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    order = store_order(deps.orders, clock, A)
    down = deps.replaced(activation_queue=_DownQueue())
    with pytest.raises(ActivationQueueUnavailable):
        request_activation(order.id, A, None, down)
    restored = deps.orders.get(order.id)
    assert restored.version == order.version + 2
    assert restored.activation.state == ActivationState.REFUSED
    assert restored.activation.reason == order.activation.reason
    kinds = [e.kind for e in deps.orders.list_events(order.id)]
    assert kinds == [OrderEventKind.ACTIVATION_REQUESTED, OrderEventKind.ACTIVATION_CHANGED]
    # and the provider's retry goes through
    request_activation(order.id, A, None, deps)
    assert len(queued(deps)) == 1


# --- the change feed -------------------------------------------------------------------


def test_feed_holds_back_unsettled_changes(deps: InMemoryAdapters, clock: FixedClock) -> None:
    since = clock.now()
    older = store_order(deps.orders, clock, A)
    clock.advance(seconds=10)
    fresh = store_order(deps.orders, clock, A)
    page = provider_orders.poll_changes(A, since, limit=10, cursor=None, deps=deps)
    assert [o.id for o in page.items] == [older.id]
    assert page.next_cursor is None
    assert page.next_updated_since == clock.now() - SETTLE
    assert older.updated_at <= page.next_updated_since < fresh.updated_at


def test_feed_with_nothing_new_keeps_a_since_ahead_of_the_horizon(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    since = clock.now() + timedelta(hours=1)
    page = provider_orders.poll_changes(A, since, limit=10, cursor=None, deps=deps)
    assert (page.items, page.next_updated_since) == ([], since)


def test_feed_restarting_from_a_mid_page_since_loses_nothing(
    deps: InMemoryAdapters, clock: FixedClock
) -> None:
    # Given three orders changed in the same instant (ties in updated_at)
    at = clock.now()
    tied = [store_order(deps.orders, FixedClock(at), A) for _ in range(3)]
    clock.advance(seconds=10)
    since = at - timedelta(seconds=1)
    first = provider_orders.poll_changes(A, since, limit=1, cursor=None, deps=deps)
    assert first.next_cursor is not None
    # When the client restarts from next_updated_since instead of following the cursor
    again = provider_orders.poll_changes(
        A, first.next_updated_since, limit=10, cursor=None, deps=deps
    )
    # Then every tied order is still delivered (at least once)
    assert {o.id for o in again.items} == {o.id for o in tied}
