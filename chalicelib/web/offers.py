"""`GET /offers`: what the visitor can order.

Identified: one `port_status` per session; its answer is kept in the session so a reload
makes no call. Unidentified: no city-network call at all (scenario 4); the visitor picks the
city network when there is more than one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from chalice.app import Response

from ..domain import ordering
from ..domain.campaigns import public_price
from ..domain.clock import today_in_sweden
from ..domain.errors import NotFound
from ..domain.models import ON_API, Category, Offer
from ..domain.ordering import Access, OffersView
from ..domain.ports import Catalog
from .pages import OfferCard, OffersPage, choose_network_page, offers_page
from .session import CachedCall, PortAnswer, Session, clip, csrf_token
from .visit import Visit


def provider_names(catalog: Catalog, provider_ids: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for provider_id in set(provider_ids):
        try:
            names[provider_id] = catalog.get_provider(provider_id).name
        except NotFound:
            names[provider_id] = provider_id
    return names


def _groups(
    catalog: Catalog,
    by_category: Mapping[Category, list[Offer]],
    active_uids: Iterable[str],
    today: date,
) -> list[tuple[str, list[OfferCard]]]:
    active = set(active_uids)
    names = provider_names(
        catalog, (o.provider_id for offers in by_category.values() for o in offers)
    )
    return [
        (
            category.value,
            [
                OfferCard(o, names[o.provider_id], o.service_uid in active, public_price(o, today))
                for o in offers
            ],
        )
        for category, offers in by_category.items()
    ]


def port_answer(view: OffersView) -> PortAnswer:
    """What the session keeps of one port_status: little, to stay well under 4 KB."""
    port = view.port
    return PortAnswer(
        message=clip(port.message) if port else None,
        service_uids=tuple(s.service_uid[:100] for s in port.services[:20]) if port else (),
        unknown=view.port_unknown,
        call=CachedCall.of(view.port_call) if view.port_call is not None else None,
    )


def _identified(visit: Visit, session: Session) -> Response:
    assert session.identified is not None
    who = session.identified
    deps = visit.adapters
    port = session.port
    if port is None:
        view = ordering.offers_on_access(
            Access(city_network_id=who.city_network_id, access_id=who.access_id), deps
        )
        port = port_answer(view)
        visit.keep(replace(session, port=port))
    else:
        view = ordering.offers_in_city_network(who.city_network_id, deps)
    page = OffersPage(
        city_network_name=view.city_network.name,
        identified=True,
        groups=_groups(
            deps.catalog, view.by_category, port.service_uids, today_in_sweden(deps.clock)
        ),
        port_message=port.message,
        port_unknown=port.unknown,
        csrf_token=csrf_token(session, deps.signing_key),
    )
    return visit.html(offers_page(visit.context("/offers"), page))


def show_offers(visit: Visit) -> Response:
    session = visit.session
    if session is not None and session.identified is not None:
        return _identified(visit, session)
    deps = visit.adapters
    chosen = visit.query.get("city_network")
    if chosen:
        city_network_id = deps.catalog.get_city_network(chosen).id
    else:
        networks = sorted(deps.catalog.list_city_networks(), key=lambda n: n.name)
        if len(networks) != 1:
            return visit.html(choose_network_page(visit.context("/offers"), networks))
        city_network_id = networks[0].id
    view = ordering.offers_in_city_network(city_network_id, deps)
    page = OffersPage(
        city_network_name=view.city_network.name,
        identified=False,
        groups=_groups(deps.catalog, view.by_category, (), today_in_sweden(deps.clock)),
        address_search=city_network_id if view.city_network.protocol == ON_API else None,
    )
    return visit.html(offers_page(visit.context("/offers"), page))
