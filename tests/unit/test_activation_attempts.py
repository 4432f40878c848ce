"""The activation worker's use case, one queue message at a time, with in-memory adapters
and a scripted city network."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from chalicelib.adapters.memory.store import InMemoryOneTimeTokens, InMemoryOrderStore
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.activation.messages import ActivationMessage, parse_activation_message
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.activation.retries import ACTIVATION_RETRIES
from chalicelib.domain.activation.worker import claim_key, process_activation
from chalicelib.domain.citynet import PortStatusResult, ServiceOrderResult
from chalicelib.domain.errors import ConcurrentModification, InvalidInput
from chalicelib.domain.models import (
    ActivationState,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PortStatus,
    ServiceOnPort,
)
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.ports import Deps
from chalicelib.domain.queues import MAX_QUEUE_DELAY_S
from tests.fakes import (
    FakeCityNetwork,
    FakeCityNetworks,
    FixedClock,
    a_customer,
    seed_test_catalog,
)

ACCESS = Access(city_network_id="test-stadsnat", access_id="ACC-123-OK")
TODAY = date(2026, 11, 26)  # FixedClock's default instant, in Stockholm
PROVIDER = "test-tl"

TRANSIENT = ServiceOrderResult(
    method="service_order", outcome="transient", code="http_503", message="503", duration_ms=9
)
REFUSED = ServiceOrderResult(
    method="service_order",
    outcome="refused",
    code="500",
    message="CPE måste konfigureras",
    duration_ms=7,
)
OK = ServiceOrderResult(method="service_order", outcome="ok", code="200", duration_ms=5)
PORT_DOWN = PortStatusResult(
    method="port_status", outcome="transient", code="timeout", message="timeout", duration_ms=1000
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def city() -> FakeCityNetwork:
    return FakeCityNetwork()


@pytest.fixture
def queue() -> InMemoryQueue[ActivationMessage]:
    return InMemoryQueue()


@pytest.fixture
def claims(clock: FixedClock) -> InMemoryOneTimeTokens:
    return InMemoryOneTimeTokens(clock)


@pytest.fixture
def deps(
    city: FakeCityNetwork, queue: InMemoryQueue[ActivationMessage], clock: FixedClock
) -> InMemoryAdapters:
    adapters = InMemoryAdapters(
        city_networks=FakeCityNetworks(city), activation_queue=queue, clock=clock
    )
    seed_test_catalog(adapters.catalog)
    return adapters


def an_order() -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": "tl-internet-100", "customer": a_customer(), "details": {}}
    )


def pending_after_transient(
    deps: Deps, city: FakeCityNetwork, queue: InMemoryQueue[ActivationMessage], clock: FixedClock
) -> tuple[Order, ActivationMessage]:
    """The customer's first service_order failed transiently: the order is pending and
    its first retry (retry_number 1) is queued."""
    city.order_replies.append(TRANSIENT)
    order = place_order(an_order(), ACCESS, deps)
    [message] = queue.messages
    queue.sent.clear()
    city.calls.clear()
    clock.advance(minutes=1)
    return deps.orders.get(order.id), message


def refused_then_triggered(
    deps: Deps,
    city: FakeCityNetwork,
    queue: InMemoryQueue[ActivationMessage],
    clock: FixedClock,
    activation_date: date | None = None,
) -> tuple[Order, ActivationMessage]:
    """Scenario 2: refused at submission, then the provider triggers a new attempt."""
    city.order_replies.append(REFUSED)
    order = place_order(an_order(), ACCESS, deps)
    clock.advance(hours=2)
    request_activation(order.id, PROVIDER, activation_date, deps)
    [message] = queue.messages
    queue.sent.clear()
    city.calls.clear()
    clock.advance(seconds=1)
    return deps.orders.get(order.id), message


def set_status(deps: Deps, order_id: str, status: OrderStatus) -> None:
    """The provider's status change, as a bare conditional write (its own rules are tested
    with the provider API)."""
    current = deps.orders.get(order_id)
    deps.orders.replace(current.next_version(status=status), current.version, [])


def events_of(deps: Deps, order: Order, kind: OrderEventKind) -> list[OrderEvent]:
    return [e for e in deps.orders.list_events(order.id) if e.kind == kind]


def call_trail(deps: Deps, order: Order) -> list[tuple[str, str]]:
    return [(e.call.method, e.call.outcome) for e in deps.orders.list_events(order.id) if e.call]


# --- a retry after a transient fault ---------------------------------------------------------


def test_a_retry_asks_port_status_first_then_orders_and_records_activated(
    deps, city, queue, clock, claims
):
    # Given an order whose first service_order failed transiently
    order, message = pending_after_transient(deps, city, queue, clock)
    # When its retry is processed
    result = process_activation(message, deps, claims=claims)
    # Then port_status came first, then one service_order, and the order is activated
    assert result.kind == "activated"
    assert city.methods_called() == ["port_status", "service_order"]
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.ACTIVATED
    assert stored.activation.date == TODAY
    assert stored.activation.attempts == 2
    assert stored.version == order.version + 1
    assert call_trail(deps, order) == [
        ("service_order", "transient"),
        ("port_status", "ok"),
        ("service_order", "ok"),
    ]
    [changed] = events_of(deps, order, OrderEventKind.ACTIVATION_CHANGED)
    assert changed.activation_state == ActivationState.ACTIVATED
    assert changed.webhook_type == "order.activation_changed"
    assert changed.actor == "worker"
    assert queue.sent == []


def test_call_events_carry_each_calls_duration(deps, city, queue, clock, claims):
    order, message = pending_after_transient(deps, city, queue, clock)
    process_activation(message, deps, claims=claims)
    durations = [e.call.duration_ms for e in deps.orders.list_events(order.id) if e.call]
    assert durations == [9, 2, 5]


def test_a_service_already_on_the_port_is_recorded_and_not_ordered_again(
    deps, city, queue, clock, claims
):
    # Given the earlier, "failed" service_order went through after all
    order, message = pending_after_transient(deps, city, queue, clock)
    on = TODAY - timedelta(days=1)
    city.port = PortStatus(
        access_id="ACC-123-OK", services=(ServiceOnPort(service_uid="BB100", date=on),)
    )
    # When the retry is processed
    result = process_activation(message, deps, claims=claims)
    # Then it is activated with the port's date, and nothing was ordered
    assert result.kind == "reconciled_activated"
    assert city.orders_made() == 0
    stored = deps.orders.get(order.id)
    assert (stored.activation.state, stored.activation.date) == (ActivationState.ACTIVATED, on)
    assert stored.activation.attempts == 1
    assert call_trail(deps, order)[-1] == ("port_status", "ok")
    assert queue.sent == []


def test_a_service_on_the_port_without_a_date_is_activated_today(deps, city, queue, clock, claims):
    order, message = pending_after_transient(deps, city, queue, clock)
    city.port = PortStatus(access_id="ACC-123-OK", services=(ServiceOnPort(service_uid="BB100"),))
    process_activation(message, deps, claims=claims)
    assert deps.orders.get(order.id).activation.date == TODAY


def test_another_service_on_the_port_does_not_count(deps, city, queue, clock, claims):
    _order, message = pending_after_transient(deps, city, queue, clock)
    city.port = PortStatus(access_id="ACC-123-OK", services=(ServiceOnPort(service_uid="TV-BAS"),))
    assert process_activation(message, deps, claims=claims).kind == "activated"
    assert city.orders_made() == 1


def test_a_port_status_fault_on_a_retry_counts_as_a_transient_fault_without_ordering(
    deps, city, queue, clock, claims
):
    order, message = pending_after_transient(deps, city, queue, clock)
    city.port_replies.append(PORT_DOWN)

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "retry_scheduled"
    assert city.methods_called() == ["port_status"]
    [(next_message, delay)] = queue.sent
    assert next_message.retry_number == 2
    assert next_message.attempt_id == message.attempt_id
    assert (
        abs(delay - ACTIVATION_RETRIES.waits_s[1])
        <= ACTIVATION_RETRIES.waits_s[1] * ACTIVATION_RETRIES.jitter + 1
    )
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.PENDING
    assert stored.version == order.version  # nothing about the order changed
    assert call_trail(deps, order)[-1] == ("port_status", "transient")


def test_a_transient_fault_queues_the_next_step_with_backoff(deps, city, queue, clock, claims):
    order, message = pending_after_transient(deps, city, queue, clock)
    city.order_replies.append(TRANSIENT)

    result = process_activation(message, deps, claims=claims, rng=random.Random(4))

    assert result.kind == "retry_scheduled"
    [(next_message, delay)] = queue.sent
    assert next_message.model_dump(exclude={"retry_number"}) == message.model_dump(
        exclude={"retry_number"}
    )
    assert next_message.retry_number == 2
    assert 0.8 * ACTIVATION_RETRIES.waits_s[1] <= delay <= 1.2 * ACTIVATION_RETRIES.waits_s[1]
    stored = deps.orders.get(order.id)
    assert (stored.activation.state, stored.activation.attempts) == (ActivationState.PENDING, 2)
    assert events_of(deps, order, OrderEventKind.ACTIVATION_CHANGED) == []


def test_a_wait_beyond_the_queues_cap_travels_in_the_message(deps, city, queue, clock, claims):
    # Given the fourth retry (an hour's wait follows it) fails transiently
    _order, first = pending_after_transient(deps, city, queue, clock)
    message = first.model_copy(update={"retry_number": 3})
    city.order_replies.append(TRANSIENT)
    # When it is processed
    process_activation(message, deps, claims=claims, rng=random.Random(1))
    # Then the queue delays it by its cap and the message says when it is due
    [(next_message, delay)] = queue.sent
    assert delay == MAX_QUEUE_DELAY_S
    assert next_message.not_before is not None
    wait = (next_message.not_before - clock.now()).total_seconds()
    assert 0.8 * ACTIVATION_RETRIES.waits_s[3] <= wait <= 1.2 * ACTIVATION_RETRIES.waits_s[3]


def test_a_message_not_yet_due_is_sent_back_without_any_call(deps, city, queue, clock, claims):
    _order, first = pending_after_transient(deps, city, queue, clock)
    message = first.model_copy(
        update={"retry_number": 4, "not_before": clock.now() + timedelta(seconds=2000)}
    )

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "deferred"
    assert city.calls == []
    assert queue.sent == [(message, MAX_QUEUE_DELAY_S)]
    # The step is not used up: when it is due, it runs.
    clock.advance(seconds=1500)
    process_activation(message, deps, claims=claims)
    assert queue.sent[-1] == (message, 500)
    clock.advance(seconds=500)
    assert process_activation(message, deps, claims=claims).kind == "activated"
    assert city.orders_made() == 1


def test_a_spent_budget_fails_the_activation_with_the_last_fault(deps, city, queue, clock, claims):
    order, first = pending_after_transient(deps, city, queue, clock)
    message = first.model_copy(update={"retry_number": len(ACTIVATION_RETRIES.waits_s)})
    city.order_replies.append(TRANSIENT)

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "failed"
    assert queue.sent == []
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.FAILED
    assert stored.activation.reason is not None
    assert stored.activation.reason.code == "http_503"
    assert stored.activation.attempts == 2
    [changed] = events_of(deps, order, OrderEventKind.ACTIVATION_CHANGED)
    assert changed.activation_state == ActivationState.FAILED
    assert changed.webhook_type == "order.activation_changed"


def test_retries_follow_the_schedule_until_the_activation_fails(deps, city, queue, clock, claims):
    # Given a city network that never answers service_order
    order, message = pending_after_transient(deps, city, queue, clock)
    city.order_replies.extend([TRANSIENT] * 10)
    delays: list[int] = []
    # When every queued step is processed once it is due
    result = process_activation(message, deps, claims=claims)
    while result.kind in ("retry_scheduled", "deferred"):
        next_message, delay = queue.sent[-1]
        delays.append(delay)
        clock.advance(seconds=delay)
        result = process_activation(next_message, deps, claims=claims)
    # Then the waits add up to the schedule, and the activation failed after 6 retries
    assert result.kind == "failed"
    assert city.orders_made() == len(ACTIVATION_RETRIES.waits_s)
    assert sum(delays) == pytest.approx(
        sum(ACTIVATION_RETRIES.waits_s[1:]), rel=ACTIVATION_RETRIES.jitter
    )
    assert max(delays) <= MAX_QUEUE_DELAY_S
    assert deps.orders.get(order.id).activation.attempts == 1 + len(ACTIVATION_RETRIES.waits_s)


# --- stale, replayed and duplicate messages --------------------------------------------------


def test_a_message_for_another_attempt_is_dropped_without_a_call(deps, city, queue, clock, claims):
    order, message = pending_after_transient(deps, city, queue, clock)
    old = message.model_copy(update={"attempt_id": "att_01OLDATTEMPT0000000000000000"})

    result = process_activation(old, deps, claims=claims)

    assert result.kind == "skipped_stale"
    assert city.calls == [] and queue.sent == []
    assert deps.orders.get(order.id) == order


def test_a_message_for_an_activation_no_longer_pending_is_dropped(deps, city, queue, clock, claims):
    _order, message = pending_after_transient(deps, city, queue, clock)
    process_activation(message, deps, claims=claims)
    city.calls.clear()
    replay = message.model_copy(update={"retry_number": 2})  # same attempt, later step

    assert process_activation(replay, deps, claims=claims).kind == "skipped_stale"
    assert city.calls == []


def test_a_message_for_a_cancelled_order_is_dropped(deps, city, queue, clock, claims):
    order, message = pending_after_transient(deps, city, queue, clock)
    set_status(deps, order.id, OrderStatus.CANCELLED)

    assert process_activation(message, deps, claims=claims).kind == "skipped_stale"
    assert city.calls == []


def test_a_message_for_an_unknown_order_is_dropped(deps, city, claims):
    message = ActivationMessage(
        order_id="ord_01KNOWNNOT0000000000000000", attempt_id="att_x", retry_number=1
    )
    result = process_activation(message, deps, claims=claims)
    assert (result.kind, result.detail) == ("skipped_stale", "unknown order")
    assert city.calls == []


def test_the_same_message_twice_orders_once(deps, city, queue, clock, claims):
    # Given a provider-triggered attempt whose service_order fails transiently
    _order, message = refused_then_triggered(deps, city, queue, clock)
    city.order_replies.append(TRANSIENT)
    first = process_activation(message, deps, claims=claims)
    # When SQS delivers the same message again
    again = process_activation(message, deps, claims=claims)
    # Then the step was ordered once and the next step queued once
    assert first.kind == "retry_scheduled"
    assert (again.kind, again.detail) == ("skipped_stale", "step already done")
    assert city.orders_made() == 1
    assert len(queue.sent) == 1


def test_a_duplicate_while_the_call_is_in_flight_reconciles_instead_of_ordering(
    deps, city, queue, clock, claims
):
    # Given another worker claimed this step and has not finished (or died calling)
    _order, message = refused_then_triggered(deps, city, queue, clock)
    assert claims.claim(claim_key(message), clock.now() + timedelta(days=1), {"stage": "calling"})
    # When the message is delivered here, and the port does not show the service
    result = process_activation(message, deps, claims=claims)
    # Then nothing is ordered: the step's outcome is unknown, so the next step is queued
    assert result.kind == "retry_scheduled"
    assert city.methods_called() == ["port_status"]
    [(next_message, _)] = queue.sent
    assert next_message.retry_number == message.retry_number + 1
    # And the next step asks the port first, then orders
    assert process_activation(next_message, deps, claims=claims).kind == "activated"
    assert city.methods_called() == ["port_status", "port_status", "service_order"]


def test_a_duplicate_finds_the_in_flight_order_on_the_port(deps, city, queue, clock, claims):
    order, message = refused_then_triggered(deps, city, queue, clock)
    claims.claim(claim_key(message), clock.now() + timedelta(days=1), {"stage": "calling"})
    city.port = PortStatus(access_id="ACC-123-OK", services=(ServiceOnPort(service_uid="BB100"),))

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "reconciled_activated"
    assert city.orders_made() == 0
    assert deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED


class FailingOnce:
    """An order store whose next `replace` raises, as if DynamoDB went away mid-step."""

    def __init__(self, store: InMemoryOrderStore, error: Exception) -> None:
        self._store = store
        self.error: Exception | None = error

    def replace(self, order: Order, expected_version: int, events: list[OrderEvent]) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        self._store.replace(order, expected_version, events)

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_reply_that_could_not_be_recorded_is_recorded_on_redelivery_without_a_call(
    deps, city, queue, clock, claims
):
    # Given the city network activated the service but the store was down when recording
    order, message = refused_then_triggered(deps, city, queue, clock)
    store = FailingOnce(deps.orders, RuntimeError("DynamoDB unavailable"))
    flaky = deps.replaced(orders=store)
    with pytest.raises(RuntimeError):
        process_activation(message, flaky, claims=claims)
    # When SQS delivers the message again
    result = process_activation(message, flaky, claims=claims)
    # Then the remembered reply is recorded; the city network was asked once
    assert result.kind == "activated"
    assert city.methods_called() == ["service_order"]
    assert deps.orders.get(order.id).activation.state == ActivationState.ACTIVATED
    assert call_trail(deps, order).count(("service_order", "ok")) == 1


def test_a_failed_enqueue_of_the_next_step_is_redone_without_ordering_again(
    deps, city, queue, clock, claims
):
    order, message = pending_after_transient(deps, city, queue, clock)
    city.order_replies.append(TRANSIENT)

    class DownOnce(InMemoryQueue[ActivationMessage]):
        down = True

        def send(self, message: ActivationMessage, delay_seconds: int = 0) -> None:
            if self.down:
                self.down = False
                raise RuntimeError("SQS unavailable")
            super().send(message, delay_seconds)

    down = DownOnce()
    flaky = deps.replaced(activation_queue=down)
    with pytest.raises(RuntimeError):
        process_activation(message, flaky, claims=claims)
    result = process_activation(message, flaky, claims=claims)

    assert result.kind == "retry_scheduled"
    assert city.orders_made() == 1
    assert [m.retry_number for m in down.messages] == [2]
    assert deps.orders.get(order.id).activation.attempts == 2  # counted once


# --- conditional writes ------------------------------------------------------------------------


def test_a_lost_race_with_the_provider_is_retried_on_the_fresh_order(
    deps, city, queue, clock, claims
):
    # Given the provider moves the order along while the worker calls the city network
    order, message = pending_after_transient(deps, city, queue, clock)

    class ProviderMeanwhile:
        def __init__(self, store: InMemoryOrderStore) -> None:
            self._store = store
            self.raced = False

        def replace(self, updated: Order, expected_version: int, events: list) -> None:  # type: ignore[type-arg]
            if not self.raced:
                self.raced = True
                set_status(deps, order.id, OrderStatus.IN_PROGRESS)
            self._store.replace(updated, expected_version, events)

        def __getattr__(self, name: str) -> object:
            return getattr(self._store, name)

    racing = deps.replaced(orders=ProviderMeanwhile(deps.orders))
    # When the worker records its reply
    result = process_activation(message, racing, claims=claims)
    # Then both changes are kept
    assert result.kind == "activated"
    stored = deps.orders.get(order.id)
    assert stored.status == OrderStatus.IN_PROGRESS
    assert stored.activation.state == ActivationState.ACTIVATED
    assert stored.version == order.version + 2


def test_a_new_attempt_started_during_the_call_wins_and_the_call_stays_in_the_trail(
    deps, city, queue, clock, claims
):
    order, message = pending_after_transient(deps, city, queue, clock)
    superseding = order.next_version(
        activation=order.activation.model_copy(update={"attempt_id": "att_NEWER"}).model_dump()
    )

    class SupersededMeanwhile:
        def __init__(self, store: InMemoryOrderStore) -> None:
            self._store = store

        def replace(self, updated: Order, expected_version: int, events: list) -> None:  # type: ignore[type-arg]
            if self._store.get(order.id).activation.attempt_id != "att_NEWER":
                self._store.replace(superseding, order.version, [])
                raise ConcurrentModification("lost")
            self._store.replace(updated, expected_version, events)

        def __getattr__(self, name: str) -> object:
            return getattr(self._store, name)

    racing = deps.replaced(orders=SupersededMeanwhile(deps.orders))
    result = process_activation(message, racing, claims=claims)

    assert result.kind == "skipped_stale"
    stored = deps.orders.get(order.id)
    assert stored.activation.attempt_id == "att_NEWER"
    assert stored.activation.state == ActivationState.PENDING
    assert call_trail(deps, order)[-1] == ("service_order", "ok")


# --- scenario 2: the provider's trigger --------------------------------------------------------


def test_a_provider_triggered_attempt_orders_with_origin_provider_and_no_port_status(
    deps, city, queue, clock, claims
):
    order, message = refused_then_triggered(deps, city, queue, clock)
    assert (message.origin, message.retry_number) == ("provider", 0)

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "activated"
    assert city.methods_called() == ["service_order"]
    assert city.origins == ["provider"]
    assert city.order_refs == [order.id]
    assert city.order_dates() == [TODAY]
    stored = deps.orders.get(order.id)
    assert stored.activation.reason is None
    assert stored.activation.attempts == 2
    assert call_trail(deps, order) == [("service_order", "refused"), ("service_order", "ok")]


def test_a_provider_chosen_date_is_ordered_and_scheduled(deps, city, queue, clock, claims):
    later = TODAY + timedelta(days=10)
    order, message = refused_then_triggered(deps, city, queue, clock, activation_date=later)

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "scheduled"
    assert city.order_dates() == [later]
    stored = deps.orders.get(order.id)
    assert (stored.activation.state, stored.activation.date) == (ActivationState.SCHEDULED, later)


def test_a_date_that_passed_while_waiting_is_ordered_as_today(deps, city, queue, clock, claims):
    _order, message = pending_after_transient(deps, city, queue, clock)
    stale_date = message.model_copy(update={"activation_date": TODAY - timedelta(days=1)})
    process_activation(stale_date, deps, claims=claims)
    assert city.order_dates() == [TODAY]


def test_a_refusal_again_keeps_the_new_reason(deps, city, queue, clock, claims):
    order, message = refused_then_triggered(deps, city, queue, clock)
    city.order_replies.append(
        ServiceOrderResult(
            method="service_order",
            outcome="refused",
            code="428",
            message="Fiberboxen måste bytas",
            duration_ms=4,
        )
    )

    result = process_activation(message, deps, claims=claims)

    assert result.kind == "refused"
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.REFUSED
    assert stored.activation.reason is not None
    assert (stored.activation.reason.code, stored.activation.reason.message) == (
        "428",
        "Fiberboxen måste bytas",
    )
    changed = events_of(deps, order, OrderEventKind.ACTIVATION_CHANGED)
    assert changed[-1].text == "Fiberboxen måste bytas"
    assert queue.sent == []


# --- the message itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{}",
        '{"order_id": "ord_x", "attempt_id": "att_x", "surprise": 1}',
        '{"order_id": "ord_x", "attempt_id": "att_x", "origin": "somebody"}',
        '{"order_id": "ord_x", "attempt_id": "att_x", "retry_number": -1}',
        '{"order_id": "ord_x", "attempt_id": "att_x", "activation_date": "tomorrow"}',
    ],
    ids=["not-json", "missing-fields", "extra-field", "origin", "negative-retry", "bad-date"],
)
def test_an_unprocessable_body_is_invalid_input(body):
    with pytest.raises(InvalidInput):
        parse_activation_message(body)


def test_a_valid_body_round_trips():
    message = ActivationMessage(
        order_id="ord_x", attempt_id="att_x", origin="provider", activation_date=TODAY
    )
    assert parse_activation_message(message.model_dump_json()) == message
