"""Who we are: the broker's own identity, shown beside the provider's before an order and
in every confirmation (distansavtalslagen 2 kap. 2 §: the customer must know whom they
deal with, and we take the order on the provider's behalf)."""

from __future__ import annotations

from .models import LegalIdentity

BROKER = LegalIdentity(
    company_name="Stadsnätsfabriken AB",
    organisation_number="559412-0001",
    address="Storgatan 1, 111 51 Stockholm",
    email="kundservice@stadsnatsfabriken.se",
    phone="+46 8 120 300 00",
)
