"""What the ON-API 2.6 client returns (docs/protocols/on-api.md).

Every call is a `CallResult` from chalicelib.domain.citynet (method, outcome, code, message,
duration_ms) or a subclass of one; this module adds the results the Direct Activation
shapes do not cover: the services of an access, an ON-API order with its id and state, a
page of order events with the cursor for the next pull, and a page of access rows.
All models are frozen; none holds a credential or a raw body.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ....domain.citynet import CallResult, ServiceOrderResult

# common/dataformats.md, "ID": a-z, A-Z, 0-9, '-' and '.', 1 to 36 characters.
ID_PATTERN = re.compile(r"^[-0-9a-zA-Z.]{1,36}$")

OrderState = Literal["RECEIVED", "IN_PROGRESS", "DONE_SUCCESS", "DONE_FAILED"]
ORDER_STATES: tuple[OrderState, ...] = ("RECEIVED", "IN_PROGRESS", "DONE_SUCCESS", "DONE_FAILED")
FINAL_STATES = frozenset({"DONE_SUCCESS", "DONE_FAILED"})


def is_id(value: str) -> bool:
    """An ON-API ID that is also safe as one path segment (not "." or "..")."""
    return bool(ID_PATTERN.match(value)) and value.strip(".") != ""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- services/{accessId} ------------------------------------------------------------------


class Characteristic(_Frozen):
    """One characteristic the service may be ordered with (services.md)."""

    required: bool = False
    values: tuple[str | bool | int | float, ...] | None = None  # None: any value


class OnApiService(_Frozen):
    """One row of `services`: a service the access can have, and when."""

    service: str
    connection_at: datetime | None = None  # technically deliverable from
    available_at: datetime | None = None  # orderable from; None = unknown ("")
    disconnection_at: datetime | None = None  # no longer available after
    forced_takeover_possible: bool = False
    comments: tuple[str, ...] = ()  # for the end customer
    characteristics: dict[str, Characteristic] = {}

    def required_characteristics(self) -> tuple[str, ...]:
        return tuple(sorted(name for name, c in self.characteristics.items() if c.required))


class ServicesResult(CallResult):
    access_id: str | None = None
    services: tuple[OnApiService, ...] = ()
    skipped: int = 0  # rows that could not be read (left out, counted)
    retry_after_s: int | None = None

    def service(self, name: str) -> OnApiService | None:
        return next((s for s in self.services if s.service == name), None)


# --- orders --------------------------------------------------------------------------------


class OnApiOrder(_Frozen):
    """An order as the city network reports it. `order_id` comes from `orderId`, else the
    last segment of `path`, else of the Location header; None when the reply names none
    (the "service is already active" reply of common/responses.md)."""

    order_id: str | None = None
    path: str | None = None
    operation: str | None = None
    state: OrderState
    message: str | None = None  # why DONE_FAILED; "" becomes None
    access_id: str | None = None
    service: str | None = None
    subscription_id: str | None = None
    sp_reference: str | None = None
    requested_at: datetime | None = None
    expected_completion_at: datetime | None = None
    forced_takeover: bool | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class OrderResult(ServiceOrderResult):
    """POST orders (ACTIVATE, DEACTIVATE) and GET orders/{orderId}.

    `repeated` is True when the city network answered 200 to a POST: the order (or the
    service) already existed, and `order` is that existing one. A POST whose order is
    DONE_FAILED at once is `refused` with the order's message; a GET of a DONE_FAILED order
    is `ok` (the read worked) with `order.state == "DONE_FAILED"`."""

    order: OnApiOrder | None = None
    repeated: bool = False
    retry_after_s: int | None = None

    @property
    def order_id(self) -> str | None:
        return self.order.order_id if self.order is not None else None


class CancelResult(CallResult):
    """DELETE orders/{orderId}: `ok` on 204 (or any 2xx)."""

    retry_after_s: int | None = None


# --- orderevents ---------------------------------------------------------------------------


class OrderEvent(_Frozen):
    event_id: str
    order: OnApiOrder


class OrderEventsResult(CallResult):
    """One pull of `orderevents`. `cursor` is what the next pull sends as `since`: the last
    event id of this page, or the `since` given when the page brought nothing new. Store
    it only after the events are handled."""

    events: tuple[OrderEvent, ...] = ()
    cursor: str | None = None
    skipped: int = 0  # rows that could not be read (their ids still move the cursor)
    retry_after_s: int | None = None


# --- accesses ------------------------------------------------------------------------------


class AccessRow(_Frozen):
    """One access (accesses.md). Only `access_id` is required of a row; the rest is kept
    when readable. An address, not a person: still never logged."""

    access_id: str
    legacy_access_id: str | None = None
    street_name: str | None = None
    street_number: str | None = None
    street_littera: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    premises_type: str | None = None
    mdu_apartment_number: str | None = None  # a string: "0101" must keep its zero
    mdu_distinguisher: str | None = None
    outlet: str | None = None
    population: str | None = None
    price_group: int | None = None
    access_state: str | None = None
    national_address_uuid: str | None = None


class AccessesResult(CallResult):
    """GET accesses. `modified` is False on 304 (nothing changed since `If-Modified-Since`);
    `last_modified` is the header value to send as `If-Modified-Since` next time (kept as
    the city network wrote it, as accesses.md says)."""

    modified: bool = True
    last_modified: str | None = None
    accesses: tuple[AccessRow, ...] = ()
    skipped: int = 0
    retry_after_s: int | None = None
