"""The agreement built at the review's confirm (domain/agreement.py), and how placing an
order applies it: stored as given, the start date held to day 15 without an early start."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.agreement import build_agreement, text_sha256
from chalicelib.domain.contract_summary import contract_summary
from chalicelib.domain.models import Campaign, Offer, Provider, ProviderDocument
from chalicelib.domain.ordering import Access, OrderRequest, place_order
from tests.fakes import FakeCityNetworks, FixedClock, a_customer, catalog_offers, seed_test_catalog

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)  # FixedClock's default instant, in Stockholm
ACCESS = Access(city_network_id="test-stadsnat", access_id="ACC-123-OK")
PROVIDER = Provider(id="test-tl", name="Test TL")


def offer() -> Offer:
    [internet] = [o for o in catalog_offers() if o.id == "tl-internet-100"]
    return internet.model_copy(
        update={"start_fee_sek": 495, "campaign": Campaign(monthly_price_sek=99, months=3)}
    )


def terms(version: int = 3) -> ProviderDocument:
    text = f"Villkor version {version}"
    return ProviderDocument(
        provider_id="test-tl", kind="terms", version=version, text=text,
        content_sha256=hashlib.sha256(text.encode()).hexdigest(), created_at=AT,
    )  # fmt: skip


def agreement(*, early_start: bool, documents: dict | None = None):
    return build_agreement(
        offer(), PROVIDER, "Teststadsnätet", documents or {"terms": terms(), "privacy": None},
        language="en", accepted_at=AT, early_start=early_start, review_text_sha256="a" * 64,
    )  # fmt: skip


def test_the_agreement_holds_the_whole_price_the_documents_and_the_summary_version():
    made = agreement(early_start=True)
    assert made.price == offer().price_terms()
    assert made.price.campaign == Campaign(monthly_price_sek=99, months=3)
    assert made.price.start_fee_sek == 495
    assert made.terms is not None
    assert (made.terms.kind, made.terms.version) == ("terms", 3)
    assert made.terms.content_sha256 == terms().content_sha256
    assert made.privacy is None
    assert made.contract_summary_sha256 == (
        contract_summary(offer(), PROVIDER, "Teststadsnätet", TODAY).content_sha256
    )
    assert (made.language, made.terms_accepted_at) == ("en", AT)
    assert made.early_start_requested and made.early_start_requested_at == AT


def test_without_an_early_start_no_time_is_kept_for_it():
    made = agreement(early_start=False, documents={"terms": None, "privacy": None})
    assert made.early_start_requested is False and made.early_start_requested_at is None
    assert made.terms is None


def test_the_text_hash_sees_words_not_line_breaks():
    assert text_sha256("Beställ  med\n betalningsskyldighet ") == text_sha256(
        "Beställ med betalningsskyldighet"
    )
    assert text_sha256("299 kr") != text_sha256("399 kr")


@pytest.fixture
def deps() -> InMemoryAdapters:
    adapters = InMemoryAdapters(city_networks=FakeCityNetworks(), clock=FixedClock())
    seed_test_catalog(adapters.catalog)
    return adapters


def request(requested: date | None) -> OrderRequest:
    return OrderRequest(
        offer_id="tl-internet-100",
        customer=a_customer(),
        details={"router": "rent", "static_ip": False},
        requested_date=requested,
    )


@pytest.mark.parametrize("requested", [None, TODAY, TODAY + timedelta(days=14)])
def test_inside_the_withdrawal_period_without_an_early_start_the_order_starts_on_day_15(
    deps, requested
):
    order = place_order(request(requested), ACCESS, deps, agreement=agreement(early_start=False))
    day_15 = TODAY + timedelta(days=15)
    assert order.requested_date == order.activation.requested_date == day_15
    assert deps.orders.get(order.id).agreement == agreement(early_start=False)


@pytest.mark.parametrize(
    ("requested", "early_start"),
    [(None, True), (TODAY + timedelta(days=3), True), (TODAY + timedelta(days=15), False)],
)
def test_an_early_start_or_a_date_after_the_period_is_kept(deps, requested, early_start):
    made = agreement(early_start=early_start)
    order = place_order(request(requested), ACCESS, deps, agreement=made)
    assert order.requested_date == requested
    assert order.agreement == made


def test_an_order_placed_without_an_agreement_keeps_its_date_and_has_none(deps):
    # Placed by code other than the review step (e.g. the tests' own stores): untouched
    order = place_order(request(None), ACCESS, deps)
    assert order.requested_date is None and order.agreement is None
