"""Judging an ON-API web-portal hand-over (docs/protocols/on-api.md, "The web-portal
hand-over").

The city network's portal sends the visitor back to the return URL we gave it (ours, with
our nonce as `n`) and adds `ko`, `accessId`, `mac`, `tid` and `hash`: the lower-case hex
HMAC-SHA256, under the pre-shared key, of the UTF-8 bytes of ko + accessId + mac + tid
concatenated. The hash covers neither our nonce nor the return URL, so the binding to the
visitor is ours alone: the nonce this browser was given, from the address it was issued to,
at the URL it was issued with, an address of the network's, in time and once.

Pure, like domain/bounce.py: the caller looks up the nonce it issued and the key, and
records the hand-over as used; this module only decides. Rejections are safe to log: they
never carry the access id, the MAC address or the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .bounce import Binding

# How old a hand-over may be (the spec leaves the window to us), and how far ahead of our
# clock the portal's may run.
MAX_AGE = timedelta(minutes=5)
MAX_AHEAD = timedelta(minutes=1)
# Matched whole (fullmatch) and ASCII only ("\d" takes any script's digits).
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,200}")  # ours are token_urlsafe
# "coID" is not defined by dataformats.md; web_portal.md's example has an underscore.
_KO = re.compile(r"[-0-9A-Za-z._]{1,64}")
_ACCESS_ID = re.compile(r"[-0-9A-Za-z.]{1,36}")  # dataformats.md, ID
_MAC = re.compile(r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}")  # dataformats.md, macAddress
_HASH = re.compile(r"[0-9A-Fa-f]{64}")
# dataformats.md dateTime: UTC, RFC 3339, up to 4 decimals (we take up to 9); :60 is a
# leap second.
_TID = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z"
)


class PortalRejection(StrEnum):
    """Why a hand-over did not identify the visitor. Values are log-safe."""

    MALFORMED = "malformed"
    UNKNOWN_NONCE = "unknown_nonce"
    OTHER_KO = "other_ko"
    BAD_HASH = "bad_hash"
    STALE = "stale"
    FROM_THE_FUTURE = "from_the_future"
    OTHER_BROWSER = "nonce_of_another_browser"
    OTHER_ADDRESS = "hand_over_from_another_address"
    OTHER_RETURN_URL = "hand_over_at_another_return_url"
    OUTSIDE_THE_NETWORK = "address_outside_the_network"
    REPLAYED = "replayed"


# The rejections that say the visitor's own identification went astray: explained to the
# visitor (as domain.bounce.BINDING_REJECTIONS are), not just logged.
PORTAL_BINDING_REJECTIONS = frozenset(
    {
        PortalRejection.OTHER_ADDRESS,
        PortalRejection.OTHER_RETURN_URL,
        PortalRejection.OUTSIDE_THE_NETWORK,
    }
)


@dataclass(frozen=True)
class HandOver:
    """The hand-over's parameters as sent; `hash` in lower case. `repr` leaves out what
    names the outlet and the hash."""

    nonce: str
    ko: str
    access_id: str = field(repr=False)
    mac: str = field(repr=False)
    tid: str
    hash: str = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class PortalVerdict:
    access_id: str | None = field(repr=False)
    rejection: PortalRejection | None

    @property
    def identified(self) -> bool:
        return self.access_id is not None


def hand_over_hash(key: bytes, ko: str, access_id: str, mac: str, tid: str) -> str:
    """The portal's hash: HMAC-SHA256 over ko + accessId + mac + tid (UTF-8), lower hex."""
    return hmac.new(key, (ko + access_id + mac + tid).encode("utf-8"), hashlib.sha256).hexdigest()


def read_tid(tid: str) -> datetime | None:
    """`tid` as an aware UTC moment, or None when it is not a dateTime in UTC."""
    match = _TID.fullmatch(tid)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = (match.group(7) or "")[:6].ljust(6, "0")
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), int(fraction), tzinfo=UTC)
    except ValueError:
        return None


def read_hand_over(query: Mapping[str, str]) -> HandOver | None:
    """The hand-over's parameters, or None when they cannot be one of ours at all."""
    values = {name: query.get(name, "") for name in ("n", "ko", "accessId", "mac", "tid", "hash")}
    if not _NONCE.fullmatch(values["n"]) or not _KO.fullmatch(values["ko"]):
        return None
    if not _ACCESS_ID.fullmatch(values["accessId"]) or not _MAC.fullmatch(values["mac"]):
        return None
    if not _HASH.fullmatch(values["hash"]):
        return None
    created_at = read_tid(values["tid"])
    if created_at is None:
        return None
    return HandOver(
        nonce=values["n"],
        ko=values["ko"],
        access_id=values["accessId"],
        mac=values["mac"],
        tid=values["tid"],
        hash=values["hash"].lower(),
        created_at=created_at,
    )


def hash_matches(key: bytes, hand_over: HandOver) -> bool:
    expected = hand_over_hash(key, hand_over.ko, hand_over.access_id, hand_over.mac, hand_over.tid)
    return hmac.compare_digest(expected, hand_over.hash)


def judge_hand_over(
    hand_over: HandOver,
    *,
    key: bytes,
    expected_ko: str,
    browser_nonce: str | None,
    issued: Binding,
    arrived: Binding,
    in_the_network: bool,
    now: datetime,
    record_first_use: Callable[[], bool],
) -> PortalVerdict:
    """Decide a hand-over whose nonce we issued for a network whose `ko` is `expected_ko`
    and whose pre-shared key is `key`. `browser_nonce` is the nonce this browser's
    pre-identification state carries (login-CSRF); `arrived` is where the hand-over came
    from and to, which must be where the nonce was `issued`; `in_the_network` says whether
    that address is the network's. `record_first_use` marks the hand-over (its hash) used
    and says whether it was the first use; it runs only when every other check passed, so a
    forged or misplaced hand-over cannot burn the genuine one."""
    if not hmac.compare_digest(hand_over.ko.encode(), expected_ko.encode()):
        return PortalVerdict(None, PortalRejection.OTHER_KO)
    if not hash_matches(key, hand_over):
        return PortalVerdict(None, PortalRejection.BAD_HASH)
    if hand_over.created_at < now - MAX_AGE:
        return PortalVerdict(None, PortalRejection.STALE)
    if hand_over.created_at > now + MAX_AHEAD:
        return PortalVerdict(None, PortalRejection.FROM_THE_FUTURE)
    if browser_nonce is None or browser_nonce != hand_over.nonce:
        return PortalVerdict(None, PortalRejection.OTHER_BROWSER)
    if arrived.address != issued.address:
        return PortalVerdict(None, PortalRejection.OTHER_ADDRESS)
    if arrived.return_url != issued.return_url:
        return PortalVerdict(None, PortalRejection.OTHER_RETURN_URL)
    if not in_the_network:
        return PortalVerdict(None, PortalRejection.OUTSIDE_THE_NETWORK)
    if not record_first_use():
        return PortalVerdict(None, PortalRejection.REPLAYED)
    return PortalVerdict(hand_over.access_id, None)
