"""Which campaign price an order gets: one open to everyone, or one whose code the
customer typed, in either case only inside its validity dates (Swedish days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .models import Campaign, Offer, PriceTerms


def normalised_code(code: str | None) -> str | None:
    """What the customer typed, as codes are stored (upper case, no surrounding space)."""
    cleaned = (code or "").strip().upper()
    return cleaned or None


def _in_force(campaign: Campaign, today: date) -> bool:
    starts, ends = campaign.valid_from, campaign.valid_to
    return (starts is None or starts <= today) and (ends is None or today <= ends)


def applicable_campaign(offer: Offer, code: str | None, today: date) -> Campaign | None:
    """The offer's campaign if this order gets it: in force today, and either open to all
    or asked for with its code."""
    campaign = offer.campaign
    if campaign is None or not _in_force(campaign, today):
        return None
    if campaign.code is not None and campaign.code != normalised_code(code):
        return None
    return campaign


def code_gives_campaign(offer: Offer, code: str | None, today: date) -> bool:
    """A typed code that opens the offer's campaign today (False for no code or a wrong one)."""
    wanted = normalised_code(code)
    return wanted is not None and applicable_campaign(offer, wanted, today) is not None


def price_terms_for(offer: Offer, code: str | None, today: date) -> PriceTerms:
    """The price the customer is shown and agrees to: the offer's terms with the campaign
    only when this order gets it."""
    return offer.price_terms().model_copy(
        update={"campaign": applicable_campaign(offer, code, today)}
    )


def asks_for_code(offer: Offer, today: date) -> bool:
    """The order form asks for a campaign code: the offer's campaign has one and is in
    force today."""
    campaign = offer.campaign
    return campaign is not None and campaign.code is not None and _in_force(campaign, today)


@dataclass(frozen=True)
class PublicPrice:
    """The price an offer is shown with to everyone: never a campaign that needs a code
    (`with_code` then says there is one), never one outside its dates."""

    terms: PriceTerms
    with_code: bool


def public_price(offer: Offer, today: date) -> PublicPrice:
    return PublicPrice(price_terms_for(offer, None, today), asks_for_code(offer, today))
