"""Signed bounce results (docs/protocols/direct-activation.md, "Identification").

The portal sends the browser to `<bounce_url>?return_url=<url>&nonce=<nonce>`. The bounce
server redirects back to `return_url` with the query parameters
`status`, `uid`, `message`, `nonce`, `expires` (Unix seconds) and `sig`, where `sig` is the
hex HMAC-SHA256, under the secret shared with that city network, of the JSON array
`["v1", status, uid, message, nonce, expires]` (compact separators, UTF-8). JSON makes the
encoding unambiguous whatever the values contain.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pydantic import BaseModel, ConfigDict


class BounceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    uid: str = ""
    message: str = ""
    nonce: str
    expires: int


def bounce_signature(secret: bytes, result: BounceResult) -> str:
    payload = json.dumps(
        ["v1", result.status, result.uid, result.message, result.nonce, str(result.expires)],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, result: BounceResult, signature: str) -> bool:
    return hmac.compare_digest(bounce_signature(secret, result), signature)
