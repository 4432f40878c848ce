"""The Direct Activation API server, plus the control endpoints tests use:
`GET /_emulator/health`, `GET /_emulator/calls`, `POST /_emulator/reset`,
`PUT /_emulator/config` (JSON body, the whole configuration)."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .config import METHODS, ConfigError, Refusal, parse_config
from .protocol import Reply, answer, failure, malformed
from .transport import EmulatorHandler

JSON_TYPE = "application/json"
CONTROL_PREFIX = "/_emulator/"


class ApiHandler(EmulatorHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX):
            self._control("GET", url.path)
        else:
            self._direct_activation(dict(parse_qsl(url.query, keep_blank_values=True)))

    def do_POST(self) -> None:
        self._control("POST", urlsplit(self.path).path)

    def do_PUT(self) -> None:
        self._control("PUT", urlsplit(self.path).path)

    # --- Direct Activation -----------------------------------------------------------------

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        expected = self.server.state.config.api
        # Both compared in full so the time taken says nothing about which one was wrong.
        user_ok = hmac.compare_digest(user, expected.user.encode())
        password_ok = hmac.compare_digest(password, expected.password.encode())
        return user_ok and password_ok

    def _direct_activation(self, params: dict[str, str]) -> None:
        state = self.server.state
        method = params.get("method", "")
        access_id = params.get("socket") or None
        root = method if method in METHODS else "error"
        if not self._authorized():
            reply = failure(root, Refusal(code=401))
            state.record(
                "api", method=method, params=params, outlet=access_id, status=401, fault=None
            )
            self.reply(
                reply.status,
                reply.body,
                reply.content_type,
                {"WWW-Authenticate": 'Basic realm="direct-activation"'},
            )
            return

        fault = state.take_fault(access_id, method) if method in METHODS else None
        if fault is None or fault.processes_call:
            reply = answer(state, method, params)
        else:
            reply = Reply(503, b"Service Unavailable\n", "text/plain; charset=utf-8")
        if fault is not None and fault.http_503:
            reply = Reply(503, b"Service Unavailable\n", "text/plain; charset=utf-8")
        elif fault is not None and fault.malformed_xml:
            reply = Reply(200, malformed(root))
        state.record(
            "api",
            method=method,
            params=params,
            outlet=access_id,
            status=reply.status,
            fault=",".join(fault.names()) if fault is not None else None,
        )

        if fault is not None:
            if fault.latency_ms and self.pause(fault.latency_ms / 1000):
                return
            if fault.hang and self.pause(fault.hang_s):
                return
        dribble = fault.dribble_interval_ms / 1000 if fault is not None and fault.dribble else None
        self.reply(reply.status, reply.body, reply.content_type, dribble_interval_s=dribble)

    # --- control ---------------------------------------------------------------------------

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.reply(status, body, JSON_TYPE)

    def _control(self, verb: str, path: str) -> None:
        state = self.server.state
        route = (verb, path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        if route == ("GET", "health"):
            self._json(200, {"status": "ok"})
        elif route == ("GET", "calls"):
            self._json(200, state.calls())
        elif route == ("POST", "reset"):
            state.reset()
            self._json(200, {"status": "reset"})
        elif route == ("PUT", "config"):
            self._replace_config()
        else:
            self._json(404, {"error": f"no such emulator endpoint: {verb} {path}"})

    def _replace_config(self) -> None:
        body = self.read_body()
        if body is None:
            self._json(400, {"error": "missing or too large body"})
            return
        try:
            config = parse_config(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._json(400, {"error": "body is not JSON"})
            return
        except ConfigError as error:
            self._json(400, {"error": str(error)})
            return
        self.server.state.configure(config)
        self._json(200, {"status": "configured"})
