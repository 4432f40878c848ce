"""Providers' extension forms stored, one contract for the in-memory store, DynamoDB (moto)
and the cached DynamoDB store as deployed; and the documents and form API end to end on
DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.cached_catalog import CachedCatalog
from chalicelib.adapters.cached_provider_forms import CachedProviderForms
from chalicelib.adapters.dynamodb.catalog import DynamoDBCatalog
from chalicelib.adapters.dynamodb.provider_forms import DynamoDBProviderForms
from chalicelib.adapters.dynamodb.tokens import DynamoDBOneTimeTokens
from chalicelib.adapters.memory.provider_forms import InMemoryProviderForms
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.errors import AlreadyExists
from chalicelib.domain.provider_forms import ProviderForm, ProviderFormStore, definition_sha256
from tests.aws import table
from tests.fakes import PROVIDER_ID, FixedClock, seed_test_catalog
from tests.unit.test_extension_form_checks import a_form, text_field

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def form(provider_id: str, version: int, **fields: Any) -> ProviderForm:
    definition = a_form(**fields)
    return ProviderForm(
        provider_id=provider_id,
        version=version,
        definition=definition,
        sha256=definition_sha256(definition),
        created_at=T0,
    )


@pytest.fixture(params=["memory", "dynamodb", "cached"])
def store(request: pytest.FixtureRequest) -> ProviderFormStore:
    if request.param == "memory":
        return InMemoryProviderForms()
    stored = DynamoDBProviderForms(table(request.getfixturevalue("table_name")))
    return stored if request.param == "dynamodb" else CachedProviderForms(stored)


def test_no_form_until_one_is_stored(store: ProviderFormStore) -> None:
    assert store.current(PROVIDER_ID) is None
    assert store.get(PROVIDER_ID, 1) is None


def test_the_newest_version_is_current_and_every_version_stays(store: ProviderFormStore) -> None:
    for version in (1, 2, 10):
        store.add(form(PROVIDER_ID, version, **{f"q{version}": text_field()}))
    current = store.current(PROVIDER_ID)
    assert current is not None and current.version == 10
    first = store.get(PROVIDER_ID, 1)
    assert first == form(PROVIDER_ID, 1, q1=text_field())


def test_a_stored_version_is_never_overwritten(store: ProviderFormStore) -> None:
    store.add(form(PROVIDER_ID, 1))
    with pytest.raises(AlreadyExists):
        store.add(form(PROVIDER_ID, 1, other=text_field()))
    assert store.get(PROVIDER_ID, 1) == form(PROVIDER_ID, 1)


def test_providers_forms_are_apart(store: ProviderFormStore) -> None:
    store.add(form(PROVIDER_ID, 1))
    store.add(form("fiber-ab", 1, b_only=text_field()))
    store.add(form("fiber-ab", 2, b_only=text_field()))
    a_current = store.current(PROVIDER_ID)
    assert a_current is not None and a_current.version == 1
    assert store.current("fiber-ab-2") is None  # a prefix of nobody's id is nobody's


def test_the_cache_sees_its_own_writes_at_once(table_name: str) -> None:
    cached = CachedProviderForms(DynamoDBProviderForms(table(table_name)), ttl_s=3600)
    assert cached.current(PROVIDER_ID) is None
    cached.add(form(PROVIDER_ID, 1))
    current = cached.current(PROVIDER_ID)
    assert current is not None and current.version == 1


def _process_view(table_name: str) -> tuple[CachedCatalog, CachedProviderForms]:
    """What one warm process holds: the catalog cache, and the forms cache that follows it."""
    catalog = CachedCatalog(DynamoDBCatalog(table(table_name), FixedClock(T0)), ttl_s=3600)
    forms = CachedProviderForms(
        DynamoDBProviderForms(table(table_name)),
        ttl_s=3600,
        generation=catalog.seen_generation,
        after_write=catalog.bump_generation,
    )
    return catalog, forms


def test_a_form_stored_through_one_warm_process_is_current_in_another_on_its_next_request(
    table_name: str,
) -> None:
    # Given two warm processes, the reader having cached "no form" for an hour's TTL
    writer_catalog, writer = _process_view(table_name)
    reader_catalog, reader = _process_view(table_name)
    reader_catalog.begin_request()
    assert reader.current(PROVIDER_ID) is None
    # When the provider's form is stored through the other process
    writer_catalog.begin_request()
    writer.add(form(PROVIDER_ID, 1))
    # Then the reader keeps its answer within the request it is in, and sees the form on
    # its next one
    assert reader.current(PROVIDER_ID) is None
    reader_catalog.begin_request()
    current = reader.current(PROVIDER_ID)
    assert current is not None and current.version == 1


# --- the API on DynamoDB -------------------------------------------------------------------


@pytest.fixture
def api(table_name: str) -> Iterator[tuple[Client, str]]:
    clock = FixedClock(T0)
    stored = table(table_name)
    base = InMemoryAdapters(clock=clock)
    adapters = base.replaced(
        catalog=CachedCatalog(DynamoDBCatalog(stored)),
        provider_forms=CachedProviderForms(DynamoDBProviderForms(stored)),
        tokens=DynamoDBOneTimeTokens(stored, clock),
    )
    seed_test_catalog(adapters.catalog)
    key, _ = issue_api_key(adapters.api_keys, PROVIDER_ID, "test", clock)
    use(adapters)
    try:
        with Client(app) as client:
            yield client, key
    finally:
        use(None)


def _call(api: tuple[Client, str], method: str, path: str, body: Any = None, **h: str) -> Any:
    client, key = api
    headers = {"x-api-key": key, "content-type": "application/json", **h}
    raw = b"" if body is None else json.dumps(body).encode()
    return client.http.request(method, f"/tl/v1{path}", body=raw, headers=headers)


def test_documents_and_form_through_the_api_on_dynamodb(api: tuple[Client, str]) -> None:
    for text in ("Villkor 1", "Villkor 2"):
        assert _call(api, "PUT", "/documents/terms", {"text": text}).status_code == 201
    retried = [
        _call(api, "PUT", "/documents/terms", {"text": "Villkor 3"}, **{"Idempotency-Key": "k"})
        for _ in range(2)
    ]
    assert [r.status_code for r in retried] == [201, 201]
    listed = json.loads(_call(api, "GET", "/documents/terms").body)["items"]
    assert [d["version"] for d in listed] == [1, 2, 3]
    assert json.loads(_call(api, "GET", "/documents/terms/2").body)["text"] == "Villkor 2"
    assert _call(api, "PUT", "/form", a_form()).status_code == 201
    got = json.loads(_call(api, "GET", "/form").body)
    assert got["version"] == 1 and got["form"] == a_form()
