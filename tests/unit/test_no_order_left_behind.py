"""No order is left `pending`: the process dies (a BaseException no handler catches, as a
kill would end it) at each step of an activation, is "restarted", and the table stream's
relay plus the activation worker finish every order as `activated`, `refused` or `failed`
within the retry budget, with at most one `service_order` per successful activation.

The stream is played by handing every stored event to the relay's use case
(`queue_look_again`), as the table stream hands each written event to the relay; the
worker by taking queued messages in the order their delays make them due."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.activation.intents import queue_look_again
from chalicelib.domain.activation.messages import ActivationMessage
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.citynet import ServiceOrderResult
from chalicelib.domain.models import ActivationState, Order, PortStatus, ServiceOnPort
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from chalicelib.domain.ports import OrderFilter
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
LOOK_AFTER_S = 120


class ProcessKilled(BaseException):
    """The process ends here: nothing after this line of the process runs."""


class CityNetwork(FakeCityNetwork):
    """A city network that remembers what it activated: a successful service_order puts
    the service on the port, where port_status finds it. `die` ends our process at a
    point of the call: "before" the network gets it, "after" it has acted on it."""

    def __init__(self) -> None:
        super().__init__(port=PortStatus(access_id=ACCESS_ID))
        self.die: str | None = None
        self.activated = 0

    def service_order(self, access_id: str, service_uid: str, activation_date: date, **kw: Any):
        if self.die == "before":
            self.die = None
            raise ProcessKilled
        reply = super().service_order(access_id, service_uid, activation_date, **kw)
        if reply.outcome == "ok":
            self.activated += 1
            assert self.port is not None
            on_port = ServiceOnPort(service_uid=service_uid, date=activation_date)
            self.port = self.port.model_copy(update={"services": (*self.port.services, on_port)})
        if self.die == "after":
            self.die = None
            raise ProcessKilled
        return reply


class Dies:
    """Wraps an adapter so that the `times`-th call of `method` ends the process, either
    before the call has any effect or after it (`when`)."""

    def __init__(self, inner: Any, method: str, when: str = "before", times: int = 1) -> None:
        self._inner, self._method, self._when, self._left = inner, method, when, times

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0 and self._when == "before":
                raise ProcessKilled
            result = attribute(*args, **kwargs)
            if self._left == 0:
                raise ProcessKilled
            return result

        return call


def an_order() -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": "tl-internet-100", "customer": a_customer(), "details": {}}
    )


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.city = CityNetwork()
        self.queue: InMemoryQueue[ActivationMessage] = InMemoryQueue()
        self.adapters = InMemoryAdapters(
            city_networks=FakeCityNetworks(self.city), activation_queue=self.queue, clock=self.clock
        )
        seed_test_catalog(self.adapters.catalog)
        self.relayed: set[str] = set()
        self.rng = random.Random(11)  # the retries' jitter, repeatable
        self.due: list[tuple[float, ActivationMessage]] = []

    def crashing(self, **given: Any) -> InMemoryAdapters:
        """The adapters of the process that dies, sharing the stores with the next one
        (built now: `replaced` shares only what was built)."""
        for shared in (self.adapters.orders, self.adapters.tokens, self.adapters.city_networks):
            assert shared is not None
        return self.adapters.replaced(**given)

    def restart_and_settle(self, order_id: str, max_steps: int = 500) -> Order:
        """A fresh process: the stream relays what was written, the worker takes what is
        queued when it is due, until nothing is left."""
        for _ in range(max_steps):
            self._relay(order_id)
            for message, delay in self.queue.take():
                self.due.append((self.clock.now().timestamp() + delay, message))
            if not self.due:
                return self.adapters.orders.get(order_id)
            self.due.sort(key=lambda entry: entry[0])
            at, message = self.due.pop(0)
            if at > self.clock.now().timestamp():
                self.clock.advance(seconds=at - self.clock.now().timestamp())
            # Long waits beyond the queue's cap come back as deferred hops: many steps.
            process_activation(message, self.adapters, claims=self.adapters.tokens, rng=self.rng)
        raise AssertionError("the activation did not settle")

    def _relay(self, order_id: str) -> None:
        for event in self.adapters.orders.list_events(order_id):
            if event.id not in self.relayed:
                self.relayed.add(event.id)
                queue_look_again(event, LOOK_AFTER_S, self.adapters)


def only_order(world: World) -> str:
    [order] = world.adapters.orders.list_for_provider(
        PROVIDER_ID, limit=10, cursor=None, filter=OrderFilter()
    ).items
    return order.id


def customer_submits(world: World, adapters: InMemoryAdapters) -> None:
    with pytest.raises(ProcessKilled):
        place_order(an_order(), ACCESS, adapters)


TRANSIENT = ServiceOrderResult(
    method="service_order", outcome="transient", code="http_503", duration_ms=3
)

# Each: how the customer's process dies. The world is fresh for each.
CUSTOMER_CRASHES: dict[str, Callable[[World], InMemoryAdapters]] = {
    "after the store, before the call": lambda w: (setattr(w.city, "die", "before"), w.adapters)[1],
    "during the call, after the network acted": lambda w: (
        setattr(w.city, "die", "after"),
        w.adapters,
    )[1],
    "after the reply, before it is recorded": lambda w: w.crashing(
        orders=Dies(w.adapters.orders, "replace", when="before")
    ),
    "before the retry is queued": lambda w: (
        w.city.order_replies.append(TRANSIENT),
        w.crashing(activation_queue=Dies(w.queue, "send", when="before")),
    )[1],
    "after the retry is queued": lambda w: (
        w.city.order_replies.append(TRANSIENT),
        w.crashing(activation_queue=Dies(w.queue, "send", when="after")),
    )[1],
}


@pytest.mark.parametrize("crash", CUSTOMER_CRASHES)
def test_a_customer_order_ends_activated_once_whenever_the_process_dies(crash):
    # Given a city network that accepts the order
    world = World()
    # When the customer's process dies at this point of the first attempt
    customer_submits(world, CUSTOMER_CRASHES[crash](world))
    order_id = only_order(world)
    assert world.adapters.orders.get(order_id).activation.state == ActivationState.PENDING
    # Then, after a restart, the order ends activated, with the service activated once
    settled = world.restart_and_settle(order_id)
    assert settled.activation.state == ActivationState.ACTIVATED
    assert world.city.activated == 1


def test_a_customer_order_whose_network_never_answers_ends_failed_within_the_budget():
    # Given a city network that never answers, and a process that dies during the call
    world = World()
    world.city.order_outcome = "transient"
    world.city.port_outcome = "transient"
    world.city.die = "before"
    customer_submits(world, world.adapters)
    # Then the order ends failed (the provider can ask again), not pending
    settled = world.restart_and_settle(only_order(world))
    assert settled.activation.state == ActivationState.FAILED
    assert world.city.activated == 0


def test_a_refusal_recorded_before_the_crash_stays_refused_without_another_call():
    # Given a refusal the customer's process recorded, then died queuing nothing more
    world = World()
    world.city.order_outcome = "refused"
    world.city.order_code = "500"
    order = place_order(an_order(), ACCESS, world.adapters)
    calls_before = world.city.count("service_order")
    # When the stream relays what was written and the worker runs
    settled = world.restart_and_settle(order.id)
    # Then the look finds the attempt over: refused, and no call was made
    assert settled.activation.state == ActivationState.REFUSED
    assert world.city.count("service_order") == calls_before
    assert world.city.total_calls == calls_before


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_provider_trigger_whose_process_dies_around_the_enqueue_still_activates(when):
    # Given a refused order, and a provider asking again
    world = World()
    world.city.order_replies.append(
        ServiceOrderResult(method="service_order", outcome="refused", code="500", duration_ms=2)
    )
    order = place_order(an_order(), ACCESS, world.adapters)
    world.relayed.update(e.id for e in world.adapters.orders.list_events(order.id))
    assert world.adapters.orders.get(order.id).activation.state == ActivationState.REFUSED
    # When the process dies just before (or just after) the activation message is queued
    dying = world.crashing(activation_queue=Dies(world.queue, "send", when=when))
    with pytest.raises(ProcessKilled):
        request_activation(order.id, PROVIDER_ID, None, dying)
    # Then the order still ends activated, with one successful service_order
    settled = world.restart_and_settle(order.id)
    assert settled.activation.state == ActivationState.ACTIVATED
    assert world.city.activated == 1
