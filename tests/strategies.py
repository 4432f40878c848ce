"""Hypothesis strategies for the domain models: any value the models accept, within what the
project can produce (text without lone surrogates: form values are checked for them and
bodies are decoded with errors="replace"; no NaN or infinities: forms yield no floats;
instants from the clock, which is timezone-aware)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st
from stdnum import luhn

from chalicelib.domain.models import (
    Activation,
    ActivationState,
    Category,
    CityNetworkCall,
    Customer,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Reason,
    Service,
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
short_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
# One line of plain text, as a customer's name and address are (no control or format
# character: models.Customer refuses them).
plain_line = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cf")), min_size=1, max_size=30)
ids = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)
ulid_chars = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# A ULID's first character is at most 7 (48 bits of time); drawn so, not filtered for.
ulids = st.builds(
    str.__add__,
    st.sampled_from("01234567"),
    st.text(ulid_chars, min_size=25, max_size=25),
)

# Whole-minute offsets, as real time zones have nowadays (JSON keeps minutes only).
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2099, 12, 31),
    timezones=st.one_of(st.just(dt.UTC), offsets),
)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
answers = st.dictionaries(text, json_values, max_size=6)


@st.composite
def personal_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)
    first_nine = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    return f"{born.year // 100}{first_nine}{luhn.calc_check_digit(first_nine)}"


customers = st.builds(
    Customer,
    first_name=plain_line,
    last_name=plain_line,
    personal_number=personal_numbers(),
    email=st.emails().filter(lambda e: len(e) <= 254),
    phone=st.from_regex(r"\+[0-9]{7,15}", fullmatch=True),
    street_address=plain_line,
    postal_code=st.from_regex(r"[0-9]{5}", fullmatch=True),
    city=plain_line,
    apartment_number=st.none() | st.from_regex(r"[0-9]{4}", fullmatch=True),
    marketing_consent=st.booleans(),
)
reasons = st.builds(Reason, code=short_text, message=text)
activations = st.builds(
    Activation,
    state=st.sampled_from(ActivationState),
    date=st.none() | dates,
    reason=st.none() | reasons,
    attempts=st.integers(min_value=0, max_value=10_000),
    updated_at=instants,
    requested_date=st.none() | dates,
    attempt_id=st.none() | ulids.map(lambda u: f"att_{u}"),
)
services = st.builds(Service, uid=short_text, category=st.sampled_from(Category), name=text)


@st.composite
def orders(draw: st.DrawFn, provider_id: str | None = None) -> Order:
    created = draw(instants)
    identified = draw(st.booleans())
    data: dict[str, Any] = {
        "id": f"ord_{draw(ulids)}",
        "provider_id": provider_id or draw(ids),
        "offer_id": draw(ids),
        "city_network_id": draw(ids) if identified else None,
        "access_id": draw(short_text) if identified else None,
        "identified": identified,
        "identified_by": draw(st.sampled_from(["bounce", "portal"])) if identified else None,
        "service": draw(services),
        "customer": draw(customers),
        "details": draw(answers),
        "extra": draw(answers),
        "requested_date": draw(st.none() | dates),
        "activation": draw(activations),
        "status": draw(st.sampled_from(OrderStatus)),
        "created_at": created,
        "updated_at": draw(instants),
        "version": draw(st.integers(min_value=1, max_value=2**31)),
        "receipt_token_hash": draw(st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    }
    return Order.model_validate(data)


calls = st.builds(
    CityNetworkCall,
    method=st.sampled_from(["port_status", "service_deliverable", "service_order"]),
    outcome=st.sampled_from(["ok", "refused", "transient"]),
    code=st.none() | short_text,
    message=st.none() | text,
    duration_ms=st.integers(min_value=0, max_value=10**7),
)


@st.composite
def order_events(draw: st.DrawFn, order: Order | None = None) -> OrderEvent:
    order = order or draw(orders())
    return OrderEvent(
        id=f"evt_{draw(ulids)}",
        order_id=order.id,
        provider_id=order.provider_id,
        kind=draw(st.sampled_from(OrderEventKind)),
        at=draw(instants),
        actor=draw(st.sampled_from(["customer", "system", "worker", f"provider:{order.id}"])),
        call=draw(st.none() | calls),
        activation_state=draw(st.none() | st.sampled_from(ActivationState)),
        status_from=draw(st.none() | st.sampled_from(OrderStatus)),
        status_to=draw(st.none() | st.sampled_from(OrderStatus)),
        message_type=draw(st.none() | st.sampled_from(["log", "alert", "error", "system"])),
        text=draw(st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=300)),
        webhook_type=draw(st.none() | st.sampled_from(["order.created", "order.status_changed"])),
        order_snapshot=draw(st.none() | st.just(order)),
    )
