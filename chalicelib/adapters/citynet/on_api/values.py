"""Reading ON-API replies: the verdict on an HTTP status and body (common/responses.md),
and tolerant readers for the values inside (common/dataformats.md).

How a status is read (docs/protocols/on-api.md, "Reading replies"):

- 2xx with a readable JSON body: `ok` (its shape is the caller's to check). 304: `ok`.
- 4xx with a JSON object body: `refused`, code = the status, message = its `cause`.
  401/403 are refusals even without a JSON body (the status alone says it). Any other 4xx
  without one (an HTML page of a proxy, an empty body) is `transient`: it is not the city
  network's answer. 408 and 429 are always `transient`.
- 5xx and anything unreadable: `transient`.

The readers never raise: a missing value, a wrong type or an unreadable one is None.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ....domain.citynet import Outcome
from .models import is_id

# A hostile or broken server must not fill our audit trail (the spec's text is 255 max).
MAX_TEXT = 1000
_ALWAYS_TRANSIENT_4XX = frozenset({408, 429})
_AUTH_STATUSES = frozenset({401, 403})


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    code: str | None
    message: str | None
    data: Any = None  # the parsed JSON of an ok reply (None for 204/304/empty)
    retry_after_s: int | None = None

    def fields(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "code": self.code, "message": self.message}


def judge(status: int, body: bytes, headers: Mapping[str, str]) -> Verdict:
    """Refused vs transient vs ok, before the shape of an ok body is looked at."""
    wait_s = retry_after(headers.get("retry-after"))
    parsed, readable = json_value(body)
    if 200 <= status < 300 or status == 304:
        if body.strip() and not readable:
            return Verdict("transient", "malformed_reply", "reply is not JSON", None, wait_s)
        return Verdict("ok", str(status), None, parsed, wait_s)
    reason = cause(parsed)
    if status >= 500 or status in _ALWAYS_TRANSIENT_4XX:
        message = reason or f"city network answered HTTP {status}"
        if wait_s is not None:
            message = f"{message} (retry after {wait_s} s)"
        return Verdict("transient", f"http_{status}", message, None, wait_s)
    if 400 <= status < 500:
        if isinstance(parsed, dict):
            message = reason or f"city network answered HTTP {status} without a cause"
            return Verdict("refused", str(status), message, None, wait_s)
        if status in _AUTH_STATUSES:
            message = "the city network refused our credentials"
            return Verdict("refused", str(status), message, None, wait_s)
        message = f"HTTP {status} without a readable reply"
        return Verdict("transient", f"http_{status}", message, None, wait_s)
    return Verdict("transient", f"http_{status}", f"unexpected HTTP {status}", None, wait_s)


def json_value(body: bytes) -> tuple[Any, bool]:
    """(parsed value, whether the body was JSON). NaN/Infinity are not JSON."""
    if not body.strip():
        return None, False
    try:
        return json.loads(body, parse_constant=_no_constant), True
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        return None, False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def cause(parsed: object) -> str | None:
    if isinstance(parsed, dict):
        return text(parsed.get("cause")) or text(parsed.get("message"))
    return None


def unexpected(what: str) -> dict[str, Any]:
    return {"outcome": "transient", "code": "unexpected_reply", "message": what}


def text(value: object, *, numbers: bool = False) -> str | None:
    """A stripped, cut string; None when absent, empty or not a string (or, with
    `numbers`, an integer: "streetNumber": 100 and "mduApartmentNumber": 1001 happen)."""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value.strip()[:MAX_TEXT] or None


def an_id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and is_id(value.strip()) else None


def last_segment(path: str | None) -> str | None:
    if not path:
        return None
    return an_id(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def moment(value: object) -> datetime | None:
    """dataformats.md dateTime (UTC, up to 4 decimals; a leap second reads as :59); a
    missing zone is UTC; "" and anything unreadable are None."""
    written = text(value)
    if written is None or len(written) > 40:
        return None
    if written[17:19] == "60":
        written = written[:17] + "59" + written[19:]
    try:
        parsed = datetime.fromisoformat(written)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def retry_after(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None  # an HTTP date is not worth parsing for a hint
    return min(int(value.strip()), 86_400)
