"""The address search's pages: which template, with which data (as pages.py does for the
others). No HTML here, no store and no city network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..domain.addresses import ListedAccess
from ..domain.campaigns import PublicPrice, public_price
from ..domain.models import Deliverability, Offer
from .i18n import pick
from .pages import PageContext, render_page


@dataclass(frozen=True)
class AddressResult:
    access: ListedAccess
    href: str  # to this access's offers, with the signed choice


@dataclass(frozen=True)
class ResultsPage:
    city_network_id: str
    city_network_name: str
    typed: str
    results: Sequence[AddressResult]
    # No street could be read from what was typed.
    unreadable: bool = False
    # More matched than are shown: the visitor should type more of the address.
    more: bool = False


def results_page(ctx: PageContext, page: ResultsPage) -> str:
    return render_page(ctx, "address_results.html", page=page)


@dataclass(frozen=True)
class AddressOfferCard:
    offer: Offer
    provider_name: str
    href: str  # the order form for this access
    price: PublicPrice  # the price shown to everyone (domain/campaigns.py)
    # deliverable, not (with `reason`), takeover (another provider has it), or unknown.
    state: str
    reason: str = ""


def offer_card(
    ctx: PageContext,
    offer: Offer,
    provider_name: str,
    href: str,
    answer: Deliverability | None,
    *,
    takeover: bool,
    today: date,
) -> AddressOfferCard:
    shown = public_price(offer, today)
    if answer is None:
        return AddressOfferCard(offer, provider_name, href, shown, "unknown")
    if answer.deliverable:
        return AddressOfferCard(offer, provider_name, href, shown, "deliverable")
    if takeover:
        return AddressOfferCard(offer, provider_name, href, shown, "takeover")
    reason = pick(
        ctx.language,
        answer.customer_message or "",
        answer.customer_message_en or answer.customer_message or "",
    )
    return AddressOfferCard(offer, provider_name, href, shown, "not_deliverable", reason)


@dataclass(frozen=True)
class AddressOffersPage:
    city_network_name: str
    access: ListedAccess
    groups: Sequence[tuple[str, Sequence[AddressOfferCard]]]
    search_href: str  # back to the search


def address_offers_page(ctx: PageContext, page: AddressOffersPage) -> str:
    return render_page(ctx, "address_offers.html", page=page)


def address_gone_page(ctx: PageContext, search_href: str) -> str:
    """A choice that no longer holds: its token expired or was not ours, or the city
    network no longer lists the access."""
    return render_page(ctx, "address_gone.html", search_href=search_href)
