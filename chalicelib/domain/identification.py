"""Signed bounce results (docs/protocols/direct-activation.md, "Identification").

The portal sends the browser to `<bounce_url>?return_url=<url>&nonce=<nonce>`. The bounce
server redirects back to `return_url` with the query parameters
`status`, `uid`, `message`, `nonce`, `expires` (Unix seconds) and `sig`, where `sig` is the
hex HMAC-SHA256, under the secret shared with that city network, of the JSON array
`["v2", status, uid, message, nonce, expires, return_url]` (compact separators, UTF-8).
JSON makes the encoding unambiguous whatever the values contain.

`return_url` is signed although it is not sent back: the callback arrives at it, and the
portal checks the signature with the return URL it sent itself. A result the bounce server
sent anywhere else (a request built with another `return_url`) does not verify, so it
cannot be carried to the portal and replayed there.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pydantic import BaseModel, ConfigDict

SIGNATURE_VERSION = "v2"


class BounceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    uid: str = ""
    message: str = ""
    nonce: str
    expires: int


def bounce_signature(secret: bytes, result: BounceResult, *, return_url: str) -> str:
    """The signature of `result` as sent to `return_url`."""
    payload = json.dumps(
        [
            SIGNATURE_VERSION,
            result.status,
            result.uid,
            result.message,
            result.nonce,
            str(result.expires),
            return_url,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def signature_matches(
    secret: bytes, result: BounceResult, signature: str, *, return_url: str
) -> bool:
    """Whether `signature` is the city network's for `result` sent to `return_url`."""
    return hmac.compare_digest(bounce_signature(secret, result, return_url=return_url), signature)
