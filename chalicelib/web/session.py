"""The visitor's session: one signed cookie, never trusted unless its HMAC and expiry hold.

Compact JSON, base64url, then `.` and the base64url HMAC-SHA256 under the app's signing key.
It carries the identified access (only ever written after a verified bounce), the
pre-identification nonce that binds a bounce callback to this browser (login-CSRF), the
secret behind the form's CSRF token and its signed submission ids, and what this visit
already learned from the city network (one `port_status`, one `service_deliverable` per
offer), so reloads make no calls.
Those answers are typed (PortAnswer, DeliverabilityAnswer, CachedCall); their one- and
two-letter aliases keep the cookie small.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..domain.citynet import CallResult, Outcome
from ..domain.models import Deliverability, IdentifiedBy

COOKIE_NAME = "sf_session"
SESSION_TTL_S = 2 * 3600
PRE_IDENTIFICATION_TTL_S = 5 * 60
# How long a rendered order form may be sent: as long as the session lasts at most.
SUBMISSION_TTL_S = SESSION_TTL_S
# Browsers drop cookies above 4096 bytes; keep a margin for the attributes.
MAX_COOKIE_VALUE = 3800
MAX_CACHED_OFFERS = 12
MAX_TEXT = 300
_IDENTIFIED_BY: tuple[IdentifiedBy, ...] = get_args(IdentifiedBy)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, data: bytes) -> bytes:
    # "<purpose>:" keeps a MAC made for one use from being accepted for another.
    return hmac.new(key, purpose.encode() + b":" + data, hashlib.sha256).digest()


def clip(value: str | None) -> str | None:
    return None if value is None else value[:MAX_TEXT]


class _Compact(BaseModel):
    """A cookie entry: frozen, written under its short aliases, defaults left out."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    def compact(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)


class CachedCall(_Compact):
    """One city-network call of this visit, kept for the order's audit trail."""

    method: str = Field(alias="m")
    outcome: Outcome = Field(alias="o")
    code: str | None = Field(default=None, alias="c")
    message: str | None = Field(default=None, alias="t")
    duration_ms: int = Field(alias="d")

    @classmethod
    def of(cls, call: CallResult) -> CachedCall:
        return cls(
            method=call.method,
            outcome=call.outcome,
            code=clip(call.code),
            message=clip(call.message),
            duration_ms=call.duration_ms,
        )

    def call(self) -> CallResult:
        return CallResult(
            method=self.method,
            outcome=self.outcome,
            code=self.code,
            message=self.message,
            duration_ms=self.duration_ms,
        )


class PortAnswer(_Compact):
    """What the session keeps of one port_status: little, to stay well under 4 KB."""

    message: str | None = Field(default=None, alias="m")
    # The services already on the port (their uids), to mark those offers as active.
    service_uids: tuple[str, ...] = Field(default=(), alias="s")
    # port_status did not answer: the offers are shown, the port is unknown.
    unknown: bool = Field(default=False, alias="u")
    call: CachedCall | None = Field(default=None, alias="call")


class DeliverabilityAnswer(_Compact):
    """One offer's service_deliverable: deliverable, or not deliverable and why."""

    deliverable: bool = Field(alias="ok")
    reason_code: str | None = Field(default=None, alias="code")
    message_sv: str | None = Field(default=None, alias="sv")
    # None when it is the Swedish text (a city network's own 5xx message): kept once.
    message_en: str | None = Field(default=None, alias="en")
    call: CachedCall | None = Field(default=None, alias="call")

    @classmethod
    def of(cls, answer: Deliverability, call: CallResult | None) -> DeliverabilityAnswer:
        same = answer.customer_message_en == answer.customer_message
        return cls(
            deliverable=answer.deliverable,
            reason_code=clip(answer.reason_code),
            message_sv=clip(answer.customer_message),
            message_en=None if same else clip(answer.customer_message_en),
            call=CachedCall.of(call) if call is not None else None,
        )

    def answer(self) -> Deliverability:
        return Deliverability(
            deliverable=self.deliverable,
            reason_code=self.reason_code,
            customer_message=self.message_sv,
            customer_message_en=self.message_en or self.message_sv,
        )


@dataclass(frozen=True)
class Identified:
    city_network_id: str
    access_id: str
    issued: int
    by: IdentifiedBy = "bounce"


@dataclass(frozen=True)
class Session:
    csrf: str
    expires: int
    identified: Identified | None = None
    # Set once the visitor has been through identification (or opted out of it), so the
    # landing page does not bounce again on every visit.
    settled: bool = False
    pre_nonce: str | None = None
    pre_expires: int = 0
    language: str | None = None
    # What the city network answered this visit, see offers.py and order_form.py.
    port: PortAnswer | None = None
    deliverability: dict[str, DeliverabilityAnswer] = field(default_factory=dict)

    @classmethod
    def new(cls, now_epoch: int) -> Session:
        return cls(csrf=secrets.token_urlsafe(16), expires=now_epoch + SESSION_TTL_S)

    def pending_nonce(self, now_epoch: int) -> str | None:
        return self.pre_nonce if self.pre_nonce and self.pre_expires >= now_epoch else None

    def with_deliverability(self, offer_id: str, entry: DeliverabilityAnswer) -> Session:
        cached = {k: v for k, v in self.deliverability.items() if k != offer_id}
        cached[offer_id] = entry
        # Oldest first (dicts keep insertion order): drop the oldest beyond the cap.
        while len(cached) > MAX_CACHED_OFFERS:
            cached.pop(next(iter(cached)))
        return replace(self, deliverability=cached)

    def identify(self, who: Identified, now_epoch: int) -> Session:
        """A fresh session for the identified visitor: a new CSRF secret (nothing obtained
        before identification carries over) and no cached answers of another outlet."""
        return Session(
            csrf=secrets.token_urlsafe(16),
            expires=now_epoch + SESSION_TTL_S,
            identified=who,
            settled=True,
            language=self.language,
        )

    def unidentified(self) -> Session:
        return replace(
            self,
            identified=None,
            settled=True,
            pre_nonce=None,
            pre_expires=0,
            port=None,
            deliverability={},
        )


def _to_json(session: Session) -> dict[str, Any]:
    data: dict[str, Any] = {"c": session.csrf, "x": session.expires}
    if session.identified:
        who = session.identified
        data["i"] = [who.city_network_id, who.access_id, who.issued]
        if who.by != "bounce":
            data["i"].append(who.by)
    if session.settled:
        data["s"] = 1
    if session.pre_nonce:
        data["n"] = [session.pre_nonce, session.pre_expires]
    if session.language:
        data["l"] = session.language
    if session.port is not None:
        data["p"] = session.port.compact()
    if session.deliverability:
        data["d"] = {k: v.compact() for k, v in session.deliverability.items()}
    return data


def _from_json(data: Any) -> Session | None:
    if not isinstance(data, dict):
        return None
    try:
        identified = None
        if "i" in data:
            network, access, issued, *by = data["i"]
            how = by[0] if by else "bounce"
            if how not in _IDENTIFIED_BY or len(by) > 1:
                return None
            identified = Identified(str(network), str(access), int(issued), how)
        nonce, nonce_expires = data.get("n") or (None, 0)
        cached = data.get("d") or {}
        if not isinstance(cached, dict):
            return None
        deliverability = {str(k): DeliverabilityAnswer.model_validate(v) for k, v in cached.items()}
        port = PortAnswer.model_validate(data["p"]) if data.get("p") is not None else None
        return Session(
            csrf=str(data["c"]),
            expires=int(data["x"]),
            identified=identified,
            settled=bool(data.get("s")),
            pre_nonce=str(nonce) if nonce else None,
            pre_expires=int(nonce_expires),
            language=str(data["l"]) if "l" in data else None,
            port=port,
            deliverability=deliverability,
        )
    except (KeyError, TypeError, ValueError, ValidationError):
        return None


def encode_session(session: Session, key: bytes) -> str:
    while True:
        payload = json.dumps(_to_json(session), separators=(",", ":"), ensure_ascii=False).encode()
        value = f"{_b64(payload)}.{_b64(_mac(key, 'session', payload))}"
        if len(value) <= MAX_COOKIE_VALUE or not (session.deliverability or session.port):
            return value
        # Too big: forget the oldest cached answer; it is only a cache.
        if session.deliverability:
            session = replace(
                session, deliverability=dict(list(session.deliverability.items())[1:])
            )
        else:
            session = replace(session, port=None)


def decode_session(value: str | None, key: bytes, now_epoch: int) -> Session | None:
    """The session if `value` is ours, untampered and unexpired; else None."""
    if not value or len(value) > 2 * MAX_COOKIE_VALUE or "." not in value:
        return None
    payload_text, _, mac_text = value.partition(".")
    try:
        payload = _unb64(payload_text)
        mac = _unb64(mac_text)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(mac, _mac(key, "session", payload)):
        return None
    try:
        session = _from_json(json.loads(payload))
    except ValueError:
        return None
    if session is None or session.expires < now_epoch:
        return None
    return session


def cookie_value(cookie_header: str | None, name: str = COOKIE_NAME) -> str | None:
    """One cookie from a Cookie header, tolerant of anything else the header holds."""
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def set_cookie_header(value: str, *, secure: bool, max_age: int = SESSION_TTL_S) -> str:
    attributes = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
    attributes.append("SameSite=Lax")
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


# --- tokens derived from the session or the key ----------------------------------------


def csrf_token(session: Session, key: bytes) -> str:
    return _b64(_mac(key, "csrf", session.csrf.encode()))


def _same(expected: str, given: str | None) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, which visitors can send.
    given_bytes = (given or "").encode("utf-8", "surrogatepass")
    return bool(given) and hmac.compare_digest(expected.encode(), given_bytes)


def csrf_token_matches(session: Session, key: bytes, token: str | None) -> bool:
    return _same(csrf_token(session, key), token)


def receipt_token(key: bytes, order_id: str) -> str:
    return _b64(_mac(key, "receipt", order_id.encode()))


def receipt_token_matches(key: bytes, order_id: str, token: str | None) -> bool:
    return _same(receipt_token(key, order_id), token)


def receipt_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    """One rendering of an order form, as its signed token names it."""

    id: str
    expires: int


_SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_EPOCH = re.compile(r"[1-9][0-9]{0,11}")


def _submission_mac(
    key: bytes, session: Session, offer_id: str, submission_id: str, expires: int
) -> str:
    signed = json.dumps([session.csrf, offer_id, submission_id, expires], separators=(",", ":"))
    return _b64(_mac(key, "submission", signed.encode()))


def submission_token(session: Session, key: bytes, offer_id: str, now_epoch: int) -> str:
    """The order form's submission id: a random id of ours, signed with the offer and an
    expiry and bound to this session, so a client cannot choose one."""
    submission_id = secrets.token_urlsafe(18)
    expires = now_epoch + SUBMISSION_TTL_S
    mac = _submission_mac(key, session, offer_id, submission_id, expires)
    return f"{submission_id}.{expires}.{mac}"


def read_submission_token(
    session: Session, key: bytes, offer_id: str, token: str | None, now_epoch: int
) -> Submission | None:
    """The submission a token names, if we issued it to this session for this offer and it
    has not expired; None for anything else."""
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token or "") > 200:
        return None
    submission_id, expires_text, mac = parts
    if not _SUBMISSION_ID.fullmatch(submission_id) or not _EPOCH.fullmatch(expires_text):
        return None
    expires = int(expires_text)
    if not _same(_submission_mac(key, session, offer_id, submission_id, expires), mac):
        return None
    return Submission(submission_id, expires) if expires >= now_epoch else None


def submission_key(session: Session, submission_id: str) -> str:
    """The dedupe key of one rendered form, bound to the session that rendered it."""
    owner = hashlib.sha256(session.csrf.encode()).hexdigest()[:16]
    return f"submission:{owner}:{submission_id}"
