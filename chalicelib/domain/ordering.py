"""The customer's path through the four scenarios (docs/architecture.md, "The four scenarios").

Each function makes at most the one city-network call its step needs: one `port_status`
for the offers, one `service_deliverable` per chosen offer, one `service_order` per order,
and none at all for a visitor who is not identified.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from .activation.customer import activate_new_order
from .activation.events import call_event
from .citynet import CallResult, DeliverableResult
from .clock import today_in_sweden
from .errors import CityNetworkUnavailable, NotFound
from .ids import new_attempt_id, new_event_id, new_order_id
from .models import (
    Activation,
    ActivationState,
    Agreement,
    Category,
    CityNetwork,
    Customer,
    Deliverability,
    IdentifiedBy,
    Offer,
    Order,
    OrderEvent,
    OrderEventKind,
    PortStatus,
    Service,
)
from .ports import Deps
from .requested_dates import checked_requested_date
from .texts import N_, in_both
from .withdrawal_period import start_date

logger = logging.getLogger(__name__)


class Access(BaseModel):
    """An identified outlet: which city network, which access, and how we know it (a
    verified bounce or portal hand-over)."""

    model_config = ConfigDict(frozen=True)

    city_network_id: str
    access_id: str
    identified_by: IdentifiedBy = "bounce"


class OffersView(BaseModel):
    model_config = ConfigDict(frozen=True)

    city_network: CityNetwork
    by_category: dict[Category, list[Offer]]
    port: PortStatus | None = None
    # True when port_status failed transiently: offers are shown, the port is unknown.
    port_unknown: bool = False
    port_call: CallResult | None = Field(default=None, exclude=True)


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
    # The customer's consent to take the service over from the provider that has it.
    forced_takeover: bool = False


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


# What a deliverability "no" means for the customer, by the city network's code (message ids
# for the gettext catalogs; domain/texts.py gives both languages).
NOT_DELIVERABLE_TEXTS: dict[str, str] = {
    "404": N_(
        "The city network does not recognise your outlet. Contact your landlord or the city "
        "network to have it registered, then try again."
    ),
    "426": N_(
        "This service needs the connection to your outlet to be upgraded. Ask the city "
        "network about an upgrade, or choose another service."
    ),
    "428": N_(
        "The equipment at your outlet (the fibre box) is not sufficient for this service and "
        "must be replaced. Contact the city network for new equipment, or choose another "
        "service."
    ),
    # ON-API: another provider has the service, and the network would let it be taken over.
    "forced_takeover_required": N_(
        "Another service provider delivers this service to your outlet now. If you are "
        "moving in, you can take over the outlet: confirm it in the order form."
    ),
}
NOT_DELIVERABLE_OTHERWISE = N_(
    "This service cannot be delivered to your outlet right now. Please choose another one."
)


def not_deliverable(result: DeliverableResult) -> Deliverability:
    """The customer's explanation of a deliverability "no", in Swedish and English."""
    code = result.code or "unknown"
    if code in NOT_DELIVERABLE_TEXTS:
        swedish, english = in_both(NOT_DELIVERABLE_TEXTS[code])
    elif code.startswith("5") and result.message:
        # A 5xx "no" carries the city network's own message for the customer.
        swedish, english = result.message, result.message
    else:
        swedish, english = in_both(NOT_DELIVERABLE_OTHERWISE)
    return Deliverability(
        deliverable=False,
        reason_code=code,
        customer_message=swedish,
        customer_message_en=english,
    )


def offer_for(offer_id: str, city_network_id: str | None, deps: Deps) -> Offer:
    """The offer as a visitor of `city_network_id` may order it (any network's when None).
    An offer of another network is, for this visitor, an offer that does not exist."""
    offer = deps.catalog.get_offer(offer_id)
    if city_network_id is not None and offer.city_network_id != city_network_id:
        raise NotFound(f"offer {offer_id} is not sold in this city network")
    if offer.retired:
        raise NotFound(f"offer {offer_id} takes no new orders")
    return offer


def check_deliverable(
    offer_id: str, access: Access, deps: Deps
) -> tuple[Deliverability, DeliverableResult]:
    """Scenario 3's question: one `service_deliverable`. Transient → CityNetworkUnavailable."""
    offer = offer_for(offer_id, access.city_network_id, deps)
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
        return not_deliverable(result), result
    raise CityNetworkUnavailable(
        "the city network did not answer whether the service can be delivered",
        details={"code": result.code},
    )


def first_activation_state(access: Access | None) -> ActivationState:
    """`manual` without an outlet (scenario 4), `awaiting_provider` for an outlet the
    customer chose by address (the provider checks the customer, then asks for the
    activation), `pending` for one the city network identified (ordered at once)."""
    if access is None:
        return ActivationState.MANUAL
    if access.identified_by == "address":
        return ActivationState.AWAITING_PROVIDER
    return ActivationState.PENDING


def place_order(
    request: OrderRequest,
    access: Access | None,
    deps: Deps,
    *,
    order_id: str | None = None,
    prior_calls: Sequence[CallResult] = (),
    receipt_token_hash: str | None = None,
    agreement: Agreement | None = None,
) -> Order:
    """Store the order first, then (identified only) order the activation once.

    Stored before the call so no city-network fault can lose it: `pending` while we do not
    know, `manual` for a customer we could not identify (no call at all, scenario 4).
    `prior_calls` are this visit's earlier calls (e.g. service_deliverable) for the trail.
    With the customer's `agreement` (the review step) the start date follows the right of
    withdrawal: inside the 14 days only on their explicit request, day 15 otherwise.
    """
    now = deps.clock.now()
    today = today_in_sweden(deps.clock)
    city_network_id = access.city_network_id if access else request.city_network_id
    offer = offer_for(request.offer_id, city_network_id, deps)
    requested = checked_requested_date(request.requested_date, today, field="requested_date")
    if agreement is not None:
        requested = start_date(requested, today, early_start=agreement.early_start_requested)

    order = Order(
        id=order_id or new_order_id(now),
        provider_id=offer.provider_id,
        offer_id=offer.id,
        city_network_id=offer.city_network_id,
        access_id=access.access_id if access else None,
        identified=access is not None,
        identified_by=access.identified_by if access else None,
        service=Service(uid=offer.service_uid, category=offer.category, name=offer.name),
        customer=request.customer,
        details=dict(request.details),
        extra=dict(request.extra),
        requested_date=requested,
        forced_takeover=request.forced_takeover,
        activation=Activation(
            state=first_activation_state(access),
            requested_date=requested,
            attempt_id=new_attempt_id() if access else None,
            updated_at=now,
        ),
        created_at=now,
        updated_at=now,
        receipt_token_hash=receipt_token_hash,
        agreement=agreement,
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
        activation_intent=order.activation.state == ActivationState.PENDING,
    )
    trail = [call_event(order, call, now, "customer") for call in prior_calls]
    deps.orders.create(order, [*trail, created])
    logger.info(
        "order stored",
        extra={"order_id": order.id, "activation_state": order.activation.state.value},
    )
    if order.activation.state != ActivationState.PENDING:
        return order
    return activate_new_order(order, deps)
