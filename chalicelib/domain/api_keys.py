"""Provider API keys: issued once, stored only as SHA-256 hashes, revocable at once.

A key is ``sfk_`` + base64url(32 random bytes) without padding. Only its hex SHA-256 is
stored, so a leaked table does not leak working keys. A plain (unsalted) hash is enough
here because the keys carry 256 bits of randomness: there is nothing to brute-force.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from .clock import Clock
from .errors import InvalidInput, Unauthorized
from .ports import ApiKeyRecord, ApiKeyStore

KEY_PREFIX = "sfk_"
# Keys we did not generate (DEMO_API_KEY for the local stack) must still be hard to guess
# and safe to put in a header.
_GIVEN_KEY = re.compile(r"^[!-~]{20,200}$")
# Anything longer is not one of our keys; refusing early avoids hashing megabytes.
_MAX_PRESENTED_CHARS = 200
_UNAUTHORIZED = "a valid x-api-key header is required"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    raw = secrets.token_bytes(32)
    return KEY_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def issue_api_key(
    store: ApiKeyStore,
    provider_id: str,
    label: str,
    clock: Clock,
    key: str | None = None,
) -> tuple[str, ApiKeyRecord]:
    """Create a key for `provider_id` and return it with its record. The key is returned
    here and never again: the caller shows it once."""
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise InvalidInput("label must be 1 to 100 characters", details={"field": "label"})
    if key is None:
        key = new_api_key()
    elif not _GIVEN_KEY.match(key):
        raise InvalidInput(
            "a given key must be 20 to 200 printable ASCII characters without spaces",
            details={"field": "key"},
        )
    record = ApiKeyRecord(
        key_id="key_" + secrets.token_hex(6),
        key_hash=hash_api_key(key),
        provider_id=provider_id,
        label=label,
        created_at=clock.now(),
    )
    store.add_key(record)
    return key, record


def authenticate(store: ApiKeyStore, presented_key: str | None) -> str:
    """The provider id owning `presented_key`. Missing, unknown and revoked keys are
    indistinguishable to the caller (one message), and the key never appears in it."""
    if not presented_key or len(presented_key) > _MAX_PRESENTED_CHARS:
        raise Unauthorized(_UNAUTHORIZED)
    record = store.find_by_hash(hash_api_key(presented_key))
    if record is None or record.revoked_at is not None:
        raise Unauthorized(_UNAUTHORIZED)
    return record.provider_id


def list_api_keys(store: ApiKeyStore, provider_id: str) -> list[ApiKeyRecord]:
    return sorted(store.keys_of_provider(provider_id), key=lambda r: (r.created_at, r.key_id))


def revoke_api_key(store: ApiKeyStore, provider_id: str, key_id: str, clock: Clock) -> None:
    """Effective on the next request: authentication reads the record every time."""
    store.revoke(provider_id, key_id, clock.now())
