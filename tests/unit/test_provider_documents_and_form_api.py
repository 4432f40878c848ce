"""The provider's documents and extension form through the API (api/documents.py,
api/provider_form.py), over Chalice's test client with in-memory adapters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.api.routes import openapi_document
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.documents import MAX_TEXT_CHARACTERS
from chalicelib.domain.models import ProviderDocument
from tests.fakes import PROVIDER_ID, FixedClock, seed_test_catalog
from tests.unit.test_extension_form_checks import a_form, text_field

from .provider_factories import T0

A, B = PROVIDER_ID, "fiber-ab"
BASE = "/tl/v1"
TERMS = "Villkor för Bredband AB.\n\nGäller från 1 januari."
SHA = "a" * 64


@dataclass
class World:
    client: Client
    adapters: InMemoryAdapters
    clock: FixedClock
    keys: dict[str, str]

    def call(
        self, method: str, path: str, body: Any = None, provider: str = A, **headers: str
    ) -> Any:
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        all_headers = {"x-api-key": self.keys[provider], "content-type": "application/json"}
        return self.client.http.request(
            method, BASE + path, body=raw, headers={**all_headers, **headers}
        )


@pytest.fixture
def world() -> Iterator[World]:
    clock = FixedClock(T0)
    adapters = InMemoryAdapters(clock=clock)
    seed_test_catalog(adapters.catalog)
    keys = {p: issue_api_key(adapters.api_keys, p, "test", clock)[0] for p in (A, B)}
    use(adapters)
    try:
        with Client(app) as client:
            yield World(client, adapters, clock, keys)
    finally:
        use(None)


def body(response: Any) -> Any:
    return json.loads(response.body)


# --- documents -------------------------------------------------------------------------


def test_a_text_document_is_stored_as_version_1_with_its_hash(world: World) -> None:
    response = world.call("PUT", "/documents/terms", {"text": TERMS})
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["version"] == 1
    assert answer["content_sha256"] == hashlib.sha256(TERMS.encode()).hexdigest()
    assert answer["characters"] == len(TERMS) and answer["current"] is True
    assert "text" not in answer
    stored = world.adapters.catalog.current_document(A, "terms")
    assert stored is not None and stored.text == TERMS


def test_each_put_is_a_new_immutable_version_and_new_orders_get_the_newest(world: World) -> None:
    world.call("PUT", "/documents/terms", {"text": "First terms."})
    world.clock.advance(minutes=1)
    second = body(world.call("PUT", "/documents/terms", {"text": "Second terms."}))
    assert second["version"] == 2
    listed = body(world.call("GET", "/documents/terms"))["items"]
    assert [(d["version"], d["current"]) for d in listed] == [(1, False), (2, True)]
    first = body(world.call("GET", "/documents/terms/1"))
    assert first["text"] == "First terms." and first["current"] is False
    current = world.adapters.catalog.current_document(A, "terms")
    assert current is not None and current.version == 2  # what the review step names


def test_a_url_document_keeps_the_hash_the_provider_states_and_is_not_fetched(
    world: World,
) -> None:
    response = world.call(
        "PUT",
        "/documents/privacy",
        {"url": "https://bredband.example/integritet-v3.pdf", "content_sha256": SHA},
    )
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["url"] == "https://bredband.example/integritet-v3.pdf"
    assert answer["content_sha256"] == SHA and answer["characters"] is None


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"text": TERMS, "url": "https://x.example/t"},
        {"url": "https://x.example/t"},
        {"text": TERMS, "content_sha256": SHA},
        {"url": "http://x.example/t", "content_sha256": SHA},
        {"text": ""},
        {"text": "Villkor \u202e dolt"},
        {"text": TERMS, "extra": 1},
    ],
)
def test_text_or_url_exactly_one_else_422_and_nothing_stored(world: World, sent: Any) -> None:
    response = world.call("PUT", "/documents/terms", sent)
    assert response.status_code == 422, response.body
    assert body(response)["error"]["code"] == "invalid_input"
    assert world.adapters.catalog.documents(A, "terms") == []


def test_a_text_over_the_cap_is_413_and_one_at_the_cap_is_stored(world: World) -> None:
    too_long = world.call("PUT", "/documents/terms", {"text": "x" * (MAX_TEXT_CHARACTERS + 1)})
    assert too_long.status_code == 413
    assert body(too_long)["error"]["code"] == "document_too_large"
    at_cap = world.call("PUT", "/documents/terms", {"text": "\U0001f4dc" * MAX_TEXT_CHARACTERS})
    assert at_cap.status_code == 201, at_cap.body[:300]


def test_the_text_cap_is_the_models() -> None:
    [limit] = [m.max_length for m in ProviderDocument.model_fields["text"].metadata]
    assert limit == MAX_TEXT_CHARACTERS


@pytest.mark.parametrize("kind", ["contract", "TERMS", "terms.json", "privacy2"])
def test_an_unknown_kind_is_a_404_in_the_api_error_format(world: World, kind: str) -> None:
    for method, path in (("PUT", f"/documents/{kind}"), ("GET", f"/documents/{kind}")):
        response = world.call(method, path, {"text": TERMS} if method == "PUT" else None)
        assert response.status_code == 404
        assert body(response)["error"]["code"] == "not_found"


def test_an_unknown_version_is_a_404(world: World) -> None:
    world.call("PUT", "/documents/terms", {"text": TERMS})
    for version in ("2", "0", "abc", "9999999"):
        assert world.call("GET", f"/documents/terms/{version}").status_code == 404


def test_a_retried_put_with_the_same_idempotency_key_creates_one_version(world: World) -> None:
    first = world.call("PUT", "/documents/terms", {"text": TERMS}, **{"Idempotency-Key": "t-1"})
    again = world.call("PUT", "/documents/terms", {"text": TERMS}, **{"Idempotency-Key": "t-1"})
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(world.adapters.catalog.documents(A, "terms")) == 1
    other = world.call("PUT", "/documents/terms", {"text": "Other"}, **{"Idempotency-Key": "t-1"})
    assert other.status_code == 422
    assert body(other)["error"]["code"] == "idempotency_key_reused"


def test_a_version_number_taken_meanwhile_gives_the_next_one(world: World) -> None:
    # Another process stored version 1 after this one last looked (a stale cache)
    catalog = world.adapters.catalog
    real_current = catalog.current_document
    catalog.add_document(
        ProviderDocument(
            provider_id=A,
            kind="terms",
            version=1,
            text="Earlier",
            content_sha256=SHA,
            created_at=T0,
        )
    )
    catalog.current_document = lambda provider_id, kind: None  # type: ignore[method-assign]
    try:
        response = world.call("PUT", "/documents/terms", {"text": TERMS})
    finally:
        catalog.current_document = real_current  # type: ignore[method-assign]
    assert response.status_code == 201 and body(response)["version"] == 2


def test_a_providers_documents_never_show_or_change_anothers(world: World) -> None:
    world.call("PUT", "/documents/terms", {"text": "A's own terms"}, provider=A)
    before = body(world.call("GET", "/documents/terms", provider=A))
    # When B publishes and reads its own terms
    assert (
        world.call("PUT", "/documents/terms", {"text": "B's terms"}, provider=B).status_code == 201
    )
    b_listed = body(world.call("GET", "/documents/terms", provider=B))["items"]
    # Then B sees only its own version 1, and A's is unchanged
    assert [d["version"] for d in b_listed] == [1]
    assert body(world.call("GET", "/documents/terms/1", provider=B))["text"] == "B's terms"
    assert body(world.call("GET", "/documents/terms", provider=A)) == before
    assert body(world.call("GET", "/documents/terms/1", provider=A))["text"] == "A's own terms"
    assert world.call("GET", "/documents/privacy/1", provider=B).status_code == 404


# --- the extension form ----------------------------------------------------------------


def test_a_good_form_is_stored_as_a_version_with_a_preview_url(world: World) -> None:
    response = world.call("PUT", "/form", a_form())
    assert response.status_code == 201, response.body
    answer = body(response)
    assert answer["version"] == 1 and answer["form"] == a_form()
    assert answer["preview_url"].startswith(f"/preview/form/{A}?version=1&")
    stored = world.adapters.provider_forms.current(A)
    assert stored is not None and stored.definition == a_form()
    got = body(world.call("GET", "/form"))
    assert got["version"] == 1 and got["form"] == a_form()
    assert got["preview_url"].startswith(f"/preview/form/{A}?version=1&")


def test_a_refused_form_is_422_with_field_errors_and_not_stored(world: World) -> None:
    response = world.call("PUT", "/form", a_form(first_name=text_field(), step=text_field()))
    assert response.status_code == 422
    error = body(response)["error"]
    assert error["code"] == "invalid_input"
    assert sorted(d["field"] for d in error["details"]) == [
        "body.properties.first_name",
        "body.properties.step",
    ]
    assert world.adapters.provider_forms.current(A) is None
    assert world.call("GET", "/form").status_code == 404


@pytest.mark.parametrize("sent", [b"[]", b'"form"', b"{}", b'{"properties": 3}'])
def test_a_body_that_is_no_form_is_a_4xx_in_the_error_format(world: World, sent: bytes) -> None:
    response = world.call("PUT", "/form", sent)
    assert response.status_code == 422, response.body
    assert body(response)["error"]["code"] == "invalid_input"


def test_a_new_form_is_a_new_version_and_the_old_one_is_kept(world: World) -> None:
    world.call("PUT", "/form", a_form())
    changed = a_form(referral=text_field())
    assert body(world.call("PUT", "/form", changed))["version"] == 2
    assert body(world.call("GET", "/form"))["form"] == changed
    old = world.adapters.provider_forms.get(A, 1)
    assert old is not None and old.definition == a_form()


def test_a_retried_form_put_with_the_same_key_stores_one_version(world: World) -> None:
    for _ in range(2):
        response = world.call("PUT", "/form", a_form(), **{"Idempotency-Key": "form-1"})
        assert response.status_code == 201
    assert body(world.call("GET", "/form"))["version"] == 1


def test_one_providers_form_is_never_anothers(world: World) -> None:
    world.call("PUT", "/form", a_form(), provider=A)
    assert world.call("GET", "/form", provider=B).status_code == 404
    b_form = a_form(only_b=text_field())
    world.call("PUT", "/form", b_form, provider=B)
    assert body(world.call("GET", "/form", provider=A))["form"] == a_form()
    assert body(world.call("GET", "/form", provider=B))["form"] == b_form
    assert A not in body(world.call("GET", "/form", provider=B))["preview_url"]


def test_the_preview_url_is_absolute_under_the_public_base_url() -> None:
    from chalicelib.domain.form_preview import preview_url

    url = preview_url(b"k", A, 3, T0, "https://bestall.example.se/")
    assert url.startswith(f"https://bestall.example.se/preview/form/{A}?version=3&expires=")


# --- the OpenAPI document --------------------------------------------------------------


def test_the_openapi_document_describes_the_document_and_form_operations() -> None:
    paths = openapi_document()["paths"]
    assert set(paths["/documents/{kind}"]) == {"put", "get"}
    assert set(paths["/documents/{kind}/{version}"]) == {"get"}
    assert set(paths["/form"]) == {"put", "get"}
    put = paths["/documents/{kind}"]["put"]
    assert put["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DocumentVersionOut"
    }
    assert {"404", "409", "413", "422"} <= set(put["responses"])
    assert [p["name"] for p in put["parameters"]] == ["kind", "Idempotency-Key"]
    schemas = openapi_document()["components"]["schemas"]
    assert "preview_url" in schemas["ExtensionFormOut"]["required"]
    assert schemas["DocumentIn"]["properties"]["text"]["maxLength"] == MAX_TEXT_CHARACTERS


# --- the legal identity ----------------------------------------------------------------

IDENTITY = {
    "company_name": "Bredband AB",
    "organisation_number": "556000-0001",
    "address": "Storgatan 1, 111 51 Stockholm",
    "email": "kundservice@bredband.example",
    "phone": "+46 8 123 456 00",
}


def test_the_legal_identity_is_set_through_the_api_and_kept_on_the_provider(
    world: World,
) -> None:
    name = world.adapters.catalog.get_provider(A).name
    response = world.call("PUT", "/identity", IDENTITY)
    assert response.status_code == 200, response.body
    assert body(response) == IDENTITY
    provider = world.adapters.catalog.get_provider(A)
    assert provider.name == name
    assert provider.legal_identity is not None
    assert provider.legal_identity.model_dump() == IDENTITY
    assert body(world.call("GET", "/identity")) == IDENTITY
    assert world.adapters.catalog.get_provider(B).legal_identity != provider.legal_identity


@pytest.mark.parametrize(
    "change",
    [
        {"organisation_number": "5560000001"},
        {"company_name": "Bredband\u202eAB"},
        {"address": "Storgatan 1\nStockholm"},
        {"extra": "x"},
    ],
)
def test_an_invalid_identity_is_422_and_changes_nothing(world: World, change: Any) -> None:
    before = world.adapters.catalog.get_provider(A)
    response = world.call("PUT", "/identity", {**IDENTITY, **change})
    assert response.status_code == 422
    assert world.adapters.catalog.get_provider(A) == before
