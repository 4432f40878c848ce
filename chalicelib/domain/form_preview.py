"""The signed address of a provider's extension form preview (customer web
`GET /preview/form/<provider id>`): an HMAC under the app's signing key over the provider,
the form version and an expiry, so only the provider (who got it from the API) can open it,
only for that version, and not for ever. Which category it is shown with is not signed:
every category's composition of the same form may be looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

PREVIEW_TTL = timedelta(days=7)
PREVIEW_PATH = "/preview/form/"
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")
_NUMBER = re.compile(r"[1-9][0-9]{0,11}")


def _signature(key: bytes, provider_id: str, version: int, expires: int) -> str:
    signed = f"form-preview:{provider_id}:{version}:{expires}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def preview_url(
    key: bytes, provider_id: str, version: int, now: datetime, base_url: str | None = None
) -> str:
    """Absolute under `base_url` (the public customer web), else root-relative."""
    expires = int((now + PREVIEW_TTL).timestamp())
    query = urlencode(
        {
            "version": version,
            "expires": expires,
            "sig": _signature(key, provider_id, version, expires),
        }
    )
    return f"{(base_url or '').rstrip('/')}{PREVIEW_PATH}{quote(provider_id)}?{query}"


def verified_version(
    key: bytes, provider_id: str, query: dict[str, str], now: datetime
) -> int | None:
    """The form version a preview address names, if we signed it for this provider and it
    has not expired; None for anything else."""
    version, expires, signature = (query.get(n, "") for n in ("version", "expires", "sig"))
    if not (_NUMBER.fullmatch(version) and _NUMBER.fullmatch(expires)):
        return None
    if not _SIGNATURE.fullmatch(signature):
        return None
    expected = _signature(key, provider_id, int(version), int(expires))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return int(version) if int(expires) >= now.timestamp() else None
