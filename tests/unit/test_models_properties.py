"""Properties of the domain models and their stored forms: whatever the models accept comes
back equal from JSON, from the DynamoDB item the store writes, and from the in-memory store;
and whatever the order form accepts can be stored as an order."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.cursor import CursorCodec, change_key
from chalicelib.adapters.dynamodb.orders import (
    ORDER_SK,
    _event_item,
    _order,
    _order_item,
    order_pk,
    provider_pk,
)
from chalicelib.adapters.form_files import load_form_definitions
from chalicelib.adapters.memory.store import InMemoryOrderStore
from chalicelib.domain.forms import FormAccepted, compose_form, validate_submission
from chalicelib.domain.models import (
    Activation,
    ActivationState,
    Category,
    Customer,
    Order,
    OrderEvent,
    Service,
)
from tests.fakes import EXTENSION_FORM_ID, PROVIDER_ID
from tests.strategies import activations, customers, instants, order_events, orders, text
from tests.unit.test_forms_properties import VALID_ANSWERS

FORMS = [
    compose_form(load_form_definitions(), category, extension)
    for category in ("internet", "telephony", "tv")
    for extension in (None, EXTENSION_FORM_ID)
]


@given(order=orders())
def test_an_order_round_trips_through_json(order: Order) -> None:
    again = Order.model_validate_json(order.model_dump_json())
    assert again == order
    assert again.model_dump_json() == order.model_dump_json()


@given(customer=customers, activation=activations)
def test_customer_and_activation_round_trip_through_json(
    customer: Customer, activation: Activation
) -> None:
    assert Customer.model_validate_json(customer.model_dump_json()) == customer
    assert Activation.model_validate_json(activation.model_dump_json()) == activation
    # The personal number and contact details never show in a repr (accidental logs)
    shown = repr(customer)
    assert customer.personal_number not in shown and customer.email not in shown


@given(event=order_events())
def test_an_order_event_round_trips_through_json(event: OrderEvent) -> None:
    assert OrderEvent.model_validate_json(event.model_dump_json()) == event


@given(order=orders())
def test_an_order_round_trips_through_its_dynamodb_item(order: Order) -> None:
    item = _order_item(order)
    assert _order(item) == order
    # The keys the indexes sort by are derived from the order itself
    assert item["pk"] == {"S": order_pk(order.id)} and item["sk"] == {"S": ORDER_SK}
    assert item["po_pk"] == item["pu_pk"] == {"S": provider_pk(order.provider_id)}
    assert item["po_sk"] == {"S": order.id}
    assert item["pu_sk"] == {"S": change_key(order.updated_at, order.id)}
    assert item["version"] == {"N": str(order.version)}
    # DynamoDB refuses empty strings in key attributes and items over 400 KB
    assert all(value.get("S") != "" for value in item.values())


@given(event=order_events())
def test_an_order_event_round_trips_through_its_dynamodb_item(event: OrderEvent) -> None:
    item = _event_item(event)
    assert OrderEvent.model_validate_json(item["doc"]["S"]) == event


@given(order=orders(), data=st.data())
def test_an_order_and_its_events_round_trip_through_the_memory_store(
    order: Order, data: st.DataObject
) -> None:
    store = InMemoryOrderStore(CursorCodec(b"k" * 32))
    events = data.draw(st.lists(order_events(order), max_size=3, unique_by=lambda e: e.id))
    store.create(order, events)
    assert store.get(order.id) == order
    assert store.get_for_provider(order.id, order.provider_id) == order
    assert sorted(store.list_events(order.id), key=lambda e: e.id) == sorted(
        events, key=lambda e: e.id
    )


def _order_from(accepted: FormAccepted, category: Category, at: object) -> Order:
    return Order.model_validate(
        {
            "id": "ord_01J9Z8Q4W5X6Y7Z8A9B0C1D2E3",
            "provider_id": PROVIDER_ID,
            "offer_id": "tl-internet-100",
            "city_network_id": None,
            "access_id": None,
            "identified": False,
            "service": Service(uid="BB100", category=category, name="x"),
            "customer": accepted.customer,
            "details": accepted.details,
            "extra": accepted.extra,
            "requested_date": accepted.requested_date,
            "activation": Activation(state=ActivationState.MANUAL, updated_at=at),
            "created_at": at,
            "updated_at": at,
        }
    )


@given(
    form_index=st.integers(min_value=0, max_value=len(FORMS) - 1),
    changes=st.dictionaries(st.sampled_from(sorted(VALID_ANSWERS)), text, max_size=4),
    at=instants,
)
def test_whatever_the_form_accepts_can_be_stored_as_an_order(
    form_index: int, changes: dict[str, str], at: object
) -> None:
    form = FORMS[form_index]
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw.update({k: [v] for k, v in changes.items() if k in form.field_names})
    result = validate_submission(form, raw, date(2025, 6, 1))
    if isinstance(result, FormAccepted):
        order = _order_from(result, Category(form.fieldsets[1].id), at)
        assert _order(_order_item(order)) == order


def test_the_most_specific_range_picks_the_city_network():
    from chalicelib.domain.models import CityNetwork, city_network_at

    def network(id_: str, *ranges: str) -> CityNetwork:
        return CityNetwork(
            id=id_, name=id_, api_url="https://x.invalid", ip_ranges=ranges, credentials_ref="r"
        )

    wide, narrow = network("wide", "127.0.0.0/8"), network("narrow", "127.0.1.0/24")
    for order in ([wide, narrow], [narrow, wide]):
        assert city_network_at("127.0.1.2", order) is narrow
        assert city_network_at("127.0.0.2", order) is wide
    assert city_network_at("192.0.2.1", [wide, narrow]) is None
    assert city_network_at("not an address", [wide]) is None
