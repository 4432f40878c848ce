"""`GET /address` and `GET /address/offers`: the address search for a visitor we could not
identify, in a city network that lists its accesses (ON-API).

The search reads our directory of the network's accesses (domain/accesses.py), never the
network. Each match links to its offers with the choice signed for this session
(address_choice.py); the offers page checks the choice against the directory again and
asks the network what it can deliver there (`service_deliverable`, one call per service).
What the visitor typed is never logged.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from chalice.app import Response

from ..domain.accesses import search_accesses
from ..domain.address_orders import offers_at_address
from ..domain.addresses import MAX_QUERY_CHARS
from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from ..domain.models import ON_API, CityNetwork
from .address_choice import PARAMETER, ChosenAccess, choice_token, read_choice_token
from .address_pages import (
    AddressOffersPage,
    AddressResult,
    ResultsPage,
    address_gone_page,
    address_offers_page,
    offer_card,
    results_page,
)
from .offers import provider_names
from .visit import Visit


def searchable_network(visit: Visit, city_network_id: str | None) -> CityNetwork:
    """The city network named, if it lists its accesses; NotFound otherwise."""
    if not city_network_id:
        raise NotFound("no city network named for the address search")
    city_network = visit.adapters.catalog.get_city_network(city_network_id)
    if city_network.protocol != ON_API:
        raise NotFound("this city network has no address search")
    return city_network


def search_href(city_network_id: str) -> str:
    return "/address?" + urlencode({"city_network": city_network_id})


def offers_href(token: str) -> str:
    return f"/address/offers?{PARAMETER}={quote(token)}"


def order_href(offer_id: str, token: str) -> str:
    return f"/address/order/{quote(offer_id)}?{PARAMETER}={quote(token)}"


def search(visit: Visit) -> Response:
    city_network = searchable_network(visit, visit.query.get("city_network"))
    typed = " ".join((visit.query.get("q") or "").split())[:MAX_QUERY_CHARS]
    deps = visit.adapters
    session = visit.ensure_session()
    results: list[AddressResult] = []
    unreadable = more = False
    if typed:
        found = search_accesses(city_network.id, typed, deps)
        unreadable, more = found.unreadable, found.more
        for access in found.matches:
            token = choice_token(
                deps.signing_key, session, city_network.id, access.access_id, visit.now_epoch
            )
            results.append(AddressResult(access, offers_href(token)))
    page = ResultsPage(
        city_network_id=city_network.id,
        city_network_name=city_network.name,
        typed=typed,
        results=results,
        unreadable=unreadable,
        more=more,
    )
    return visit.html(results_page(visit.context("/address"), page))


def chosen(visit: Visit, token: str | None) -> ChosenAccess | None:
    """The choice `token` names, if this session was given it and it has not expired."""
    return read_choice_token(visit.adapters.signing_key, visit.session, token, visit.now_epoch)


def gone(visit: Visit, city_network_id: str | None, status: int = 404) -> Response:
    """The choice does not hold (any more): search again."""
    back = search_href(city_network_id) if city_network_id else "/offers"
    return visit.html(address_gone_page(visit.context(), back), status=status)


def show_offers(visit: Visit) -> Response:
    token = visit.query.get(PARAMETER)
    choice = chosen(visit, token)
    if choice is None or token is None:
        return gone(visit, None)
    deps = visit.adapters
    try:
        view = offers_at_address(choice.city_network_id, choice.access_id, deps)
    except NotFound:
        return gone(visit, choice.city_network_id)
    ctx = visit.context("/address/offers")
    names = provider_names(
        deps.catalog, (o.offer.provider_id for group in view.by_category.values() for o in group)
    )
    groups = [
        (
            category.value,
            [
                offer_card(
                    ctx,
                    item.offer,
                    names[item.offer.provider_id],
                    order_href(item.offer.id, token),
                    item.answer,
                    takeover=item.takeover,
                    today=today_in_sweden(deps.clock),
                )
                for item in items
            ],
        )
        for category, items in view.by_category.items()
    ]
    page = AddressOffersPage(
        city_network_name=view.city_network.name,
        access=view.access,
        groups=groups,
        search_href=search_href(choice.city_network_id),
    )
    return visit.html(address_offers_page(ctx, page))
