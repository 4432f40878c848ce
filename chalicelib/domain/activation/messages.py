"""What the activation queue carries: one step of one activation attempt.

An attempt (`attempt_id`) is the customer's first `service_order` and its automatic
retries, or one provider-triggered activation and its retries. `retry_number` counts the
retries already spent on it; the schedule travels with the message.

A `deactivate` message is one step of a withdrawal's deactivation instead
(`deactivation.py`): `attempt_id` is then the deactivation's, and the same queue, worker
and retry schedule carry it. Messages queued before the field existed are activations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInput

Origin = Literal["customer", "provider"]
MessageKind = Literal["activate", "deactivate"]


class ActivationMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MessageKind = "activate"
    order_id: str
    attempt_id: str
    # "customer": a retry of the customer's submission; "provider": the provider asked.
    origin: Origin = "customer"
    activation_date: date | None = None
    retry_number: int = Field(default=0, ge=0)
    # Carried when the wait exceeds the queue's delay cap (domain/queues.py).
    not_before: datetime | None = None


def parse_activation_message(body: str) -> ActivationMessage:
    """The message in a queue body; InvalidInput when it is not one we can ever process."""
    try:
        return ActivationMessage.model_validate_json(body)
    except ValidationError as error:
        # Field names only: the body itself stays out of logs and errors.
        fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in error.errors()})
        raise InvalidInput("not an activation message", details={"fields": fields}) from None
