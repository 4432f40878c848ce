"""The ordering service's branches, with in-memory adapters and a scripted city network."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.citynet import DeliverableResult, ServiceOrderResult
from chalicelib.domain.errors import CityNetworkUnavailable, InvalidInput, NotFound
from chalicelib.domain.models import (
    ActivationState,
    Category,
    OrderEventKind,
    PortStatus,
    ServiceOnPort,
)
from chalicelib.domain.ordering import (
    Access,
    OrderRequest,
    check_deliverable,
    offers_in_city_network,
    offers_on_access,
    place_order,
)
from chalicelib.domain.ports import OrderFilter
from tests.fakes import FakeCityNetworks, FixedClock, a_customer, seed_test_catalog

ACCESS = Access(city_network_id="test-stadsnat", access_id="ACC-123-OK")
TODAY = date(2026, 11, 26)  # FixedClock's default instant, in Stockholm


@pytest.fixture
def city() -> FakeCityNetworks:
    return FakeCityNetworks()


@pytest.fixture
def deps(city: FakeCityNetworks) -> InMemoryAdapters:
    adapters = InMemoryAdapters(city_networks=city, clock=FixedClock())
    seed_test_catalog(adapters.catalog)
    return adapters


def internet_order(**overrides: object) -> OrderRequest:
    fields: dict[str, object] = {
        "offer_id": "tl-internet-100",
        "customer": a_customer(),
        "details": {"router": "rent", "static_ip": False},
    }
    fields.update(overrides)
    return OrderRequest.model_validate(fields)


def test_offers_on_an_access_cost_one_port_status_and_are_grouped_by_category(deps, city):
    city.network.port = PortStatus(
        access_id="ACC-123-OK",
        message="Uttaget är öppet",
        services=(ServiceOnPort(service_uid="TV-BAS"),),
    )
    view = offers_on_access(ACCESS, deps)
    assert city.network.methods_called() == ["port_status"]
    assert set(view.by_category) == {Category.INTERNET, Category.TELEPHONY, Category.TV}
    assert [o.id for o in view.by_category[Category.INTERNET]] == [
        "tl-internet-100",
        "fiber-internet-1000",
    ]
    assert view.port is not None and view.port.message == "Uttaget är öppet"
    tv = view.by_category[Category.TV][0]
    assert view.port.has_service(tv.service_uid)


def test_offers_for_an_unidentified_customer_make_no_city_network_call(deps, city):
    view = offers_in_city_network("test-stadsnat", deps)
    assert city.network.calls == []
    assert sum(len(offers) for offers in view.by_category.values()) == 4


def test_scenario_1_identified_order_is_stored_and_activated_today(deps, city):
    order = place_order(internet_order(), ACCESS, deps)

    assert city.network.methods_called() == ["service_order"]
    method, params = city.network.calls[0]
    assert method == "service_order"
    assert (params["access_id"], params["uid"], params["date"]) == ("ACC-123-OK", "BB100", TODAY)
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.ACTIVATED
    assert stored.activation.date == TODAY
    assert stored.activation.attempts == 1
    assert stored.provider_id == "test-tl" and stored.access_id == "ACC-123-OK"
    page = deps.orders.list_for_provider("test-tl", limit=10, cursor=None, filter=OrderFilter())
    assert [o.id for o in page.items] == [order.id]


def test_every_city_network_call_is_in_the_trail_with_its_duration(deps):
    check = DeliverableResult(method="service_deliverable", outcome="ok", code="200", duration_ms=7)
    order = place_order(internet_order(), ACCESS, deps, prior_calls=[check])

    calls = [e.call for e in deps.orders.list_events(order.id) if e.call]
    assert [(c.method, c.outcome, c.duration_ms) for c in calls] == [
        ("service_deliverable", "ok", 7),
        ("service_order", "ok", 5),
    ]
    kinds = [e.kind for e in deps.orders.list_events(order.id)]
    assert OrderEventKind.ORDER_CREATED in kinds
    assert OrderEventKind.ACTIVATION_CHANGED in kinds


def test_a_requested_future_date_makes_the_activation_scheduled(deps, city):
    later = TODAY + timedelta(days=14)
    order = place_order(internet_order(requested_date=later), ACCESS, deps)
    assert city.network.calls[0][1]["date"] == later
    assert order.activation.state == ActivationState.SCHEDULED
    assert order.activation.date == later


def test_a_city_network_that_names_a_later_date_schedules_the_activation(deps, city):
    later = TODAY + timedelta(days=3)
    city.network.order_replies = [
        ServiceOrderResult(
            method="service_order", outcome="ok", duration_ms=4, activation_date=later
        )
    ]
    order = place_order(internet_order(), ACCESS, deps)
    assert (order.activation.state, order.activation.date) == (ActivationState.SCHEDULED, later)


def test_scenario_2_a_refused_activation_is_kept_with_the_reason(deps, city):
    city.network.order_replies = [
        ServiceOrderResult(
            method="service_order",
            outcome="refused",
            code="500",
            message="Telefonidosan måste konfigureras",
            duration_ms=4,
        )
    ]
    order = place_order(internet_order(), ACCESS, deps)

    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.REFUSED
    assert stored.activation.reason is not None
    assert (stored.activation.reason.code, stored.activation.reason.message) == (
        "500",
        "Telefonidosan måste konfigureras",
    )
    assert deps.activation_queue.messages == []  # the provider triggers the next attempt


def test_scenario_4_unidentified_order_is_manual_without_any_city_network_call(deps, city):
    order = place_order(internet_order(city_network_id="test-stadsnat"), None, deps)

    assert city.network.calls == []
    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.MANUAL
    assert (stored.identified, stored.access_id) == (False, None)


def test_a_transient_fault_leaves_the_order_pending_and_queues_a_retry(deps, city):
    city.network.order_replies = [
        ServiceOrderResult(
            method="service_order", outcome="transient", code="timeout", duration_ms=5000
        )
    ]
    order = place_order(internet_order(), ACCESS, deps)

    stored = deps.orders.get(order.id)
    assert stored.activation.state == ActivationState.PENDING
    assert stored.activation.attempts == 1
    [(message, delay)] = deps.activation_queue.sent
    assert message.order_id == order.id
    assert message.attempt_id == stored.activation.attempt_id
    assert message.retry_number == 1
    assert 45 <= delay <= 75  # about a minute, with jitter


def test_an_order_whose_reply_cannot_be_recorded_is_handed_to_the_worker(deps, city):
    # Given a store that fails on the write after service_order
    def broken_replace(*args, **kwargs):
        raise RuntimeError("DynamoDB unavailable")

    deps.orders.replace = broken_replace  # type: ignore[method-assign]
    # When the customer orders
    order = place_order(internet_order(), ACCESS, deps)
    # Then the stored order is still pending and the worker gets it to reconcile
    assert deps.orders.get(order.id).activation.state == ActivationState.PENDING
    assert [m.order_id for m in deps.activation_queue.messages] == [order.id]


def test_a_date_in_the_past_is_refused_and_nothing_is_stored(deps, city):
    with pytest.raises(InvalidInput):
        place_order(internet_order(requested_date=TODAY - timedelta(days=1)), ACCESS, deps)
    with pytest.raises(InvalidInput):
        place_order(internet_order(requested_date=TODAY + timedelta(days=366)), ACCESS, deps)
    assert city.network.calls == []
    page = deps.orders.list_for_provider("test-tl", limit=10, cursor=None, filter=OrderFilter())
    assert page.items == []


def test_deliverability_is_one_call_and_a_refusal_speaks_swedish(deps, city):
    city.network.deliverable = DeliverableResult(
        method="service_deliverable", outcome="refused", code="426", duration_ms=3
    )
    deliverability, call = check_deliverable("tl-internet-100", ACCESS, deps)

    assert city.network.methods_called() == ["service_deliverable"]
    assert not deliverability.deliverable
    assert deliverability.reason_code == "426"
    assert "uppgraderas" in (deliverability.customer_message or "")
    assert call.duration_ms == 3


def test_a_5xx_refusal_shows_the_city_networks_own_message(deps, city):
    city.network.deliverable = DeliverableResult(
        method="service_deliverable",
        outcome="refused",
        code="500",
        message="Tjänsten kan bara beställas av studenter",
        duration_ms=3,
    )
    deliverability, _ = check_deliverable("tl-internet-100", ACCESS, deps)
    assert deliverability.customer_message == "Tjänsten kan bara beställas av studenter"


def test_an_unanswered_deliverability_check_is_reported_as_unavailable(deps, city):
    city.network.deliverable = DeliverableResult(
        method="service_deliverable", outcome="transient", code="http_503", duration_ms=3
    )
    with pytest.raises(CityNetworkUnavailable):
        check_deliverable("tl-internet-100", ACCESS, deps)


def test_an_offer_of_another_city_network_does_not_exist_for_this_customer(deps, city):
    elsewhere = Access(city_network_id="other-stadsnat", access_id="X-1")
    with pytest.raises(NotFound):
        check_deliverable("tl-internet-100", elsewhere, deps)
    with pytest.raises(NotFound):
        place_order(internet_order(), elsewhere, deps)
    assert city.network.calls == []


@pytest.mark.parametrize(
    ("requested", "allowed"),
    [(date(2028, 3, 1), True), (date(2028, 3, 2), False), (date(2027, 2, 28), False)],
)
def test_form_and_ordering_agree_on_the_last_requestable_date(deps, requested, allowed):
    # Given 2027-03-01 in Sweden: a year ahead is 2028-03-01, although 2028 is a leap year
    # (today + 365 days would be 2028-02-29)
    from datetime import UTC, datetime

    from chalicelib.domain.forms import FormatProblem, parse_requested_date

    deps.clock.at = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    today = date(2027, 3, 1)

    # When the form parses the date and the ordering service places the order with it
    try:
        parse_requested_date(requested.isoformat(), today)
        form_allows = True
    except FormatProblem:
        form_allows = False
    try:
        place_order(internet_order(requested_date=requested), None, deps)
        ordering_allows = True
    except InvalidInput:
        ordering_allows = False

    # Then both say the same
    assert (form_allows, ordering_allows) == (allowed, allowed)


# --- how the outlet was identified -----------------------------------------------------


def test_the_order_records_how_the_outlet_was_identified(deps):
    by_portal = Access(city_network_id="test-stadsnat", access_id="ACC-1", identified_by="portal")
    assert place_order(internet_order(), by_portal, deps).identified_by == "portal"
    assert place_order(internet_order(), ACCESS, deps).identified_by == "bounce"
    unidentified = place_order(internet_order(city_network_id="test-stadsnat"), None, deps)
    assert unidentified.identified_by is None
    stored = deps.orders.get(unidentified.id)
    assert stored.identified_by is None


def test_an_order_stored_before_identified_by_reads_as_identified_by_a_bounce(deps):
    order = place_order(internet_order(), ACCESS, deps)
    old = order.model_dump(mode="json")
    del old["identified_by"]
    assert type(order).model_validate(old).identified_by == "bounce"
    assert type(order).model_validate_json(json.dumps(old)).identified_by == "bounce"
    # and an old unidentified one reads as not identified by anything
    old.update(identified=False, access_id=None)
    assert type(order).model_validate(old).identified_by is None


def test_an_unidentified_order_cannot_claim_how_it_was_identified(deps):
    order = place_order(internet_order(city_network_id="test-stadsnat"), None, deps)
    with pytest.raises(ValidationError):
        order.next_version(identified_by="portal")
