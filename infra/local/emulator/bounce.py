"""The city network's bounce server (docs/protocols/direct-activation.md, "Identification";
the signature is chalicelib.domain.identification's).

`GET /bounce?return_url=..&nonce=..` looks the visitor up by the real peer address of the
TCP connection (never a header) and redirects back with a signed result. An address the
configuration does not know gets a page to pick one of the configured visitors, which
`GET /bounce/choose?as=<address>&return_url=..&nonce=..` then acts as.
"""

from __future__ import annotations

import html
import ipaddress
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from chalicelib.domain.identification import BounceResult, bounce_signature

from .config import EmulatorConfig
from .transport import EmulatorHandler

HTML_TYPE = "text/html; charset=utf-8"
# The page needs nothing from anywhere, so it may load nothing from anywhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_NONCE = 200
MAX_RETURN_URL = 2000


def valid_return_url(url: str) -> bool:
    # Printable ASCII only: the value goes into a Location header, so CR/LF must never pass.
    if not url or len(url) > MAX_RETURN_URL or any(not 33 <= ord(c) < 127 for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def redirect_location(return_url: str, result: BounceResult, signature: str) -> str:
    params = {
        "status": result.status,
        "uid": result.uid,
        "message": result.message,
        "nonce": result.nonce,
        "expires": str(result.expires),
        "sig": signature,
    }
    # %20 rather than "+": every query decoder agrees on it.
    encoded = urlencode(params, quote_via=quote)
    parts = urlsplit(return_url)
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return parts._replace(query=query).geturl()


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}li{margin:.5rem 0}a{font-size:1.1rem}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


def chooser_page(config: EmulatorConfig, peer: str, return_url: str, nonce: str) -> bytes:
    items = []
    for address, outlet_id in config.visitors.items():
        link = "/bounce/choose?" + urlencode(
            {"as": address, "return_url": return_url, "nonce": nonce}, quote_via=quote
        )
        if outlet_id is None:
            label = f"{address}: inget uttag (inte kund i stadsnätet)"
        else:
            description = config.outlets[outlet_id].description
            label = f"{address}: uttag {outlet_id}" + (f", {description}" if description else "")
        items.append(f'<li><a href="{html.escape(link)}">{html.escape(label)}</a></li>')
    body = (
        "<h1>Välj vilket uttag du vill låtsas sitta bakom</h1>\n"
        f"<p>Det här är stadsnätets demoserver. Din adress ({html.escape(peer)}) finns inte "
        "bland demoadresserna, så välj en av dem nedan.</p>\n"
        f'<ul aria-label="Demoadresser">\n{"\n".join(items)}\n</ul>'
    )
    return _page("Välj uttag – demostadsnät", body)


class BounceHandler(EmulatorHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        peer = self.client_address[0]
        if url.path == "/bounce":
            acting_as = _address(peer)
        elif url.path == "/bounce/choose":
            acting_as = _address(query.get("as", ""))
        else:
            self._refuse(404, "Sidan finns inte.")
            return
        return_url = query.get("return_url", "")
        nonce = query.get("nonce", "")
        state = self.server.state
        config = state.config
        record = {
            "method": url.path.lstrip("/"),
            "params": query,
            "peer": peer,
            "as_address": acting_as,
            "fault": None,
        }

        if not valid_return_url(return_url) or not nonce or len(nonce) > MAX_NONCE:
            state.record("bounce", **record, outlet=None, status=400, result="bad_request")
            self._refuse(
                400, "Ogiltig begäran: return_url måste vara en http(s)-adress och nonce krävs."
            )
            return

        settings = config.bounce
        expires = int(time.time()) + settings.ttl_s
        if settings.mode in ("error", "hang"):
            record["fault"] = settings.mode if settings.mode == "hang" else None
            result = BounceResult(
                status="error", message=settings.error_message, nonce=nonce, expires=expires
            )
        elif acting_as is not None and acting_as in config.visitors:
            outlet_id = config.visitors[acting_as]
            result = BounceResult(
                status="ok" if outlet_id else "not found",
                uid=outlet_id or "",
                nonce=nonce,
                expires=expires,
            )
        elif url.path == "/bounce":
            state.record("bounce", **record, outlet=None, status=200, result="chooser")
            self.reply(200, chooser_page(config, peer, return_url, nonce), HTML_TYPE, PAGE_HEADERS)
            return
        else:
            state.record("bounce", **record, outlet=None, status=400, result="bad_request")
            self._refuse(400, "Ogiltig begäran: adressen finns inte bland demoadresserna.")
            return

        outlet = result.uid or None
        state.record("bounce", **record, outlet=outlet, status=302, result=result.status)
        if settings.mode == "hang" and self.pause(settings.hang_s):
            return
        signature = bounce_signature(settings.secret.encode(), result, return_url=return_url)
        location = redirect_location(return_url, result, signature)
        body = _page("Vidarebefordrar", f'<p><a href="{html.escape(location)}">Fortsätt</a></p>')
        self.reply(302, body, HTML_TYPE, {**PAGE_HEADERS, "Location": location})

    def _refuse(self, status: int, text: str) -> None:
        body = _page("Fel", f"<h1>Fel</h1>\n<p>{html.escape(text)}</p>")
        self.reply(status, body, HTML_TYPE, PAGE_HEADERS)
