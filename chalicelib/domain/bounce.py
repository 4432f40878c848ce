"""Judging a bounce callback (docs/protocols/direct-activation.md, "Identification").

Pure: the caller looks up the nonce it issued (with the address and return URL it was issued
for) and the secret, and records the nonce as used; this module only decides. A callback
binds the browser to an outlet only when every check passes; anything else leaves the
visitor unidentified with a reason that is safe to log (it never contains the uid or the
message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .identification import BounceResult, signature_matches

# Bounds that keep a hostile query string cheap to judge.
MAX_NONCE = 200
MAX_UID = 100
MAX_MESSAGE = 500
# Matched whole (fullmatch: "$" would allow a trailing newline) and ASCII only ("\d" takes
# any script's digits): the text that is signed is exactly the text that was sent.
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_EXPIRES = re.compile(r"0|[1-9][0-9]{0,11}")
_UID = re.compile(r"[\x21-\x7e]{1,100}")


class Rejection(StrEnum):
    """Why a callback did not identify the visitor. Values are log-safe."""

    MALFORMED = "malformed"
    UNKNOWN_NONCE = "unknown_nonce"
    BAD_SIGNATURE = "bad_signature"
    OTHER_BROWSER = "nonce_of_another_browser"
    OTHER_ADDRESS = "callback_from_another_address"
    OTHER_RETURN_URL = "callback_at_another_return_url"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    NOT_FOUND = "not_found"
    ERROR = "error"
    UNKNOWN_STATUS = "unknown_status"


# The rejections that say the visitor's own identification went astray (its connection
# changed, or the callback reached us elsewhere than we sent the bounce server back to):
# worth explaining to the visitor, not just logging.
BINDING_REJECTIONS = frozenset({Rejection.OTHER_ADDRESS, Rejection.OTHER_RETURN_URL})


@dataclass(frozen=True)
class Binding:
    """Where a nonce belongs: the visitor's address (API Gateway's sourceIp) and the exact
    return URL the bounce server was given. Recorded when the nonce is issued; the callback
    must arrive from the same address at the same URL."""

    address: str
    return_url: str


@dataclass(frozen=True)
class SignedCallback:
    result: BounceResult
    signature: str


@dataclass(frozen=True)
class Verdict:
    access_id: str | None
    rejection: Rejection | None

    @property
    def identified(self) -> bool:
        return self.access_id is not None


def read_callback(query: Mapping[str, str]) -> SignedCallback | None:
    """The callback's parameters, or None when they cannot be a bounce result at all."""
    nonce = query.get("nonce", "")
    expires = query.get("expires", "")
    signature = query.get("sig", "")
    status = query.get("status", "")
    uid = query.get("uid", "")
    message = query.get("message", "")
    if not nonce or len(nonce) > MAX_NONCE or not status or len(status) > 20:
        return None
    if not _EXPIRES.fullmatch(expires) or not _SIGNATURE.fullmatch(signature):
        return None
    if len(uid) > MAX_UID or len(message) > MAX_MESSAGE:
        return None
    if not all(_utf8(value) for value in (status, uid, message, nonce)):
        return None  # a lone surrogate: no bounce server sent it, and it cannot be signed
    result = BounceResult(
        status=status, uid=uid, message=message, nonce=nonce, expires=int(expires)
    )
    return SignedCallback(result=result, signature=signature)


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def judge_callback(
    callback: SignedCallback,
    *,
    secret: bytes,
    browser_nonce: str | None,
    issued: Binding,
    arrived: Binding,
    now_epoch: int,
    record_first_use: Callable[[], bool],
) -> Verdict:
    """Decide a callback whose nonce we issued. The signature is checked with the return URL
    the nonce was `issued` for: a result the bounce server sent elsewhere does not verify.
    `browser_nonce` is the nonce this browser's pre-identification state carries
    (login-CSRF: a callback started in another browser must not bind this one); `arrived`
    is where the callback came from and to, which must be where the nonce was issued.
    `record_first_use` marks the nonce used and says whether it was the first use; it runs
    only for an authentic, timely callback in its place, so a forged or misplaced one
    cannot burn the nonce of the genuine one."""
    result = callback.result
    if not signature_matches(secret, result, callback.signature, return_url=issued.return_url):
        return Verdict(None, Rejection.BAD_SIGNATURE)
    if browser_nonce is None or browser_nonce != result.nonce:
        return Verdict(None, Rejection.OTHER_BROWSER)
    if arrived.address != issued.address:
        return Verdict(None, Rejection.OTHER_ADDRESS)
    if arrived.return_url != issued.return_url:
        return Verdict(None, Rejection.OTHER_RETURN_URL)
    if result.expires < now_epoch:
        return Verdict(None, Rejection.EXPIRED)
    if not record_first_use():
        return Verdict(None, Rejection.REPLAYED)
    if result.status == "not found":
        return Verdict(None, Rejection.NOT_FOUND)
    if result.status == "error":
        return Verdict(None, Rejection.ERROR)
    if result.status != "ok":
        return Verdict(None, Rejection.UNKNOWN_STATUS)
    if not _UID.fullmatch(result.uid):
        return Verdict(None, Rejection.MALFORMED)
    return Verdict(result.uid, None)
