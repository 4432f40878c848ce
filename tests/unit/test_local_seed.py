"""The local stack's demo catalog: every provider with its legal identity, terms and privacy
policy; one offer with a campaign and a start fee; seeding twice adds nothing."""

from __future__ import annotations

from chalicelib.adapters.memory import InMemoryCatalog
from chalicelib.domain.documents import text_sha256
from chalicelib.domain.models import DOCUMENT_KINDS
from infra.local.seed import (
    PROVIDERS,
    demo_document_text,
    offers,
    on_api_offers,
    seed_catalog,
    seed_on_api_network,
)


def seeded() -> InMemoryCatalog:
    catalog = InMemoryCatalog()
    seed_catalog(catalog, "http://127.0.0.1:9/da", "http://127.0.0.1:9/bounce")
    seed_on_api_network(catalog, "http://127.0.0.1:9/onapi/2.6/", "http://127.0.0.1:9/p", "ko")
    return catalog


def test_every_seeded_provider_has_a_legal_identity_terms_and_privacy_policy():
    catalog = seeded()

    for provider in catalog.list_providers():
        assert provider.legal_identity is not None, provider.id
        for kind in DOCUMENT_KINDS:
            current = catalog.current_document(provider.id, kind)
            assert current is not None, (provider.id, kind)
            assert current.version == 1
            assert current.text == demo_document_text(provider.id, kind)
            assert current.content_sha256 == text_sha256(current.text)
    assert {p.id for p in catalog.list_providers()} == {p.id for p in PROVIDERS}


def test_seeding_again_adds_no_document_version():
    catalog = seeded()
    seed_catalog(catalog, "http://127.0.0.1:9/da", "http://127.0.0.1:9/bounce")

    for provider in PROVIDERS:
        for kind in DOCUMENT_KINDS:
            assert [d.version for d in catalog.documents(provider.id, kind)] == [1]


def test_the_demo_shows_a_campaign_and_a_start_fee_in_both_networks():
    for listed in (offers(), on_api_offers()):
        with_campaign = [o for o in listed if o.campaign is not None]
        assert [o.provider_id for o in with_campaign] == ["fiber-ab"]
        assert with_campaign[0].start_fee_sek > 0


def test_the_seeded_ids_and_prices_the_journeys_use_are_unchanged():
    prices = {o.id: (o.monthly_price_sek, o.binding_months) for o in offers()}

    assert prices == {
        "demo-tl-internet-100": (299, 12),
        "demo-tl-telefoni": (99, 0),
        "demo-tl-tv-bas": (149, 6),
        "fiber-ab-internet-1000": (449, 24),
    }
