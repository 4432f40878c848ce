"""Demo data for the local stack: the demo city network, two providers and their offers."""

from __future__ import annotations

from chalicelib.domain.models import Category, CityNetwork, Offer, Provider
from chalicelib.domain.ports import Catalog

DEMO_CITY_NETWORK_ID = "demo-stadsnat"
DEMO_CREDENTIALS_REF = "demo-stadsnat/api"

PROVIDERS = (
    Provider(id="demo-tl", name="Demo TL"),
    Provider(id="fiber-ab", name="Fiber AB"),
)


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
        ),
    ]


def demo_city_network(api_url: str, bounce_url: str) -> CityNetwork:
    return CityNetwork(
        id=DEMO_CITY_NETWORK_ID,
        name="Demo Stadsnät",
        api_url=api_url,
        bounce_url=bounce_url,
        ip_ranges=("127.0.0.0/8",),
        credentials_ref=DEMO_CREDENTIALS_REF,
    )


def seed_catalog(catalog: Catalog, api_url: str, bounce_url: str) -> None:
    catalog.put_city_network(demo_city_network(api_url, bounce_url))
    for provider in PROVIDERS:
        catalog.put_provider(provider)
    for offer in offers():
        catalog.put_offer(offer)
