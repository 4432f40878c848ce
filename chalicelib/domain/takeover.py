"""Occupied outlets: when another provider has the service and the city network says it may
be taken over (ON-API's forcedTakeoverPossible, reported by `service_deliverable` as
`forced_takeover_required`), the customer is asked whether they take the outlet over
(moving in). With their consent the service is deliverable and the order says so to the
network (`forcedTakeover`); without it, it is not, and the customer is told why."""

from __future__ import annotations

from .models import Deliverability

FORCED_TAKEOVER_REQUIRED = "forced_takeover_required"


def takeover_possible(answer: Deliverability) -> bool:
    """The only reason the service cannot be delivered is a takeover the customer may
    consent to."""
    return not answer.deliverable and answer.reason_code == FORCED_TAKEOVER_REQUIRED


def with_consent(answer: Deliverability, consent: bool) -> Deliverability:
    """The deliverability once the customer has answered the takeover question."""
    return Deliverability.yes() if consent and takeover_possible(answer) else answer
