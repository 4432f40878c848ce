"""Public product information, no session needed: `GET /offers/{offer_id}/summary`, an
offer's contract summary (avtalssammanfattning), and `GET /withdrawal-form`, the standard
withdrawal form of distansavtalslagen's annex (filled in with the offer's provider when
`?offer=` names one).

Both are generated from the catalog on every request: the summary's version is the hash of
what it says (domain/contract_summary.py), so the page a customer prints names the version
their order's agreement keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalice.app import Response

from ..domain.campaigns import asks_for_code
from ..domain.clock import today_in_sweden
from ..domain.contract_summary import ContractSummary, contract_summary
from ..domain.models import LegalIdentity, Offer, PriceTerms, Provider
from ..domain.operator import BROKER
from ..domain.withdrawal_period import WITHDRAWAL_DAYS
from .pages import render_page
from .visit import Visit

# The summary's version as shown: enough of the hash to compare a printout with an order.
VERSION_DIGITS = 12


def minimum_total_sek(price: PriceTerms) -> int:
    """What the customer pays at least over the commitment: the start fee and every month
    of it, the campaign's months at the campaign price."""
    campaign = price.campaign
    campaign_months = min(campaign.months, price.binding_months) if campaign else 0
    campaign_price = campaign.monthly_price_sek if campaign else 0
    regular_months = price.binding_months - campaign_months
    return (
        price.start_fee_sek
        + campaign_months * campaign_price
        + regular_months * price.monthly_price_sek
    )


@dataclass(frozen=True)
class SummaryPage:
    summary: ContractSummary
    version: str
    minimum_total_sek: int
    withdrawal_days: int
    withdrawal_href: str
    broker: LegalIdentity
    # The offer has a campaign for those who type its code: noted, not the price shown.
    campaign_with_code: bool = False


def summary_page(
    offer: Offer, provider: Provider, city_network_name: str, today: date
) -> SummaryPage:
    summary = contract_summary(offer, provider, city_network_name, today)
    return SummaryPage(
        summary=summary,
        version=summary.content_sha256[:VERSION_DIGITS],
        minimum_total_sek=minimum_total_sek(summary.price),
        withdrawal_days=WITHDRAWAL_DAYS,
        withdrawal_href=f"/withdrawal-form?offer={offer.id}",
        broker=BROKER,
        campaign_with_code=asks_for_code(offer, today),
    )


def show_summary(visit: Visit, offer_id: str) -> Response:
    """NotFound (the 404 page) for an unknown offer, as for its order form."""
    catalog = visit.adapters.catalog
    offer = catalog.get_offer(offer_id)
    provider = catalog.get_provider(offer.provider_id)
    city_network = catalog.get_city_network(offer.city_network_id)
    page = summary_page(offer, provider, city_network.name, today_in_sweden(visit.adapters.clock))
    ctx = visit.context(f"/offers/{offer.id}/summary")
    return visit.html(render_page(ctx, "contract_summary.html", page=page))


@dataclass(frozen=True)
class WithdrawalFormPage:
    # None: no offer named; the form then says where the customer finds the provider.
    provider_name: str | None
    trader: LegalIdentity | None
    service_name: str
    summary_href: str | None


def show_withdrawal_form(visit: Visit) -> Response:
    """`?offer=<id>` fills in that offer's provider as the trader; an unknown offer is the
    404 page (a wrong link should not show a form addressed to nobody in particular)."""
    offer_id = visit.query.get("offer")
    page = WithdrawalFormPage(provider_name=None, trader=None, service_name="", summary_href=None)
    if offer_id:
        catalog = visit.adapters.catalog
        offer = catalog.get_offer(offer_id)
        provider = catalog.get_provider(offer.provider_id)
        page = WithdrawalFormPage(
            provider_name=provider.name,
            trader=provider.legal_identity,
            service_name=offer.name,
            summary_href=f"/offers/{offer.id}/summary",
        )
    ctx = visit.context("/withdrawal-form")
    return visit.html(render_page(ctx, "withdrawal_form.html", page=page))
