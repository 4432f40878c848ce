"""The right of withdrawal (ångerrätt): who may withdraw when, what the one write holds, and
the deactivation's one service_deactivate through the activation worker, whatever the
queue or the customer repeats."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.activation.intents import deactivation_step, queue_look_again
from chalicelib.domain.activation.messages import ActivationMessage, parse_activation_message
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.citynet import CallResult
from chalicelib.domain.errors import WithdrawalRefused
from chalicelib.domain.models import (
    ActivationState,
    DeactivationState,
    Order,
    OrderEventKind,
    OrderStatus,
    PortStatus,
    ServiceOnPort,
)
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.provider_orders import change_status
from chalicelib.domain.provider_view import order_view
from chalicelib.domain.webhooks import ORDER_EVENT_TYPES
from chalicelib.domain.withdrawal import withdraw
from tests.fakes import (
    ACCESS_ID,
    NETWORK_ID,
    PROVIDER_ID,
    FakeCityNetwork,
    FakeCityNetworks,
    FixedClock,
    a_customer,
    seed_test_catalog,
)

ACCESS = Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID)


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.network = FakeCityNetwork()
        self.queue: InMemoryQueue[ActivationMessage] = InMemoryQueue()
        self.deps = InMemoryAdapters(
            clock=self.clock,
            city_networks=FakeCityNetworks(self.network),
            activation_queue=self.queue,
        )
        seed_test_catalog(self.deps.catalog)

    def order(self, access: Access | None = ACCESS) -> Order:
        request = OrderRequest(offer_id="tl-internet-100", customer=a_customer())
        order = place_order(request, access, self.deps)
        self.clock.advance(minutes=1)  # the trail orders by millisecond
        return order

    def relay(self, order: Order) -> list[ActivationMessage]:
        """What the table stream's relay queues for every event of the order."""
        queued = []
        for event in self.deps.orders.list_events(order.id):
            step = deactivation_step(event)
            if step is not None:
                queue_look_again(event, 120, self.deps)
                queued.append(step)
        return queued

    def drain(self, limit: int = 50) -> list[str]:
        """Process queued messages in order until none is left (delays taken as over)."""
        kinds = []
        for _ in range(limit):
            if not self.queue.sent:
                return kinds
            message, _delay = self.queue.sent.pop(0)
            self.clock.advance(seconds=1)
            kinds.append(process_activation(message, self.deps, claims=self.deps.tokens).kind)
        raise AssertionError("the queue never drained")

    def stored(self, order: Order) -> Order:
        return self.deps.orders.get(order.id)


@pytest.fixture
def world() -> World:
    return World()


# --- who may withdraw, when ----------------------------------------------------------------


@pytest.mark.parametrize("days", [0, 14])
def test_withdrawal_is_allowed_from_day_0_to_day_14(world: World, days: int):
    order = world.order()
    world.clock.advance(days=days)
    withdrawn = withdraw(order.id, world.deps, reason="  Ångrade mig \n")
    assert withdrawn.status == OrderStatus.CANCELLED
    assert withdrawn.withdrawal is not None
    assert withdrawn.withdrawal.by == "customer"
    assert withdrawn.withdrawal.reason == "Ångrade mig"
    assert withdrawn.withdrawal.at >= world.clock.now()


def test_the_reason_is_kept_as_one_plain_line(world: World):
    order = world.order()
    withdrawn = withdraw(
        order.id, world.deps, reason="Flyttar\u202e\x00 till\tGöteborg\n" + "x" * 600
    )
    assert withdrawn.withdrawal is not None
    reason = withdrawn.withdrawal.reason
    assert reason is not None and reason.startswith("Flyttar till Göteborg xxx")
    assert len(reason) == 500


def test_withdrawal_on_day_15_is_refused_and_changes_nothing(world: World):
    order = world.order()
    # The last minute of day 14 in Sweden is still inside; the next day is not.
    world.clock.advance(days=15)
    before = world.stored(order)
    with pytest.raises(WithdrawalRefused) as refused:
        withdraw(order.id, world.deps)
    assert refused.value.reason == "period_over"
    assert refused.value.details == {"last_day": "2026-12-10"}
    assert world.stored(order) == before


def test_day_14_ends_at_midnight_swedish_time(world: World):
    world.clock.at = datetime(2026, 11, 26, 22, 30, tzinfo=world.clock.at.tzinfo)  # 23:30 CET
    order = world.order()  # day 0 is 26 November in Sweden
    world.clock.at = datetime(2026, 12, 10, 22, 59, tzinfo=world.clock.at.tzinfo)  # 23:59 CET
    assert withdraw(order.id, world.deps).withdrawal is not None


def test_a_second_withdrawal_is_refused_and_changes_nothing(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    first = world.stored(order)
    events = world.deps.orders.list_events(order.id)
    with pytest.raises(WithdrawalRefused) as refused:
        withdraw(order.id, world.deps)
    assert refused.value.reason == "already_withdrawn"
    assert world.stored(order) == first
    assert world.deps.orders.list_events(order.id) == events


def test_an_order_cancelled_by_the_provider_cannot_be_withdrawn(world: World):
    order = world.order()
    change_status(order.id, PROVIDER_ID, OrderStatus.CANCELLED, "no fibre", world.deps)
    with pytest.raises(WithdrawalRefused) as refused:
        withdraw(order.id, world.deps)
    assert refused.value.reason == "cancelled"
    assert world.stored(order).withdrawal is None


def test_a_delivered_order_can_still_be_withdrawn_within_the_period(world: World):
    order = world.order()
    change_status(order.id, PROVIDER_ID, OrderStatus.DELIVERED, None, world.deps)
    assert withdraw(order.id, world.deps).status == OrderStatus.CANCELLED


def test_the_trail_says_who_withdrew_and_why_and_announces_order_withdrawn(world: World):
    order = world.order()
    withdrawn = withdraw(order.id, world.deps, reason="Hittade billigare")
    events = world.deps.orders.list_events(order.id)
    status, last = events[-2], events[-1]
    assert (status.kind, status.status_from, status.status_to) == (
        OrderEventKind.STATUS_CHANGED,
        OrderStatus.NEW,
        OrderStatus.CANCELLED,
    )
    assert status.webhook_type == "order.status_changed"
    assert last.kind == OrderEventKind.WITHDRAWN
    assert last.actor == "customer"
    assert last.webhook_type == "order.withdrawn"
    assert last.text == "Withdrawn by the customer (right of withdrawal): Hittade billigare"
    assert last.order_snapshot == withdrawn
    assert "order.withdrawn" in ORDER_EVENT_TYPES
    view = order_view(withdrawn)
    assert view["withdrawal"]["reason"] == "Hittade billigare"
    assert view["deactivation"]["state"] == "pending"
    assert "attempt_id" not in view["deactivation"]


def test_a_raced_withdrawal_writes_once(world: World):
    order = world.order()
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(withdraw(order.id, world.deps))
        except WithdrawalRefused as error:
            results.append(error.reason)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r if isinstance(r, str) else "ok" for r in results) == [
        "already_withdrawn",
        "already_withdrawn",
        "already_withdrawn",
        "ok",
    ]
    kinds = [e.kind for e in world.deps.orders.list_events(order.id)]
    assert kinds.count(OrderEventKind.WITHDRAWN) == 1


# --- the deactivation --------------------------------------------------------------------


def test_old_activation_messages_are_activations():
    body = '{"order_id":"ord_1","attempt_id":"a1","retry_number":0}'
    assert parse_activation_message(body).kind == "activate"


def test_withdrawing_an_activated_order_makes_one_service_deactivate(world: World):
    order = world.order()
    assert world.stored(order).activation.state == ActivationState.ACTIVATED
    withdraw(order.id, world.deps)
    [step] = world.relay(order)
    assert step.kind == "deactivate"
    assert world.drain() == ["done"]
    assert world.network.count("service_deactivate") == 1
    stored = world.stored(order)
    assert stored.deactivation is not None
    assert stored.deactivation.state == DeactivationState.DONE
    assert stored.deactivation.attempts == 1
    calls = [e.call.method for e in world.deps.orders.list_events(order.id) if e.call]
    assert calls == ["service_order", "service_deactivate"]
    assert world.deps.orders.list_events(order.id)[-1].kind == OrderEventKind.DEACTIVATION_CHANGED


def test_duplicate_messages_and_relays_make_one_service_deactivate(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    world.relay(order)
    world.relay(order)  # the stream delivers at least once
    message, _ = world.queue.sent[0]
    world.queue.send(message)  # and the queue too
    kinds = world.drain()
    assert kinds.count("done") == 1
    assert world.network.count("service_deactivate") == 1


def test_raced_deliveries_of_one_step_make_one_service_deactivate(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    [step] = world.relay(order)
    world.queue.sent.clear()
    barrier = threading.Barrier(3)
    kinds: list[str] = []

    def deliver() -> None:
        barrier.wait()
        kinds.append(process_activation(step, world.deps, claims=world.deps.tokens).kind)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert world.network.count("service_deactivate") == 1
    assert kinds.count("done") == 1
    # The losers look again later; by then the step is done and the look is dropped.
    assert set(world.drain()) <= {"skipped_stale"}
    assert world.network.count("service_deactivate") == 1


def test_a_claimer_that_died_is_taken_over_after_the_claim_goes_stale(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    [step] = world.relay(order)
    world.queue.sent.clear()

    class Died(BaseException):
        pass

    def dies(*args: Any) -> CallResult:
        raise Died

    original = world.network.service_deactivate
    world.network.service_deactivate = dies  # type: ignore[method-assign]
    with pytest.raises(Died):
        process_activation(step, world.deps, claims=world.deps.tokens)
    world.network.service_deactivate = original  # type: ignore[method-assign]
    # The message comes back: the claim is fresh, so it looks again later
    assert process_activation(step, world.deps, claims=world.deps.tokens).kind == (
        "claimed_elsewhere"
    )
    world.clock.advance(minutes=11)
    # The service is still on the outlet: the next step deactivates it
    world.network.port = PortStatus(
        access_id=ACCESS_ID, services=(ServiceOnPort(service_uid="BB100"),)
    )
    assert "done" in world.drain()
    assert world.stored(order).deactivation.state == DeactivationState.DONE  # type: ignore[union-attr]
    assert world.network.methods_called()[-2:] == ["port_status", "service_deactivate"]


@pytest.mark.parametrize(
    "refusal", [("refused", "404"), ("refused", "unsupported")], ids=["da", "on-api"]
)
def test_a_refused_deactivation_is_failed_with_the_reason(world: World, refusal: Any):
    order = world.order()
    withdraw(order.id, world.deps)
    outcome, code = refusal
    world.network.service_deactivate = lambda *a: CallResult(  # type: ignore[method-assign]
        method="service_deactivate", outcome=outcome, code=code, message="no", duration_ms=1
    )
    world.relay(order)
    assert world.drain() == ["failed"]
    stored = world.stored(order).deactivation
    assert stored is not None and stored.state == DeactivationState.FAILED
    assert stored.reason is not None and stored.reason.code == code
    last = world.deps.orders.list_events(order.id)[-1]
    assert last.text == "Deactivation failed: no"


def test_a_transient_deactivation_retries_on_the_activation_schedule(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    replies = [
        CallResult(method="service_deactivate", outcome="transient", code="timeout", duration_ms=1),
        CallResult(method="service_deactivate", outcome="ok", duration_ms=1),
    ]
    world.network.service_deactivate = lambda *a: replies.pop(0)  # type: ignore[method-assign]
    world.network.port = PortStatus(
        access_id=ACCESS_ID, services=(ServiceOnPort(service_uid="BB100"),)
    )
    world.relay(order)
    message, _ = world.queue.sent.pop(0)
    assert process_activation(message, world.deps, claims=world.deps.tokens).kind == (
        "retry_scheduled"
    )
    assert 40 <= world.queue.sent[-1][1] <= 80
    assert world.drain() == ["done"]
    trail = [
        (e.call.method, e.call.outcome) for e in world.deps.orders.list_events(order.id) if e.call
    ]
    assert trail[1:] == [
        ("service_deactivate", "transient"),
        ("port_status", "ok"),
        ("service_deactivate", "ok"),
    ]


@pytest.mark.parametrize("outcome", ["refused", "manual", "awaiting_provider"])
def test_nothing_on_the_outlet_needs_no_deactivation(world: World, outcome: str):
    if outcome == "refused":
        world.network.order_outcome = "refused"
        order = world.order()
    elif outcome == "manual":
        order = world.order(access=None)
    else:
        order = world.order(
            Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID, identified_by="address")
        )
    withdrawn = withdraw(order.id, world.deps)
    assert withdrawn.deactivation is not None
    assert withdrawn.deactivation.state == DeactivationState.NOT_NEEDED
    assert world.relay(order) == []
    assert world.network.count("service_deactivate") == 0


def pending_order(world: World) -> Order:
    world.network.order_outcome = "transient"
    order = world.order()
    assert world.stored(order).activation.state == ActivationState.PENDING
    world.network.order_outcome = "ok"
    return order


def test_a_pending_activation_makes_the_deactivation_wait_then_deactivates(world: World):
    order = pending_order(world)
    withdrawn = withdraw(order.id, world.deps)
    assert withdrawn.deactivation is not None
    assert withdrawn.deactivation.state == DeactivationState.PENDING
    # The activation's own retry is dropped: the order is cancelled
    world.queue.sent.clear()
    world.relay(order)
    message, _ = world.queue.sent.pop(0)
    waited = process_activation(message, world.deps, claims=world.deps.tokens)
    assert waited.kind == "waiting_for_activation"
    assert waited.delay_seconds is not None and 40 <= waited.delay_seconds <= 80
    # Meanwhile the call that was in flight put the service on the outlet
    world.network.port = PortStatus(
        access_id=ACCESS_ID, services=(ServiceOnPort(service_uid="BB100"),)
    )
    assert world.drain() == ["done"]
    assert world.network.count("service_deactivate") == 1
    assert world.network.count("service_order") == 1


def test_a_pending_activation_that_never_reached_the_outlet_needs_nothing(world: World):
    order = pending_order(world)
    withdraw(order.id, world.deps)
    world.queue.sent.clear()
    world.relay(order)
    assert world.drain() == ["waiting_for_activation", "not_needed"]
    assert world.network.count("service_deactivate") == 0
    assert world.stored(order).deactivation.state == DeactivationState.NOT_NEEDED  # type: ignore[union-attr]


def test_a_pending_activation_that_ends_activated_is_then_deactivated(world: World):
    order = pending_order(world)
    withdraw(order.id, world.deps)
    world.queue.sent.clear()
    world.relay(order)
    message, _ = world.queue.sent.pop(0)
    process_activation(message, world.deps, claims=world.deps.tokens)
    # The activation ends activated (an in-flight step recorded it) before the next look
    stored = world.stored(order)
    activated = stored.next_version(
        activation=stored.activation.model_copy(
            update={"state": ActivationState.ACTIVATED, "date": world.clock.now().date()}
        ).model_dump()
    )
    world.deps.orders.replace(activated, expected_version=stored.version, events=[])
    world.network.port = PortStatus(
        access_id=ACCESS_ID, services=(ServiceOnPort(service_uid="BB100"),)
    )
    assert world.drain() == ["done"]
    assert world.network.count("service_deactivate") == 1


def test_a_pending_activation_that_ends_refused_needs_nothing(world: World):
    order = pending_order(world)
    withdraw(order.id, world.deps)
    stored = world.stored(order)
    refused = stored.next_version(
        activation=stored.activation.model_copy(
            update={"state": ActivationState.REFUSED}
        ).model_dump()
    )
    world.deps.orders.replace(refused, expected_version=stored.version, events=[])
    world.queue.sent.clear()
    world.relay(order)
    assert world.drain() == ["not_needed"]
    assert world.network.count("service_deactivate") == 0


def test_the_deactivation_message_for_another_attempt_is_stale(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    [step] = world.relay(order)
    other = step.model_copy(update={"attempt_id": "another"})
    result = process_activation(other, world.deps, claims=world.deps.tokens)
    assert result.kind == "skipped_stale"
    assert world.network.count("service_deactivate") == 0


def test_a_late_look_at_an_earlier_step_is_stale_once_a_later_step_ran(world: World):
    order = world.order()
    withdraw(order.id, world.deps)
    replies = [
        CallResult(method="service_deactivate", outcome="transient", code="timeout", duration_ms=1),
        CallResult(method="service_deactivate", outcome="transient", code="timeout", duration_ms=1),
    ]
    world.network.service_deactivate = lambda *a: replies.pop(0)  # type: ignore[method-assign]
    world.network.port = PortStatus(
        access_id=ACCESS_ID, services=(ServiceOnPort(service_uid="BB100"),)
    )
    [step] = world.relay(order)
    world.queue.sent.clear()
    assert process_activation(step, world.deps, claims=world.deps.tokens).kind == (
        "retry_scheduled"
    )
    retry, _ = world.queue.sent.pop(0)
    assert process_activation(retry, world.deps, claims=world.deps.tokens).kind == (
        "retry_scheduled"
    )
    world.clock.advance(minutes=30)
    # A duplicate of the first step, long after: a later step is under way, so no call
    late = process_activation(step, world.deps, claims=world.deps.tokens)
    assert (late.kind, late.detail) == ("skipped_stale", "a later step ran")
    assert replies == []  # the two steps' calls, and no third
