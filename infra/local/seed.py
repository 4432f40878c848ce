"""Demo data for the local stack: the demo city networks (Direct Activation and ON-API),
two providers with their legal identities, terms and privacy policies
(demo-providers.json), and their offers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.domain.documents import add_version, text_sha256
from chalicelib.domain.models import (
    DOCUMENT_KINDS,
    ON_API,
    Category,
    CityNetwork,
    LegalIdentity,
    Offer,
    Provider,
)
from chalicelib.domain.ports import Catalog

DEMO_PROVIDERS_FILE = Path(__file__).with_name("demo-providers.json")

DEMO_CITY_NETWORK_ID = "demo-stadsnat"
DEMO_CREDENTIALS_REF = "demo-stadsnat/api"
# The Direct Activation demo outlets are 127.0.0.x, the ON-API ones 127.0.1.x: disjoint, so
# a visitor's address names one network whatever order the catalog lists them in.
DEMO_IP_RANGE = "127.0.0.0/24"
DEMO_ONAPI_ID = "demo-onapi"
# "<ref>" is the API's user:password, "<ref>/portal" the portal's pre-shared key.
DEMO_ONAPI_CREDENTIALS_REF = "demo-onapi/api"
DEMO_ONAPI_IP_RANGE = "127.0.1.0/24"


@cache
def _demo_providers() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_PROVIDERS_FILE.read_text(encoding="utf-8"))
    return dict(data["providers"])


def _provider(provider_id: str, name: str) -> Provider:
    identity = LegalIdentity.model_validate(_demo_providers()[provider_id]["legal_identity"])
    return Provider(id=provider_id, name=name, legal_identity=identity)


PROVIDERS = (_provider("demo-tl", "Demo TL"), _provider("fiber-ab", "Fiber AB"))


def demo_document_text(provider_id: str, kind: str) -> str:
    """The demo provider's terms or privacy policy (Swedish, as its customers read it)."""
    return str(_demo_providers()[provider_id][kind])


def seed_documents(catalog: Catalog, now: datetime | None = None) -> None:
    """Each demo provider's terms and privacy policy as version 1; seeding again adds
    nothing unless the text changed (then the next version, as an operator would)."""
    moment = now or datetime.now(UTC)
    for provider in PROVIDERS:
        for kind in DOCUMENT_KINDS:
            text = demo_document_text(provider.id, kind)
            current = catalog.current_document(provider.id, kind)
            if current is None or current.content_sha256 != text_sha256(text):
                add_version(catalog, provider.id, kind, now=moment, text=text)


def offers(city_network_id: str = DEMO_CITY_NETWORK_ID) -> list[Offer]:
    def offer(**fields: object) -> Offer:
        return Offer.model_validate({"city_network_id": city_network_id, **fields})

    return [
        offer(
            id="demo-tl-internet-100",
            provider_id="demo-tl",
            service_uid="BB100100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=12,
            extension_form_id="demo-tl",
            download_mbit=100,
            upload_mbit=100,
        ),
        offer(
            id="demo-tl-telefoni",
            provider_id="demo-tl",
            service_uid="TEL-VOIP",
            category=Category.TELEPHONY,
            name="IP-telefoni",
            monthly_price_sek=99,
            binding_months=0,
            extension_form_id="demo-tl",
        ),
        offer(
            id="demo-tl-tv-bas",
            provider_id="demo-tl",
            service_uid="TV-BAS",
            category=Category.TV,
            name="Digital-TV bas",
            monthly_price_sek=149,
            binding_months=6,
            extension_form_id="demo-tl",
        ),
        offer(
            id="fiber-ab-internet-1000",
            provider_id="fiber-ab",
            service_uid="BB1000",
            category=Category.INTERNET,
            name="Fiber 1000/1000",
            monthly_price_sek=449,
            binding_months=24,
            # The demo's campaign and start fee, so the pages show a whole price with both.
            start_fee_sek=495,
            campaign={"monthly_price_sek": 249, "months": 6},
            download_mbit=1000,
            upload_mbit=1000,
        ),
    ]


def demo_city_network(api_url: str, bounce_url: str) -> CityNetwork:
    return CityNetwork(
        id=DEMO_CITY_NETWORK_ID,
        name="Demo Stadsnät",
        api_url=api_url,
        bounce_url=bounce_url,
        ip_ranges=(DEMO_IP_RANGE,),
        credentials_ref=DEMO_CREDENTIALS_REF,
    )


def demo_on_api_network(api_url: str, portal_url: str, co_id: str) -> CityNetwork:
    """`api_url` is the versioned base (…/onapi/2.6/); `co_id` the network's `ko`."""
    return CityNetwork(
        id=DEMO_ONAPI_ID,
        name="Demo ON-API-nät",
        protocol=ON_API,
        api_url=api_url,
        portal_url=portal_url,
        co_id=co_id,
        ip_ranges=(DEMO_ONAPI_IP_RANGE,),
        credentials_ref=DEMO_ONAPI_CREDENTIALS_REF,
    )


def on_api_offers(city_network_id: str = DEMO_ONAPI_ID) -> list[Offer]:
    """The demo providers' offers in the ON-API network, by the emulator's service names
    (infra/local/demo-onapi.json)."""

    def offer(**fields: object) -> Offer:
        return Offer.model_validate({"city_network_id": city_network_id, **fields})

    return [
        offer(
            id="demo-tl-onapi-internet-100",
            provider_id="demo-tl",
            service_uid="BB-100-100",
            category=Category.INTERNET,
            name="Bredband 100/100",
            monthly_price_sek=299,
            binding_months=12,
            extension_form_id="demo-tl",
            download_mbit=100,
            upload_mbit=100,
        ),
        offer(
            id="demo-tl-onapi-telefoni",
            provider_id="demo-tl",
            service_uid="VOIP",
            category=Category.TELEPHONY,
            name="IP-telefoni",
            monthly_price_sek=99,
            binding_months=0,
            extension_form_id="demo-tl",
        ),
        offer(
            id="demo-tl-onapi-tv",
            provider_id="demo-tl",
            service_uid="IPTV",
            category=Category.TV,
            name="IPTV bas",
            monthly_price_sek=149,
            binding_months=6,
            extension_form_id="demo-tl",
        ),
        offer(
            id="fiber-ab-onapi-internet-1000",
            provider_id="fiber-ab",
            service_uid="BB-1000-1000",
            category=Category.INTERNET,
            name="Fiber 1000/1000",
            monthly_price_sek=449,
            binding_months=24,
            # The demo's campaign and start fee, so the pages show a whole price with both.
            start_fee_sek=495,
            campaign={"monthly_price_sek": 249, "months": 6},
            download_mbit=1000,
            upload_mbit=1000,
        ),
    ]


def seed_catalog(catalog: Catalog, api_url: str, bounce_url: str) -> None:
    catalog.put_city_network(demo_city_network(api_url, bounce_url))
    for provider in PROVIDERS:
        catalog.put_provider(provider)
    seed_documents(catalog)
    for offer in offers():
        catalog.put_offer(offer)


def seed_on_api_network(catalog: Catalog, api_url: str, portal_url: str, co_id: str) -> None:
    """The ON-API demo network and its offers (after `seed_catalog`: the providers)."""
    catalog.put_city_network(demo_on_api_network(api_url, portal_url, co_id))
    for offer in on_api_offers():
        catalog.put_offer(offer)
