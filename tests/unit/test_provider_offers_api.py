"""The provider API's offers: create/replace as versions, scheduling, retirement,
validation and isolation, and what customers then see in the catalog (in-memory adapters)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain import ordering
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.errors import NotFound
from chalicelib.domain.offer_versions import catalog_offer_id
from tests.fakes import (
    EXTENSION_FORM_ID,
    NETWORK_ID,
    OTHER_PROVIDER_ID,
    PROVIDER_ID,
    FixedClock,
    catalog_city_network,
    seed_test_catalog,
)

from .provider_factories import T0

BASE = "/tl/v1"
A, B = PROVIDER_ID, OTHER_PROVIDER_ID


def offer_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Bredband 250",
        "category": "internet",
        "city_networks": [{"city_network_id": NETWORK_ID, "service_uid": "BB250"}],
        "monthly_price_sek": 249,
        "start_fee_sek": 0,
        "binding_months": 0,
        "notice_months": 1,
        "campaign": {"monthly_price_sek": 99, "months": 3, "code": "VINTER25"},
        "download_mbit": 250,
        "upload_mbit": 250,
    }
    body.update(changes)
    return body


@dataclass
class World:
    client: Client
    services: InMemoryAdapters
    clock: FixedClock
    keys: dict[str, str]

    def call(
        self, method: str, path: str, body: Any = None, provider: str = A, **headers: str
    ) -> Any:
        raw = b"" if body is None else json.dumps(body).encode()
        all_headers = {"x-api-key": self.keys[provider], "content-type": "application/json"}
        return self.client.http.request(
            method, BASE + path, body=raw, headers={**all_headers, **headers}
        )

    def put(self, offer_id: str, body: Any, provider: str = A, **headers: str) -> Any:
        return self.call("PUT", f"/offers/{offer_id}", body, provider, **headers)


@pytest.fixture
def world() -> Iterator[World]:
    clock = FixedClock(T0)
    services = InMemoryAdapters(clock=clock)
    seed_test_catalog(services.catalog)
    keys = {p: issue_api_key(services.api_keys, p, "test", clock)[0] for p in (A, B)}
    use(services)
    try:
        with Client(app) as client:
            yield World(client, services, clock, keys)
    finally:
        use(None)


def body_of(response: Any) -> Any:
    return json.loads(response.body)


CATALOG_ID = catalog_offer_id("bredband-250", NETWORK_ID)


def test_put_creates_an_offer_customers_of_each_network_can_order(world: World) -> None:
    response = world.put("bredband-250", offer_body())
    assert response.status_code == 200, response.body
    body = body_of(response)
    assert body["version"] == 1 and body["in_force_version"] == 1
    assert body["city_networks"] == [
        {"city_network_id": NETWORK_ID, "service_uid": "BB250", "catalog_offer_id": CATALOG_ID}
    ]
    offer = world.services.catalog.get_offer(CATALOG_ID)
    assert (offer.provider_id, offer.service_uid, offer.monthly_price_sek) == (A, "BB250", 249)
    assert offer.campaign is not None and offer.campaign.code == "VINTER25"
    listed = world.services.catalog.offers_in_city_network(NETWORK_ID)
    assert CATALOG_ID in {o.id for o in listed}


def test_one_offer_in_two_networks_is_two_catalog_offers(world: World) -> None:
    world.services.catalog.put_city_network(
        catalog_city_network().model_copy(update={"id": "north-net"})
    )
    networks = [
        {"city_network_id": NETWORK_ID, "service_uid": "BB250"},
        {"city_network_id": "north-net", "service_uid": "N-250"},
    ]
    assert world.put("bredband-250", offer_body(city_networks=networks)).status_code == 200
    north = world.services.catalog.get_offer("bredband-250--north-net")
    assert (north.city_network_id, north.service_uid) == ("north-net", "N-250")
    # Dropping a network retires its catalog offer there; the other one goes on.
    assert world.put("bredband-250", offer_body(city_networks=networks[:1])).status_code == 200
    assert world.services.catalog.get_offer("bredband-250--north-net").retired
    assert world.services.catalog.offers_in_city_network("north-net") == []
    assert not world.services.catalog.get_offer(CATALOG_ID).retired
    ids = [o["id"] for o in body_of(world.call("GET", "/offers"))["items"]]
    assert "bredband-250--north-net" not in ids and "bredband-250" in ids


def test_each_change_is_a_new_version_and_the_same_body_again_changes_nothing(
    world: World,
) -> None:
    world.put("bredband-250", offer_body())
    world.put("bredband-250", offer_body())
    changed = body_of(world.put("bredband-250", offer_body(monthly_price_sek=299)))
    assert changed["version"] == 2
    versions = body_of(world.call("GET", "/offers/bredband-250/versions"))["items"]
    assert [(v["version"], v["monthly_price_sek"]) for v in versions] == [(1, 249), (2, 299)]
    offer = world.services.catalog.get_offer(CATALOG_ID)
    assert (offer.version, offer.monthly_price_sek) == (2, 299)


def test_a_future_valid_from_waits_while_the_version_before_stays_in_force(
    world: World,
) -> None:
    world.put("bredband-250", offer_body())
    later = (T0 + timedelta(days=10)).isoformat()
    body = body_of(world.put("bredband-250", offer_body(monthly_price_sek=199, valid_from=later)))
    assert (body["version"], body["in_force_version"]) == (2, 1)
    assert world.services.catalog.get_offer(CATALOG_ID).monthly_price_sek == 249
    world.clock.advance(days=10)
    assert world.services.catalog.get_offer(CATALOG_ID).monthly_price_sek == 199
    assert body_of(world.call("GET", "/offers/bredband-250"))["in_force_version"] == 2


def test_a_new_offer_scheduled_for_later_is_not_shown_before_then(world: World) -> None:
    later = (T0 + timedelta(days=1)).isoformat()
    world.put("bredband-250", offer_body(valid_from=later))
    with pytest.raises(NotFound):
        world.services.catalog.get_offer(CATALOG_ID)
    assert body_of(world.call("GET", "/offers/bredband-250"))["in_force_version"] is None


def test_delete_retires_for_new_orders_and_get_still_lists_it(world: World) -> None:
    world.put("bredband-250", offer_body())
    response = world.call("DELETE", "/offers/bredband-250")
    assert response.status_code == 200
    assert body_of(response)["retired"] is True
    assert CATALOG_ID not in {
        o.id for o in world.services.catalog.offers_in_city_network(NETWORK_ID)
    }
    with pytest.raises(NotFound):
        ordering.offer_for(CATALOG_ID, NETWORK_ID, world.services)
    listed = {o["id"]: o for o in body_of(world.call("GET", "/offers"))["items"]}
    assert listed["bredband-250"]["retired"] is True
    # A second DELETE changes nothing; a PUT brings the offer back as a new version.
    assert body_of(world.call("DELETE", "/offers/bredband-250"))["version"] == 2
    assert body_of(world.put("bredband-250", offer_body()))["version"] == 3
    assert not world.services.catalog.get_offer(CATALOG_ID).retired


def test_retiring_supersedes_a_scheduled_change(world: World) -> None:
    world.put("bredband-250", offer_body())
    later = (T0 + timedelta(days=1)).isoformat()
    world.put("bredband-250", offer_body(monthly_price_sek=1, valid_from=later))
    world.call("DELETE", "/offers/bredband-250")
    world.clock.advance(days=2)
    assert world.services.catalog.get_offer(CATALOG_ID).retired


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"binding_months": 25}, "body.binding_months"),
        ({"notice_months": 2}, "body.notice_months"),
        ({"campaign": {"monthly_price_sek": 1, "months": 25}}, "body.campaign.months"),
        ({"campaign": {"monthly_price_sek": 1, "months": 1, "code": "x"}}, "body.campaign.code"),
        ({"monthly_price_sek": -1}, "body.monthly_price_sek"),
        ({"valid_from": "2027-01-01T00:00:00"}, "body.valid_from"),
        (
            {"city_networks": [{"city_network_id": "no-such-net", "service_uid": "BB"}]},
            "body.city_networks.0.city_network_id",
        ),
        (
            {"city_networks": [{"city_network_id": NETWORK_ID, "service_uid": "has space"}]},
            "body.city_networks.0.service_uid",
        ),
        (
            {
                "city_networks": [
                    {"city_network_id": NETWORK_ID, "service_uid": "A1"},
                    {"city_network_id": NETWORK_ID, "service_uid": "A2"},
                ]
            },
            "body.city_networks.1.city_network_id",
        ),
        ({"colour": "red"}, "body.colour"),
    ],
)
def test_invalid_fields_are_422_naming_the_field_and_change_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    response = world.put("bredband-250", offer_body(**changes))
    assert response.status_code == 422, response.body
    error = body_of(response)["error"]
    assert error["code"] == "invalid_input"
    assert field in {d["field"] for d in error["details"]}
    assert world.services.catalog.provider_offer_versions("bredband-250") == []


def test_a_new_offer_id_with_a_double_hyphen_is_refused(world: World) -> None:
    response = world.put("a--b", offer_body())
    assert response.status_code == 422
    assert body_of(response)["error"]["details"][0]["field"] == "path.offer_id"


def test_another_providers_offer_is_a_404_for_every_method_and_never_changes(
    world: World,
) -> None:
    world.put("bredband-250", offer_body())
    before = world.services.catalog.provider_offer_versions("bredband-250")
    for method, path, body in [
        ("GET", "/offers/bredband-250", None),
        ("GET", "/offers/bredband-250/versions", None),
        ("PUT", "/offers/bredband-250", offer_body(monthly_price_sek=1)),
        ("DELETE", "/offers/bredband-250", None),
    ]:
        response = world.call(method, path, body, provider=B)
        assert response.status_code == 404, (method, path)
        assert body_of(response)["error"]["code"] == "not_found"
    assert world.services.catalog.provider_offer_versions("bredband-250") == before
    theirs = {o["id"] for o in body_of(world.call("GET", "/offers", provider=B))["items"]}
    assert "bredband-250" not in theirs


def test_an_operator_loaded_offer_of_another_provider_cannot_be_taken_over(
    world: World,
) -> None:
    # fiber-tel was loaded by the operator for provider B.
    assert world.put("fiber-tel", offer_body()).status_code == 404
    offer = world.services.catalog.get_offer("fiber-tel")
    assert offer.provider_id == B and offer.version == 1


def test_an_operator_loaded_offer_is_managed_through_the_api_under_its_own_id(
    world: World,
) -> None:
    listed = {o["id"]: o for o in body_of(world.call("GET", "/offers"))["items"]}
    assert listed["tl-internet-100"]["city_networks"][0]["catalog_offer_id"] == "tl-internet-100"
    body = offer_body(city_networks=[{"city_network_id": NETWORK_ID, "service_uid": "BB100"}])
    response = world.put("tl-internet-100", body)
    assert response.status_code == 200
    assert body_of(response)["version"] == 2
    offer = world.services.catalog.get_offer("tl-internet-100")
    assert (offer.version, offer.monthly_price_sek) == (2, 249)
    assert offer.extension_form_id == EXTENSION_FORM_ID  # kept, not in the API body


def test_idempotency_key_replays_the_first_answer(world: World) -> None:
    first = world.put("bredband-250", offer_body(), **{"Idempotency-Key": "k1"})
    again = world.put("bredband-250", offer_body(), **{"Idempotency-Key": "k1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert body_of(again) == body_of(first)
    other = world.put("bredband-250", offer_body(monthly_price_sek=1), **{"Idempotency-Key": "k1"})
    assert other.status_code == 422


def test_every_write_changes_the_catalog_generation(world: World) -> None:
    catalog = world.services.catalog
    before = catalog.generation()
    world.put("bredband-250", offer_body())
    after_put = catalog.generation()
    world.call("DELETE", "/offers/bredband-250")
    assert before < after_put < catalog.generation()


def test_a_retired_offers_order_form_is_the_not_found_page(world: World) -> None:
    world.put("bredband-250", offer_body())
    before = world.client.http.get(f"/order/{CATALOG_ID}")
    assert before.status_code == 200, before.status_code
    world.call("DELETE", "/offers/bredband-250")
    after = world.client.http.get(f"/order/{CATALOG_ID}")
    assert after.status_code == 404
    assert "<html" in after.body.decode()
    # Its contract summary stays: orders placed earlier link to it.
    assert world.client.http.get(f"/offers/{CATALOG_ID}/summary").status_code == 200
