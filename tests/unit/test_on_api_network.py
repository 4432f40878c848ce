"""An ON-API network read through the protocol-neutral interface: what its order replies
and order events mean for an activation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chalicelib.adapters.citynet.on_api.models import (
    OnApiOrder,
    OrderEvent,
    OrderEventsResult,
    OrderResult,
)
from chalicelib.adapters.citynet.on_api.network import OnApiCityNetwork, as_service_order
from chalicelib.domain.activation.replies import activation_after_network_outcome
from chalicelib.domain.models import Activation, ActivationState

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)


def placed(state: str | None, **order: Any) -> OrderResult:
    body = None if state is None else OnApiOrder(order_id="net-1", state=state, **order)
    return OrderResult(method="order_activate", outcome="ok", code="201", duration_ms=7, order=body)


def pending() -> Activation:
    return Activation(state=ActivationState.PENDING, updated_at=NOW, attempt_id="att_1")


def test_a_received_order_is_taken_but_not_completed():
    result = as_service_order(placed("RECEIVED"), "service_order")
    assert (result.outcome, result.completed, result.network_order_id) == ("ok", False, "net-1")
    assert activation_after_network_outcome(pending(), result, today=TODAY, now=NOW) is None


def test_done_success_activates_on_the_expected_date_or_today():
    later = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    scheduled = as_service_order(placed("DONE_SUCCESS", expected_completion_at=later), "x")
    now_done = as_service_order(placed("DONE_SUCCESS"), "x")
    after = activation_after_network_outcome(pending(), scheduled, today=TODAY, now=NOW)
    assert after is not None and (after.state, after.date) == (
        ActivationState.SCHEDULED,
        later.date(),
    )
    after = activation_after_network_outcome(pending(), now_done, today=TODAY, now=NOW)
    assert after is not None and (after.state, after.date) == (ActivationState.ACTIVATED, TODAY)


def test_done_failed_is_a_refusal_with_the_networks_reason():
    result = as_service_order(placed("DONE_FAILED", message="CPE saknas"), "x")
    after = activation_after_network_outcome(pending(), result, today=TODAY, now=NOW)
    assert result.outcome == "refused"
    assert after is not None and after.state == ActivationState.REFUSED
    assert after.reason is not None and after.reason.message == "CPE saknas"


def test_an_already_active_service_counts_as_activated():
    result = as_service_order(placed(None), "service_order")
    assert (result.outcome, result.completed) == ("ok", True)


def test_a_transient_reply_stays_transient():
    reply = OrderResult(
        method="order_activate", outcome="transient", code="http_503", duration_ms=1
    )
    result = as_service_order(reply, "service_order")
    assert result.transient
    assert activation_after_network_outcome(pending(), result, today=TODAY, now=NOW) is None


class FakeClient:
    """Order events as scripted; `GET orders/{id}` answers from `orders` (None: transient)."""

    city_network_id = "demo-onapi"

    def __init__(self, events: list[OrderEvent], orders: dict[str, OnApiOrder | None]) -> None:
        self.events, self.orders, self.looked_up = events, orders, []

    def order_events(self, since: str | None) -> OrderEventsResult:
        last = self.events[-1].event_id if self.events else since
        return OrderEventsResult(
            method="orderevents",
            outcome="ok",
            duration_ms=1,
            events=tuple(self.events),
            cursor=last,
        )

    def order(self, order_id: str) -> OrderResult:
        self.looked_up.append(order_id)
        found = self.orders.get(order_id)
        if found is None:
            return OrderResult(
                method="order_get", outcome="transient", code="timeout", duration_ms=1
            )
        return OrderResult(method="order_get", outcome="ok", duration_ms=1, order=found)


def event(event_id: str, order_id: str, state: str, **order: Any) -> OrderEvent:
    return OrderEvent(
        event_id=event_id,
        order=OnApiOrder(order_id=order_id, state=state, operation="ACTIVATE", **order),
    )


def test_an_event_without_our_reference_is_looked_up_and_a_failed_lookup_ends_the_page():
    # Given three events: one naming our order, one to look up, one whose lookup fails
    events = [
        event("e1", "net-1", "DONE_SUCCESS", sp_reference="01AAA"),
        event("e2", "net-2", "DONE_FAILED", message="nej"),
        event("e3", "net-3", "DONE_SUCCESS"),
        event("e4", "net-4", "DONE_SUCCESS", sp_reference="01DDD"),
    ]
    client = FakeClient(
        events, {"net-2": OnApiOrder(order_id="net-2", state="DONE_FAILED", sp_reference="01BBB")}
    )
    network = OnApiCityNetwork(client)  # type: ignore[arg-type]
    # When the feed is read
    page = network.order_updates("e0")
    # Then the first two are ours, the page stops before the failed lookup, and the cursor
    # stays there, so the next pull reads e3 (and e4) again
    assert [(u.order_id, u.result.outcome) for u in page.updates] == [
        ("ord_01AAA", "ok"),
        ("ord_01BBB", "refused"),
    ]
    assert page.cursor == "e2"
    assert client.looked_up == ["net-2", "net-3"]


def test_deactivations_are_not_activation_news():
    events = [
        OrderEvent(
            event_id="e1",
            order=OnApiOrder(
                order_id="net-9", state="DONE_SUCCESS", operation="DEACTIVATE", sp_reference="01X"
            ),
        )
    ]
    page = OnApiCityNetwork(FakeClient(events, {})).order_updates(None)  # type: ignore[arg-type]
    assert page.updates == () and page.cursor == "e1"


class CountingServices:
    """`services` answers from a script and counts the calls."""

    city_network_id = "demo-onapi"

    def __init__(self, *outcomes: str) -> None:
        self.outcomes, self.asked = list(outcomes), 0

    def services(self, access_id: str):
        from chalicelib.adapters.citynet.on_api.models import OnApiService, ServicesResult

        self.asked += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        rows = (OnApiService(service="BB-100-100", available_at=datetime(2026, 1, 1, tzinfo=UTC)),)
        return ServicesResult(
            method="services",
            outcome=outcome,
            duration_ms=40,
            access_id=access_id,
            services=rows if outcome == "ok" else (),
        )


def test_a_visit_asks_services_once_for_the_offers_page_and_the_chosen_offer():
    # Given an ON-API network whose clock says 10 s pass between the two pages
    moments = iter([0.0, 10.0, 100.0, 200.0])
    client = CountingServices()
    network = OnApiCityNetwork(client, monotonic=lambda: next(moments))  # type: ignore[arg-type]
    # When the offers page asks for the port and the form for the chosen offer
    assert network.port_status("A-1").outcome == "ok"
    chosen = network.service_deliverable("A-1", "BB-100-100")
    # Then one services call served both, and the reused answer claims no call time
    assert client.asked == 1
    assert chosen.outcome == "ok" and chosen.duration_ms == 0
    # And an answer older than a minute is asked again
    network.service_deliverable("A-1", "BB-100-100")
    assert client.asked == 2


def test_a_failed_services_answer_is_not_reused():
    moments = iter([0.0, 1.0, 2.0])
    client = CountingServices("transient", "ok")
    network = OnApiCityNetwork(client, monotonic=lambda: next(moments))  # type: ignore[arg-type]
    assert network.port_status("A-1").outcome == "transient"
    assert network.service_deliverable("A-1", "BB-100-100").outcome == "ok"
    assert client.asked == 2
