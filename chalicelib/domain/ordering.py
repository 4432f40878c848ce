"""The customer's path through the four scenarios (DESIGN.md, "The four scenarios").

Each function makes at most the one city-network call its step needs: one `port_status`
for the offers, one `service_deliverable` per chosen offer, one `service_order` per order,
and none at all for a visitor who is not identified.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from .activation import (
    activation_changed_event,
    call_event,
    read_service_order_reply,
    retry_delay,
)
from .citynet import CallResult, DeliverableResult
from .clock import today_in_sweden
from .errors import CityNetworkUnavailable, ConcurrentModification, NotFound
from .ids import new_attempt_id, new_event_id, new_order_id
from .models import (
    Activation,
    ActivationState,
    Category,
    CityNetwork,
    Customer,
    Deliverability,
    Offer,
    Order,
    OrderEvent,
    OrderEventKind,
    PortStatus,
    Service,
)
from .ports import ActivationMessage, Deps
from .requested_dates import checked_requested_date

logger = logging.getLogger(__name__)


class Access(BaseModel):
    """An identified outlet: which city network, which access (from a verified bounce)."""

    model_config = ConfigDict(frozen=True)

    city_network_id: str
    access_id: str


class OffersView(BaseModel):
    model_config = ConfigDict(frozen=True)

    city_network: CityNetwork
    by_category: dict[Category, list[Offer]]
    port: PortStatus | None = None
    # True when port_status failed transiently: offers are shown, the port is unknown.
    port_unknown: bool = False
    port_call: CallResult | None = Field(default=None, exclude=True)

    def offer_is_active(self, offer: Offer) -> bool:
        return self.port is not None and self.port.has_service(offer.service_uid)


class OrderRequest(BaseModel):
    """The validated answers of the composed form for one offer."""

    model_config = ConfigDict(frozen=True)

    offer_id: str
    customer: Customer
    details: dict[str, object] = {}
    extra: dict[str, object] = {}
    requested_date: date | None = None
    # For an unidentified customer: the city network they picked.
    city_network_id: str | None = None


def _group(offers: Sequence[Offer]) -> dict[Category, list[Offer]]:
    grouped: dict[Category, list[Offer]] = {category: [] for category in Category}
    for offer in sorted(offers, key=lambda o: (o.monthly_price_sek, o.name)):
        grouped[offer.category].append(offer)
    return {category: items for category, items in grouped.items() if items}


def offers_in_city_network(city_network_id: str, deps: Deps) -> OffersView:
    """Scenario 4: the offers of every provider in a network, without any city-network call."""
    city_network = deps.catalog.get_city_network(city_network_id)
    return OffersView(
        city_network=city_network,
        by_category=_group(deps.catalog.offers_in_city_network(city_network_id)),
    )


def offers_on_access(access: Access, deps: Deps) -> OffersView:
    """The offers for an identified outlet, with the port's state: one `port_status`."""
    city_network = deps.catalog.get_city_network(access.city_network_id)
    result = deps.city_networks.for_city_network(city_network.id).port_status(access.access_id)
    logger.info(
        "port_status %s in %s ms",
        result.outcome,
        result.duration_ms,
        extra={"city_network_id": city_network.id, "code": result.code},
    )
    return OffersView(
        city_network=city_network,
        by_category=_group(deps.catalog.offers_in_city_network(city_network.id)),
        port=result.port if result.outcome == "ok" else None,
        port_unknown=result.outcome != "ok",
        port_call=result,
    )


# What a refusal means for the customer, in plain Swedish (and English), by code.
_REFUSAL_TEXTS: dict[str, tuple[str, str]] = {
    "404": (
        "Stadsnätet känner inte igen ditt uttag. Kontakta din fastighetsägare eller "
        "stadsnätet så att uttaget kan registreras, och försök sedan igen.",
        "The city network does not recognise your outlet. Contact your landlord or the city "
        "network to have it registered, then try again.",
    ),
    "426": (
        "Tjänsten kräver att anslutningen till ditt uttag uppgraderas. Kontakta stadsnätet "
        "och fråga om en uppgradering, eller välj en annan tjänst.",
        "This service needs the connection to your outlet to be upgraded. Ask the city "
        "network about an upgrade, or choose another service.",
    ),
    "428": (
        "Utrustningen i ditt uttag (fiberboxen) räcker inte för tjänsten och behöver bytas. "
        "Kontakta stadsnätet för att få ny utrustning, eller välj en annan tjänst.",
        "The equipment at your outlet (the fibre box) is not sufficient for this service and "
        "must be replaced. Contact the city network for new equipment, or choose another "
        "service.",
    ),
}
_GENERIC_REFUSAL = (
    "Tjänsten kan inte levereras till ditt uttag just nu. Välj gärna en annan tjänst.",
    "This service cannot be delivered to your outlet right now. Please choose another one.",
)


def describe_refusal(result: DeliverableResult) -> Deliverability:
    code = result.code or "unknown"
    if code in _REFUSAL_TEXTS:
        swedish, english = _REFUSAL_TEXTS[code]
    elif code.startswith("5") and result.message:
        # A 5xx refusal carries the city network's own message for the customer.
        swedish, english = result.message, result.message
    else:
        swedish, english = _GENERIC_REFUSAL
    return Deliverability(
        deliverable=False,
        reason_code=code,
        customer_message=swedish,
        customer_message_en=english,
    )


def _offer_in(offer_id: str, city_network_id: str, deps: Deps) -> Offer:
    offer = deps.catalog.get_offer(offer_id)
    if offer.city_network_id != city_network_id:
        # An offer of another network is, for this customer, an offer that does not exist.
        raise NotFound(f"offer {offer_id} is not sold in this city network")
    return offer


def check_deliverable(
    offer_id: str, access: Access, deps: Deps
) -> tuple[Deliverability, DeliverableResult]:
    """Scenario 3's question: one `service_deliverable`. Transient → CityNetworkUnavailable."""
    offer = _offer_in(offer_id, access.city_network_id, deps)
    client = deps.city_networks.for_city_network(access.city_network_id)
    result = client.service_deliverable(access.access_id, offer.service_uid)
    logger.info(
        "service_deliverable %s in %s ms",
        result.outcome,
        result.duration_ms,
        extra={"city_network_id": access.city_network_id, "code": result.code},
    )
    if result.outcome == "ok":
        return Deliverability.yes(), result
    if result.outcome == "refused":
        return describe_refusal(result), result
    raise CityNetworkUnavailable(
        "the city network did not answer whether the service can be delivered",
        details={"code": result.code},
    )


def place_order(
    request: OrderRequest,
    access: Access | None,
    deps: Deps,
    *,
    order_id: str | None = None,
    prior_calls: Sequence[CallResult] = (),
    receipt_token_hash: str | None = None,
) -> Order:
    """Store the order first, then (identified only) order the activation once.

    Stored before the call so no city-network fault can lose it: `pending` while we do not
    know, `manual` for a customer we could not identify (no call at all, scenario 4).
    `prior_calls` are this visit's earlier calls (e.g. service_deliverable) for the trail.
    """
    now = deps.clock.now()
    today = today_in_sweden(deps.clock)
    if access is not None:
        offer = _offer_in(request.offer_id, access.city_network_id, deps)
    elif request.city_network_id is not None:
        offer = _offer_in(request.offer_id, request.city_network_id, deps)
    else:
        offer = deps.catalog.get_offer(request.offer_id)
    requested = checked_requested_date(request.requested_date, today, field="requested_date")

    order = Order(
        id=order_id or new_order_id(now),
        provider_id=offer.provider_id,
        offer_id=offer.id,
        city_network_id=offer.city_network_id,
        access_id=access.access_id if access else None,
        identified=access is not None,
        service=Service(uid=offer.service_uid, category=offer.category, name=offer.name),
        customer=request.customer,
        details=dict(request.details),
        extra=dict(request.extra),
        requested_date=requested,
        activation=Activation(
            state=ActivationState.PENDING if access else ActivationState.MANUAL,
            requested_date=requested,
            attempt_id=new_attempt_id() if access else None,
            updated_at=now,
        ),
        created_at=now,
        updated_at=now,
        receipt_token_hash=receipt_token_hash,
    )
    created = OrderEvent(
        id=new_event_id(now),
        order_id=order.id,
        provider_id=order.provider_id,
        kind=OrderEventKind.ORDER_CREATED,
        at=now,
        actor="customer",
        activation_state=order.activation.state,
        webhook_type="order.created",
        order_snapshot=order,
    )
    trail = [call_event(order, call, now, "customer") for call in prior_calls]
    deps.orders.create(order, [*trail, created])
    logger.info(
        "order stored",
        extra={"order_id": order.id, "activation_state": order.activation.state.value},
    )
    if access is None:
        return order
    return _order_activation(order, access, requested or today, deps)


def _order_activation(order: Order, access: Access, activation_date: date, deps: Deps) -> Order:
    client = deps.city_networks.for_city_network(access.city_network_id)
    result = client.service_order(
        access.access_id, order.service.uid, activation_date, origin="customer", order_ref=order.id
    )
    logger.info(
        "service_order %s in %s ms",
        result.outcome,
        result.duration_ms,
        extra={"order_id": order.id, "code": result.code},
    )
    at = deps.clock.now()
    outcome = read_service_order_reply(
        order.activation,
        result,
        requested=activation_date,
        today=today_in_sweden(deps.clock),
        now=at,
    )
    try:
        recorded = _record_activation(order, outcome.activation, result, deps)
    except Exception:
        # The call may have activated the service but we could not record it. The worker
        # reconciles through port_status before ordering again, so hand it the order.
        logger.exception("could not record the activation reply", extra={"order_id": order.id})
        _enqueue_retry(order, activation_date, retries_spent=0, deps=deps)
        return order
    if outcome.transient:
        _enqueue_retry(recorded, activation_date, retries_spent=0, deps=deps)
    return recorded


def _record_activation(
    order: Order, activation: Activation, result: CallResult, deps: Deps
) -> Order:
    """Write the new activation with its call event; re-read and re-apply on a lost race
    (a provider may change the status meanwhile; the activation is ours to set)."""
    current = order
    for _ in range(3):
        at = activation.updated_at
        updated = current.next_version(activation=activation.model_dump(), updated_at=at)
        events = [call_event(current, result, at, "system")]
        if updated.activation.state != current.activation.state:
            events.append(activation_changed_event(updated, at, "system"))
        try:
            deps.orders.replace(updated, expected_version=current.version, events=events)
            return updated
        except ConcurrentModification:
            current = deps.orders.get(order.id)
    raise ConcurrentModification(f"order {order.id} kept changing while recording activation")


def _enqueue_retry(order: Order, activation_date: date, *, retries_spent: int, deps: Deps) -> None:
    delay = retry_delay(retries_spent) or 0
    message = ActivationMessage(
        order_id=order.id,
        attempt_id=order.activation.attempt_id or new_attempt_id(),
        origin="customer",
        activation_date=activation_date,
        retry_number=retries_spent + 1,
    )
    try:
        deps.activation_queue.send(message, delay_seconds=delay)
    except Exception:
        # The order stays stored as `pending`, visible to its provider; an operator must
        # look at this error (it is logged with the order id).
        logger.exception("could not queue the activation retry", extra={"order_id": order.id})
