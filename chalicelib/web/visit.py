"""One request of the customer web: its session, language, parameters and how its
responses look.

The visitor's address is API Gateway's `sourceIp` and nothing else: any forwarding header
is the visitor's to set, the request context is not.

Ambiguity is refused, not resolved, here for every route (as api/pipeline.py does for the
provider API): a query parameter or a form field given twice is a 400 page before any flow
runs (which of the two would a proxy, a log, the CSRF check or the validator have seen?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from chalice.app import Request, Response

from ..domain.errors import InvalidInput
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
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
_UTF_8 = frozenset({"utf-8", "utf8"})


def header(request: Request, name: str, default: str | None = None) -> str | None:
    headers = request.headers
    value = headers.get(name) if headers is not None else None
    return default if value is None else str(value)


def source_ip(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def query(request: Request) -> dict[str, str]:
    """The query parameters, bounded; InvalidInput (a 400 page) for one given twice."""
    params = request.query_params
    result: dict[str, str] = {}
    if params is None:
        return result
    repeated = sorted(str(name) for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise InvalidInput(f"query parameter given more than once: {', '.join(repeated)[:200]}")
    for name in list(params)[:30]:
        values = params.getlist(name)
        if values:
            result[str(name)] = str(values[0])[:2000]
    return result


def read_form(request: Request) -> dict[str, list[str]] | None:
    """A POST's form fields (one value each), None for another method or a body too large
    (the order form answers that 413). InvalidInput (a 400 page) for a field given twice,
    more than MAX_FORM_FIELDS, or a body that is not declared a form in UTF-8.

    Bytes that are not UTF-8, sent raw or percent-encoded (`%C3%28`), become U+FFFD, which
    the form validation refuses as a field error on that field (domain/forms/validation.py).
    """
    if request.method != "POST":
        return None
    _check_form_content_type(header(request, "content-type") or "")
    raw = request.raw_body or b""
    body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(body) > MAX_FORM_BYTES:
        return None
    if body.count(b"&") + 1 > MAX_FORM_FIELDS:
        raise InvalidInput(f"form body has more than {MAX_FORM_FIELDS} fields")
    fields: dict[str, list[str]] = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        key = _form_text(name)
        if key in fields:
            raise InvalidInput("form field given more than once")
        fields[key] = [_form_text(value)]
    return fields


def _check_form_content_type(content_type: str) -> None:
    """The one body we read: a form, in UTF-8 (declared so or not declared).

    Another charset is refused rather than decoded as declared: our pages are UTF-8, so a
    browser posting our form sends UTF-8 (the HTML standard's rule for a form without
    accept-charset), and a body in another charset was not sent from our page. Decoding as
    declared would hand a codec name of the visitor's choosing to Python's codec registry
    (utf-7, or text codecs that do not even round-trip) for no visitor of ours.
    """
    media, *parameters = (part.strip() for part in content_type.split(";"))
    if media.lower() != FORM_MEDIA_TYPE:
        raise InvalidInput("the body is not declared a form (one media type)")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF_8:
            raise InvalidInput("the form body is declared in a charset other than UTF-8")


def _form_text(encoded: bytes) -> str:
    return unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8", errors="replace")


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
    # A POST's fields, read once with the web's rules (read_form); None for a GET.
    form: dict[str, list[str]] | None = None
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
    form = read_form(request)
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
        form=form,
    )
    explicit = as_language(params.get("lang"))
    if explicit and (session is None or session.language != explicit):
        # An explicit choice outlives the request; the browser's preference needs no keeping.
        visit.keep(replace(visit.ensure_session(), language=explicit))
    return visit
