"""Orders by a chosen address (`awaiting_provider`) and the forced-takeover consent, in the
domain with in-memory adapters: the order is stored and nothing is asked of the city
network until the provider asks for the activation; that request runs as scenario 2's
does, and an order with the customer's consent carries it to the network."""

from __future__ import annotations

import pytest

from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.activation.intents import look_again_step
from chalicelib.domain.activation.provider import request_activation
from chalicelib.domain.activation.states import RETRIGGERABLE, check_activation_transition
from chalicelib.domain.activation.worker import process_activation
from chalicelib.domain.address_orders import place_address_order
from chalicelib.domain.addresses import ListedAccess
from chalicelib.domain.errors import Conflict, InvalidTransition, NotFound
from chalicelib.domain.models import ActivationState, Order
from chalicelib.domain.ordering import Access, OrderRequest, place_order
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

LISTED = ListedAccess(access_id=ACCESS_ID, street_name="Storgatan", street_number="3")
BY_ADDRESS = Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID, identified_by="address")


@pytest.fixture
def city() -> FakeCityNetwork:
    return FakeCityNetwork()


@pytest.fixture
def deps(city: FakeCityNetwork) -> InMemoryAdapters:
    built = InMemoryAdapters(city_networks=FakeCityNetworks(city), clock=FixedClock())
    seed_test_catalog(built.catalog)
    built.access_directory.put(NETWORK_ID, [LISTED], replacing={})
    return built


def request(**more: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"offer_id": "tl-internet-100", "customer": a_customer(), "details": {}, **more}
    )


def by_address(deps: InMemoryAdapters, **more: object) -> Order:
    return place_address_order(request(**more), BY_ADDRESS, deps)


def test_awaiting_provider_may_only_become_pending_and_is_retriggerable():
    assert ActivationState.AWAITING_PROVIDER in RETRIGGERABLE
    check_activation_transition(ActivationState.AWAITING_PROVIDER, ActivationState.PENDING)
    for target in set(ActivationState) - {ActivationState.PENDING}:
        with pytest.raises(InvalidTransition):
            check_activation_transition(ActivationState.AWAITING_PROVIDER, target)


def test_an_order_by_address_is_stored_awaiting_the_provider_without_a_call(deps, city):
    order = by_address(deps)
    assert order.activation.state == ActivationState.AWAITING_PROVIDER
    assert (order.identified, order.identified_by) == (True, "address")
    assert city.total_calls == 0
    [created] = deps.orders.list_events(order.id)
    assert created.webhook_type == "order.created"
    assert created.activation_state == ActivationState.AWAITING_PROVIDER
    # No look at an attempt is promised: there is none
    assert not created.activation_intent and look_again_step(created) is None


def test_an_order_for_an_access_the_directory_does_not_list_is_refused(deps, city):
    unlisted = BY_ADDRESS.model_copy(update={"access_id": "NOT-LISTED"})
    with pytest.raises(NotFound):
        place_address_order(request(), unlisted, deps)
    assert city.total_calls == 0


def test_the_providers_request_activates_it_as_in_scenario_2(deps, city):
    order = by_address(deps)
    requested = request_activation(order.id, PROVIDER_ID, None, deps)
    assert requested.activation.state == ActivationState.PENDING
    [step] = deps.activation_queue.messages  # type: ignore[attr-defined]
    result = process_activation(step, deps, claims=deps.tokens)
    assert result.kind == "activated"
    assert city.methods_called() == ["service_order"]
    assert city.origins == ["provider"] and city.takeovers == [False]


def test_the_customers_consent_goes_with_the_providers_request(deps, city):
    order = by_address(deps, forced_takeover=True)
    assert order.forced_takeover is True
    request_activation(order.id, PROVIDER_ID, None, deps)
    [step] = deps.activation_queue.messages  # type: ignore[attr-defined]
    process_activation(step, deps, claims=deps.tokens)
    assert city.takeovers == [True]


def test_an_identified_order_with_the_consent_carries_it_on_the_first_attempt(deps, city):
    access = Access(city_network_id=NETWORK_ID, access_id=ACCESS_ID)
    order = place_order(request(forced_takeover=True), access, deps)
    assert order.activation.state == ActivationState.ACTIVATED
    assert city.takeovers == [True]


def test_a_manual_order_still_cannot_be_requested(deps):
    order = place_order(request(city_network_id=NETWORK_ID), None, deps)
    with pytest.raises(Conflict):
        request_activation(order.id, PROVIDER_ID, None, deps)
