"""The HTTP side: the ON-API under `/onapi/2.6/` (HTTP Basic), the portal under `/portal`
(no auth) and the control endpoints tests use: `GET /_emulator/health`,
`GET /_emulator/calls`, `POST /_emulator/reset`, and `POST /_emulator/faults` with
`{"count": 1, "status": 503, "body": "...", "content_type": "text/html", "delay_s": 0,
"dribble_interval_ms": 0}` (the next `count` API calls answer that way; without `status`
they answer normally, after `delay_s` and/or one byte per `dribble_interval_ms`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.local.emulator.transport import EmulatorHandler

from . import protocol
from .config import EmulatorConfig
from .network import API_PATH, Network
from .portal import (
    HTML_TYPE,
    PAGE_HEADERS,
    address,
    chooser_page,
    hand_over_params,
    page,
    redirect_location,
    valid_return_url,
)

CONTROL_PREFIX = "/_emulator/"


class OnApiState:
    """The network, the call record and the queued faults; reset() starts over."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.network = Network(config)

    def reset(self) -> None:
        with self._lock:
            self.network = Network(self.config)
            self._calls.clear()
            self.faults.clear()

    def add_faults(self, fault: dict[str, Any]) -> None:
        with self._lock:
            self.faults.extend([fault] * max(int(fault.get("count", 1)), 1))

    def take_fault(self) -> dict[str, Any] | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def record(self, kind: str, **fields: Any) -> None:
        entry: dict[str, Any] = {"kind": kind}
        entry["at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        entry.update(fields)
        with self._lock:
            entry["seq"] = len(self._calls) + 1
            self._calls.append(entry)

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._calls]


class OnApiHandler(EmulatorHandler):
    @property
    def state(self) -> OnApiState:
        state: OnApiState = self.server.state  # type: ignore[assignment]
        return state

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def _route(self, verb: str) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX):
            self._control(verb, url.path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        elif url.path in ("/portal", "/portal/choose") and verb == "GET":
            self._portal(url.path, dict(parse_qsl(url.query, keep_blank_values=True)))
        elif url.path.startswith(API_PATH):
            self._api(verb, url.path.removeprefix(API_PATH), dict(parse_qsl(url.query)))
        else:
            self._send(protocol.refuse(501, "Unknown API endpoint"))

    # --- ON-API --------------------------------------------------------------------------

    def _authorized(self) -> bool:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        expected = self.state.config.api
        user_ok = hmac.compare_digest(user, expected.user.encode())
        password_ok = hmac.compare_digest(password, expected.password.encode())
        return user_ok and password_ok

    def _api(self, verb: str, path: str, query: dict[str, str]) -> None:
        state = self.state
        body = (self.read_body() or b"") if verb in ("POST", "PUT", "PATCH") else b""
        record: dict[str, Any] = {"method": verb, "path": API_PATH + path, "query": query}
        if verb == "POST":
            record["request"] = _json_or_none(body)
        if ims := self.headers.get("If-Modified-Since"):
            record["if_modified_since"] = ims
        if not self._authorized():
            state.record("api", **record, status=401, fault=None)
            reply = protocol.refuse(401, "Invalid credentials")
            self._send(reply, {"WWW-Authenticate": 'Basic realm="on-api"'})
            return
        fault = state.take_fault()
        if fault is not None and fault.get("delay_s") and self.pause(float(fault["delay_s"])):
            return
        if fault is not None and fault.get("status"):
            status = int(fault["status"])
            state.record("api", **record, status=status, fault="status")
            raw = str(fault.get("body", "")).encode()
            self.reply(status, raw, str(fault.get("content_type", "text/html; charset=utf-8")))
            return
        network = state.network
        with network.lock:
            network.advance()
            reply = self._dispatch(network, verb, path, query, body)
        state.record("api", **record, status=reply.status, fault="slow" if fault else None)
        dribble_ms = fault.get("dribble_interval_ms") if fault else None
        self._send(reply, dribble_interval_s=float(dribble_ms) / 1000 if dribble_ms else None)

    def _dispatch(
        self, network: Network, verb: str, path: str, query: dict[str, str], body: bytes
    ) -> protocol.Reply:
        endpoint, _, key = path.strip("/").partition("/")
        one = key or None
        ims = self.headers.get("If-Modified-Since")
        routes = {
            ("GET", "services"): lambda: protocol.services(network, one),
            ("GET", "orders"): lambda: (
                protocol.order(network, key)
                if key
                else protocol.unfinished_orders(network, query.get("accessId"))
            ),
            ("POST", "orders"): lambda: protocol.place(network, body),
            ("DELETE", "orders"): lambda: protocol.cancel(network, key),
            ("GET", "orderevents"): lambda: protocol.order_events(network, query.get("since")),
            ("GET", "accesses"): lambda: protocol.accesses(network, one, ims),
        }
        handler = routes.get((verb, endpoint))
        if handler is None or (verb == "POST" and key) or (verb == "DELETE" and not key):
            return protocol.refuse(501, f"{verb} {endpoint} is not implemented")
        return handler()

    def _send(
        self,
        reply: protocol.Reply,
        extra: dict[str, str] | None = None,
        dribble_interval_s: float | None = None,
    ) -> None:
        headers = {**reply.headers, **(extra or {})}
        self.reply(reply.status, reply.body, protocol.JSON_TYPE, headers, dribble_interval_s)

    # --- portal --------------------------------------------------------------------------

    def _portal(self, path: str, query: dict[str, str]) -> None:
        state, config = self.state, self.state.config
        peer = self.client_address[0]
        acting_as = address(peer) if path == "/portal" else address(query.get("as", ""))
        return_url = query.get("return_url", "")
        record = {"path": path, "peer": peer, "as_address": acting_as}
        if not valid_return_url(return_url):
            state.record("portal", **record, access_id=None, status=400)
            self._page(400, "Ogiltig begäran: return_url måste vara en http(s)-adress.")
            return
        access_id = config.visitors.get(acting_as or "")
        if access_id is None:
            if path == "/portal":
                state.record("portal", **record, access_id=None, status=200)
                self.reply(200, chooser_page(config, peer, return_url), HTML_TYPE, PAGE_HEADERS)
            else:
                state.record("portal", **record, access_id=None, status=400)
                self._page(400, "Adressen finns inte bland demoadresserna.")
            return
        location = redirect_location(return_url, hand_over_params(config, access_id))
        state.record("portal", **record, access_id=access_id, status=302)
        self.reply(
            302, page("Vidarebefordrar", ""), HTML_TYPE, {**PAGE_HEADERS, "Location": location}
        )

    def _page(self, status: int, text: str) -> None:
        body = page("Fel", f"<h1>Fel</h1>\n<p>{html.escape(text)}</p>")
        self.reply(status, body, HTML_TYPE, PAGE_HEADERS)

    # --- control -------------------------------------------------------------------------

    def _control(self, verb: str, route: str) -> None:
        state = self.state
        if (verb, route) == ("GET", "health"):
            self._json(200, {"status": "ok"})
        elif (verb, route) == ("GET", "calls"):
            self._json(200, state.calls())
        elif (verb, route) == ("POST", "reset"):
            state.reset()
            self._json(200, {"status": "reset"})
        elif (verb, route) == ("POST", "faults"):
            fault = _json_or_none(self.read_body() or b"")
            if not isinstance(fault, dict):
                self._json(400, {"error": "body must be a JSON object"})
                return
            state.add_faults(fault)
            self._json(200, {"status": "queued"})
        else:
            self._json(404, {"error": f"no such emulator endpoint: {verb} {route}"})

    def _json(self, status: int, payload: Any) -> None:
        self.reply(status, json.dumps(payload, ensure_ascii=False).encode(), protocol.JSON_TYPE)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, RecursionError):
        return None
