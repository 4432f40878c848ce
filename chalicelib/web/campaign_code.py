"""The campaign code a customer may type on the order form (issue 13, item 4).

The code is the form's own field, not one of the composed form's answers: it is asked for
only when the offer's campaign has a code (domain/campaigns.py), travels through the
review step as a hidden input like the answers, and is checked again on every POST. A code
that does not open the campaign today is a field error on the form (422, nothing stored):
the customer either corrects it or leaves the field empty and gets the normal price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..domain.campaigns import (
    asks_for_code,
    code_gives_campaign,
    normalised_code,
    price_terms_for,
)
from ..domain.forms import FieldError
from ..domain.models import Offer, PriceTerms
from ..domain.texts import N_

CODE_FIELD = "campaign_code"
# As long as a code may be (models.Campaign.code), with room for surrounding spaces.
MAX_TYPED = 40
LABEL = N_("Campaign code")
WRONG_CODE = N_("The code is not valid for this service today; leave it empty for the normal price")


@dataclass(frozen=True)
class CodeAnswer:
    """What the customer typed (as typed, for the form) and what it gives."""

    typed: str
    code: str | None  # normalised; None when nothing was typed
    price: PriceTerms
    error: FieldError | None = None

    @property
    def campaign_code(self) -> str | None:
        """The code to show and keep: only one that gave the campaign."""
        return self.code if self.error is None and self.price.campaign is not None else None


def typed_code(fields: Mapping[str, list[str]]) -> str:
    values = fields.get(CODE_FIELD) or []
    return values[0][:MAX_TYPED] if len(values) == 1 else ""


def code_answer(offer: Offer, fields: Mapping[str, list[str]], today: date) -> CodeAnswer:
    typed = typed_code(fields)
    code = normalised_code(typed)
    # A code for an offer that asks for none (its campaign is open to all, or there is
    # none) is as wrong as a mistyped one: it must not name a campaign it did not open.
    if code is not None and not (
        asks_for_code(offer, today) and code_gives_campaign(offer, code, today)
    ):
        return CodeAnswer(
            typed, code, price_terms_for(offer, None, today), FieldError.of(WRONG_CODE)
        )
    return CodeAnswer(typed, code, price_terms_for(offer, code, today))
