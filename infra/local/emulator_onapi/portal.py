"""The city network's web portal hand-over (spec_sp/web_portal.md).

`GET /portal?return_url=<the provider's URL>` looks the visitor up by the real peer
address of the connection (never a header) and redirects to `return_url` with `ko`,
`accessId`, `mac`, `tid` and `hash`. An address the configuration does not know gets a
page to pick a demo visitor, which `GET /portal/choose?as=<address>&return_url=..` acts as.

The hash (the spec names the values and their order but no separator): HMAC-SHA256 with
the pre-shared key over the UTF-8 bytes of ko + accessId + mac + tid, concatenated with
nothing between them, before any URL encoding, as lower-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

from .config import EmulatorConfig

HTML_TYPE = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_RETURN_URL = 2000


def portal_hash(key: bytes, ko: str, access_id: str, mac: str, tid: str) -> str:
    message = (ko + access_id + mac + tid).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def hand_over_params(
    config: EmulatorConfig, access_id: str, now: datetime | None = None
) -> dict[str, str]:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    tid = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    mac = config.accesses[access_id].mac
    key = config.portal.key.encode("utf-8")
    return {
        "ko": config.ko,
        "accessId": access_id,
        "mac": mac,
        "tid": tid,
        "hash": portal_hash(key, config.ko, access_id, mac, tid),
    }


def valid_return_url(url: str) -> bool:
    # Printable ASCII only: the value goes into a Location header, so CR/LF must never pass.
    if not url or len(url) > MAX_RETURN_URL or any(not 33 <= ord(c) < 127 for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def redirect_location(return_url: str, params: dict[str, str]) -> str:
    encoded = urlencode(params, quote_via=quote)
    parts = urlsplit(return_url)
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return parts._replace(query=query).geturl()


def address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    ).encode()


def chooser_page(config: EmulatorConfig, peer: str, return_url: str) -> bytes:
    items = []
    for visitor, access_id in config.visitors.items():
        link = "/portal/choose?" + urlencode({"as": visitor, "return_url": return_url})
        description = config.accesses[access_id].description
        label = f"{visitor}: uttag {access_id}" + (f", {description}" if description else "")
        items.append(f'<li><a href="{html.escape(link)}">{html.escape(label)}</a></li>')
    body = (
        "<h1>Välj vilket uttag du vill låtsas sitta bakom</h1>\n"
        f"<p>Det här är stadsnätets demoportal (ON-API). Din adress ({html.escape(peer)}) "
        "finns inte bland demoadresserna, så välj en av dem.</p>\n"
        f'<ul aria-label="Demoadresser">\n{"\n".join(items)}\n</ul>'
    )
    return page("Välj uttag – demostadsnät (ON-API)", body)
