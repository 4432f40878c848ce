"""Ordering for an access the visitor chose in the address search (docs/architecture.md,
"Address search").

The visitor was not identified by the city network: they found their address in the
network's access list (domain/accesses.py) and chose one access. Each step checks the
choice against the directory again (an access the network no longer lists cannot be
ordered), the offers show what `service_deliverable` says of that access, and the order is
stored `identified_by` "address" with activation `awaiting_provider`: no city-network call
is made at ordering. The provider checks the customer (are they at that address?) and then
asks for the activation, which runs as a provider's request does (scenario 2).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from .accesses import listed_access
from .addresses import ListedAccess
from .citynet import CallResult, DeliverableResult
from .models import Agreement, Category, CityNetwork, Deliverability, Offer, Order
from .ordering import Access, OrderRequest, not_deliverable, place_order
from .ports import Deps
from .takeover import takeover_possible

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfferAtAddress:
    offer: Offer
    # What service_deliverable said; None when the city network did not answer just now
    # (the offer may still be chosen: it is checked again before the form).
    answer: Deliverability | None

    @property
    def takeover(self) -> bool:
        return self.answer is not None and takeover_possible(self.answer)


@dataclass(frozen=True)
class AddressOffers:
    city_network: CityNetwork
    access: ListedAccess
    by_category: dict[Category, list[OfferAtAddress]]


def chosen_access(city_network_id: str, access_id: str, deps: Deps) -> tuple[Access, ListedAccess]:
    """The chosen access as ordering names it, and its directory entry; NotFound when the
    network does not list it (any more)."""
    listed = listed_access(city_network_id, access_id, deps)
    access = Access(city_network_id=city_network_id, access_id=access_id, identified_by="address")
    return access, listed


def offers_at_address(city_network_id: str, access_id: str, deps: Deps) -> AddressOffers:
    """Every offer of the network with what `service_deliverable` says of the chosen access:
    one call per service, whichever providers sell it."""
    access, listed = chosen_access(city_network_id, access_id, deps)
    city_network = deps.catalog.get_city_network(city_network_id)
    offers = sorted(
        deps.catalog.offers_in_city_network(city_network_id),
        key=lambda o: (o.monthly_price_sek, o.name),
    )
    client = deps.city_networks.for_city_network(city_network_id)
    answers: dict[str, Deliverability | None] = {}
    for uid in dict.fromkeys(offer.service_uid for offer in offers):
        result = client.service_deliverable(access.access_id, uid)
        answers[uid] = _answer(result)
    logger.info(
        "deliverability of the chosen access read",
        extra={"city_network_id": city_network_id, "services": len(answers)},
    )
    grouped: dict[Category, list[OfferAtAddress]] = {}
    for offer in offers:
        grouped.setdefault(offer.category, []).append(
            OfferAtAddress(offer, answers[offer.service_uid])
        )
    by_category = {c: grouped[c] for c in Category if c in grouped}
    return AddressOffers(city_network=city_network, access=listed, by_category=by_category)


def _answer(result: DeliverableResult) -> Deliverability | None:
    if result.outcome == "ok":
        return Deliverability.yes()
    if result.outcome == "refused":
        return not_deliverable(result)
    return None


def place_address_order(
    request: OrderRequest,
    access: Access,
    deps: Deps,
    *,
    order_id: str | None = None,
    prior_calls: Sequence[CallResult] = (),
    receipt_token_hash: str | None = None,
    agreement: Agreement | None = None,
) -> Order:
    """The order for a chosen access, once the directory still lists it: stored
    `awaiting_provider`, nothing asked of the city network."""
    checked, _ = chosen_access(access.city_network_id, access.access_id, deps)
    return place_order(
        request,
        checked,
        deps,
        order_id=order_id,
        prior_calls=prior_calls,
        receipt_token_hash=receipt_token_hash,
        agreement=agreement,
    )
