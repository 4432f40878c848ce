"""What a customer mail says: its kinds, the facts handed to the renderer (Jinja2 templates
and the gettext catalogs live outside the domain) and the mail composed from them. Which
events give a mail, and sending it once, is domain/notifications.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .errors import NotFound
from .models import (
    Activation,
    Agreement,
    LegalIdentity,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from .operator import BROKER
from .ports import Catalog
from .withdrawal_period import last_day_to_withdraw, ordered_on

Language = Literal["sv", "en"]


class MailKind(StrEnum):
    CONFIRMATION = "confirmation"
    ACTIVATION_UPDATE = "activation_update"
    WITHDRAWAL = "withdrawal"
    CANCELLATION = "cancellation"


class Mail(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Personal data: kept out of every repr (and so out of log lines).
    to: tuple[str, ...] = Field(repr=False)
    subject: str
    text: str = Field(repr=False)
    html: str = Field(repr=False)
    language: Language


class CatalogDeps(Protocol):
    """What composing a mail reads: the provider's name and identity."""

    @property
    def catalog(self) -> Catalog: ...


@dataclass(frozen=True)
class MailFacts:
    """Everything a mail says, for the renderer (no personal data but the name)."""

    kind: MailKind
    language: Language
    order_id: str
    customer_name: str
    service_name: str
    provider_name: str
    provider: LegalIdentity | None
    broker: LegalIdentity
    ordered_on: date
    last_day_to_withdraw: date
    activation: Activation
    requested_date: date | None
    agreement: Agreement | None
    tracking_url: str
    status_to: OrderStatus | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailComposer(Protocol):
    """What the worker brings: the templates and the customer's link to the order."""

    def render(self, facts: MailFacts) -> RenderedMail: ...

    def tracking_url(self, order_id: str) -> str: ...


def language_of(order: Order) -> Language:
    return order.agreement.language if order.agreement is not None else "sv"


def mail_facts(
    kind: MailKind, order: Order, event: OrderEvent, deps: CatalogDeps, tracking_url: str
) -> MailFacts:
    try:
        provider = deps.catalog.get_provider(order.provider_id)
        provider_name, identity = provider.name, provider.legal_identity
    except NotFound:
        provider_name, identity = order.provider_id, None
    day = ordered_on(order.created_at)
    return MailFacts(
        kind=kind,
        language=language_of(order),
        order_id=order.id,
        customer_name=f"{order.customer.first_name} {order.customer.last_name}",
        service_name=order.service.name,
        provider_name=provider_name,
        provider=identity,
        broker=BROKER,
        ordered_on=day,
        last_day_to_withdraw=last_day_to_withdraw(day),
        activation=order.activation,
        requested_date=order.requested_date,
        agreement=order.agreement,
        tracking_url=tracking_url,
        status_to=event.status_to,
        withdrawn_at=_withdrawn_at(order, event),
    )


def _withdrawn_at(order: Order, event: OrderEvent) -> datetime | None:
    if order.withdrawal is not None:
        return order.withdrawal.at
    return event.at if event.kind == OrderEventKind.WITHDRAWN else None


def compose(
    kind: MailKind, order: Order, event: OrderEvent, deps: CatalogDeps, composer: MailComposer
) -> Mail:
    facts = mail_facts(kind, order, event, deps, composer.tracking_url(order.id))
    rendered = composer.render(facts)
    return Mail(
        to=(order.customer.email,),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        language=facts.language,
    )
