"""API keys: shown once, stored as SHA-256 only, several per provider, revocable."""

from __future__ import annotations

import base64
import hashlib

import pytest

from chalicelib.adapters.memory.store import InMemoryApiKeyStore
from chalicelib.domain.api_keys import (
    authenticate,
    issue_api_key,
    list_api_keys,
    revoke_api_key,
)
from chalicelib.domain.errors import InvalidInput, NotFound, Unauthorized
from tests.fakes import PROVIDER_ID, FixedClock


@pytest.fixture
def store() -> InMemoryApiKeyStore:
    return InMemoryApiKeyStore()


def test_issued_key_is_sfk_and_32_random_bytes_in_base64url(store: InMemoryApiKeyStore) -> None:
    key, _ = issue_api_key(store, "prov-a", "ci", FixedClock())
    assert key.startswith("sfk_")
    assert "=" not in key
    assert len(base64.urlsafe_b64decode(key[4:] + "=")) == 32
    assert key != issue_api_key(store, "prov-a", "ci", FixedClock())[0]


def test_only_the_sha256_of_the_key_is_stored(store: InMemoryApiKeyStore) -> None:
    clock = FixedClock()
    key, record = issue_api_key(store, "prov-a", "billing system", clock)
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in record.model_dump_json()
    assert (record.label, record.created_at) == ("billing system", clock.now())
    assert record.revoked_at is None
    assert store.find_by_hash(record.key_hash) == record


def test_authenticate_returns_the_owning_provider(store: InMemoryApiKeyStore) -> None:
    key_a, _ = issue_api_key(store, "prov-a", "a", FixedClock())
    key_b, _ = issue_api_key(store, "prov-b", "b", FixedClock())
    assert authenticate(store, key_a) == "prov-a"
    assert authenticate(store, key_b) == "prov-b"


@pytest.mark.parametrize("presented", [None, "", "sfk_never-issued", "sfk_" + "x" * 500])
def test_missing_or_unknown_key_is_unauthorized(
    store: InMemoryApiKeyStore, presented: str | None
) -> None:
    with pytest.raises(Unauthorized) as raised:
        authenticate(store, presented)
    assert raised.value.message == "a valid x-api-key header is required"


def test_a_provider_may_hold_several_keys_and_revoke_one(store: InMemoryApiKeyStore) -> None:
    clock = FixedClock()
    old, old_record = issue_api_key(store, "prov-a", "old", clock)
    clock.advance(days=1)
    new, _ = issue_api_key(store, "prov-a", "new", clock)
    revoke_api_key(store, "prov-a", old_record.key_id, clock)
    with pytest.raises(Unauthorized) as raised:
        authenticate(store, old)
    assert old not in str(raised.value)
    assert authenticate(store, new) == "prov-a"
    listed = list_api_keys(store, "prov-a")
    assert [(r.label, r.revoked_at is not None) for r in listed] == [("old", True), ("new", False)]


def test_revoking_another_providers_key_is_not_found(store: InMemoryApiKeyStore) -> None:
    _, record = issue_api_key(store, "prov-a", "a", FixedClock())
    with pytest.raises(NotFound):
        revoke_api_key(store, "prov-b", record.key_id, FixedClock())
    assert list_api_keys(store, "prov-a")[0].revoked_at is None


def test_a_given_key_is_used_as_is(store: InMemoryApiKeyStore) -> None:
    given = "demo-key-for-the-local-stack"
    key, _ = issue_api_key(store, PROVIDER_ID, "demo", FixedClock(), key=given)
    assert key == given
    assert authenticate(store, key) == PROVIDER_ID


@pytest.mark.parametrize("key", ["short", "has spaces in the middle of it", "ä" * 30])
def test_a_weak_or_unsafe_given_key_is_refused(store: InMemoryApiKeyStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        issue_api_key(store, PROVIDER_ID, "demo", FixedClock(), key=key)
    assert list_api_keys(store, PROVIDER_ID) == []


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_label_must_be_1_to_100_characters(store: InMemoryApiKeyStore, label: str) -> None:
    with pytest.raises(InvalidInput):
        issue_api_key(store, "prov-a", label, FixedClock())
