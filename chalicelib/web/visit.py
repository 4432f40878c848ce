"""One request of the customer web: its session, language and how its responses look.

The visitor's address is API Gateway's `sourceIp` and nothing else: any forwarding header
is the visitor's to set, the request context is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from .i18n import Language, as_language, choose_language
from .pages import PageContext
from .session import (
    COOKIE_NAME,
    Session,
    cookie_value,
    decode_session,
    encode_session,
    set_cookie_header,
)

if TYPE_CHECKING:
    from ..composition import Adapters

HTML = "text/html; charset=utf-8"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages carry personal answers and per-visit tokens: never from a shared cache.
    "Cache-Control": "no-store",
}
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$")


def header(request: Request, name: str, default: str | None = None) -> str | None:
    headers = request.headers
    value = headers.get(name) if headers is not None else None
    return default if value is None else str(value)


def source_ip(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def query(request: Request) -> dict[str, str]:
    """Single-valued query parameters (the first of repeated ones), bounded."""
    params = request.query_params
    result: dict[str, str] = {}
    if params is None:
        return result
    for name in list(params)[:30]:
        values = params.getlist(name)
        if values:
            result[str(name)] = str(values[0])[:2000]
    return result


def over_https(request: Request, public_base_url: str | None) -> bool:
    forwarded = header(request, "x-forwarded-proto") or ""
    return (public_base_url or "").startswith("https://") or forwarded.lower() == "https"


def base_url(request: Request, public_base_url: str | None) -> str:
    if public_base_url:
        return public_base_url.rstrip("/")
    # Only without a configured URL (the local stack): the Host the browser used.
    host = header(request, "host") or ""
    if not _HOST.match(host):
        host = "127.0.0.1"
    return f"{'https' if over_https(request, None) else 'http'}://{host}"


@dataclass
class Visit:
    request: Request
    adapters: Adapters
    now: datetime
    session: Session | None
    language: Language
    query: dict[str, str]
    dirty: bool = False

    def base_url(self) -> str:
        return base_url(self.request, self.adapters.settings.public_base_url)

    @property
    def now_epoch(self) -> int:
        return int(self.now.timestamp())

    @property
    def source_ip(self) -> str:
        return source_ip(self.request)

    @property
    def path(self) -> str:
        context = self.request.context or {}
        return str(context.get("path") or context.get("resourcePath") or "/")

    def ensure_session(self) -> Session:
        if self.session is None:
            self.session = Session.new(self.now_epoch)
            if as_language(self.query.get("lang")):
                self.session = replace(self.session, language=self.query["lang"])
            self.dirty = True
        return self.session

    def keep(self, session: Session) -> None:
        self.session = session
        self.dirty = True

    def context(self, path: str | None = None) -> PageContext:
        return PageContext(language=self.language, path=path or self.path, query=self.query)

    def _headers(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        headers: dict[str, Any] = {**SECURITY_HEADERS, **(extra or {})}
        if self.dirty and self.session is not None:
            value = encode_session(self.session, self.adapters.signing_key)
            secure = over_https(self.request, self.adapters.settings.public_base_url)
            headers["Set-Cookie"] = set_cookie_header(value, secure=secure)
        return headers

    def html(self, body: str, status: int = 200) -> Response:
        return Response(
            body=body, status_code=status, headers=self._headers({"Content-Type": HTML})
        )

    def redirect(self, location: str, status: int = 302) -> Response:
        return Response(body="", status_code=status, headers=self._headers({"Location": location}))


def start_visit(request: Request, adapters: Adapters) -> Visit:
    now = adapters.clock.now()
    params = query(request)
    cookie = cookie_value(header(request, "cookie"), COOKIE_NAME)
    session = decode_session(cookie, adapters.signing_key, int(now.timestamp()))
    language = choose_language(
        params.get("lang"),
        session.language if session else None,
        header(request, "accept-language"),
    )
    visit = Visit(
        request=request,
        adapters=adapters,
        now=now,
        session=session,
        language=language,
        query=params,
    )
    explicit = as_language(params.get("lang"))
    if explicit and (session is None or session.language != explicit):
        # An explicit choice outlives the request; the browser's preference needs no keeping.
        visit.keep(replace(visit.ensure_session(), language=explicit))
    return visit
