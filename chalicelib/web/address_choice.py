"""The access a visitor chose in the address search, carried from page to page in the URL
and the order form as a signed token (the session cookie is not ours to extend here).

`<base64url JSON [city network id, access id, expiry]>.<base64url HMAC-SHA256>` under the
app's signing key, the MAC bound to this session's CSRF secret: a token cannot be edited
to name another access, made up, or carried into another browser. It only says the
visitor chose this access from our search; each step still checks that the directory
lists it (domain/address_orders.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from .session import SESSION_TTL_S, Session

PARAMETER = "choice"  # its name in the URL and in the order form
MAX_TOKEN_CHARS = 400
_PURPOSE = b"address-choice:"


@dataclass(frozen=True)
class ChosenAccess:
    city_network_id: str
    access_id: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, session: Session, payload: bytes) -> bytes:
    csrf = session.csrf.encode()
    # Length-prefixed: (secret, payload) pairs cannot be confused with one another.
    message = _PURPOSE + len(csrf).to_bytes(4, "big") + csrf + payload
    return hmac.new(key, message, hashlib.sha256).digest()


def choice_token(
    key: bytes, session: Session, city_network_id: str, access_id: str, now_epoch: int
) -> str:
    expires = min(session.expires, now_epoch + SESSION_TTL_S)
    payload = json.dumps([city_network_id, access_id, expires], separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, session, payload))}"


def read_choice_token(
    key: bytes, session: Session | None, token: str | None, now_epoch: int
) -> ChosenAccess | None:
    """The choice a token names, if we signed it for this session and it has not expired."""
    if session is None or not token or len(token) > MAX_TOKEN_CHARS or "." not in token:
        return None
    body, _, signature = token.partition(".")
    try:
        payload, mac = _unb64(body), _unb64(signature)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(mac, _mac(key, session, payload)):
        return None
    try:
        network, access, expires = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not (isinstance(network, str) and isinstance(access, str) and isinstance(expires, int)):
        return None
    return ChosenAccess(network, access, expires) if expires >= now_epoch else None
