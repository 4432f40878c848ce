"""Delivers one webhook attempt over HTTP(S), safely.

- The URL is vetted by the guard before every attempt (a provider's DNS may change).
- We connect to a vetted address ourselves, never to a fresh DNS answer (DNS rebinding),
  while the request keeps `Host: <hostname>` and TLS verifies the certificate for the hostname.
- Redirects are never followed: a 3xx could point anywhere, so it is a failed attempt.
- One wall-clock deadline covers the DNS lookup, connect, TLS, request and response; a
  watchdog shuts the socket at the deadline, so a server that drips bytes (or a DNS server
  that answers slowly) cannot hold a worker.
- Network trouble is a result, never an exception: the caller records every attempt.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from contextlib import suppress
from datetime import UTC
from email.utils import parsedate_to_datetime
from functools import cache
from math import ceil

from pydantic import BaseModel, ConfigDict

from chalicelib.adapters.dns import Resolver, resolve_host, within
from chalicelib.adapters.webhooks.guard import (
    CheckedTarget,
    IPAddress,
    UnresolvableWebhookHost,
    UnsafeWebhookUrl,
    check_webhook_url,
)

USER_AGENT = "Stadsnatsfabriken-Webhooks/1"
# Framing and routing headers are ours to set; a caller's value could split or misroute it.
_CALLER_MAY_NOT_SET = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "content-type", "user-agent"}
)
_DRAIN_CHUNK = 8192


class DeliveryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    status_code: int | None = None
    latency_ms: int
    # Stable short codes: "http_<status>", "redirect", "timeout", "connection_refused",
    # "connection_error", "tls_certificate", "tls_error", "bad_response", "dns_error",
    # "unsafe_url:<reason>", "invalid_request".
    error: str | None = None
    retry_after_s: int | None = None
    # 410 Gone: the provider says this endpoint is retired; stop retrying it.
    gone: bool = False


class WebhookSender:
    def __init__(
        self,
        timeout_s: float = 10.0,
        max_response_bytes: int = 64 * 1024,
        allow_insecure: bool = False,
        resolver: Resolver = resolve_host,
        ssl_context: ssl.SSLContext | None = None,
        reserved_ports: frozenset[int] = frozenset(),
    ) -> None:
        self._timeout_s = timeout_s
        self._reserved_ports = reserved_ports
        self._max_response_bytes = max_response_bytes
        self._allow_insecure = allow_insecure
        self._resolver = resolver
        self._ssl_context = ssl_context

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        started = time.monotonic()
        deadline = started + self._timeout_s

        def result(**fields: object) -> DeliveryResult:
            latency_ms = int((time.monotonic() - started) * 1000)
            return DeliveryResult.model_validate({"latency_ms": latency_ms, **fields})

        try:
            # The lookup is part of the attempt: it spends the same deadline.
            resolver = within(self._resolver, deadline - time.monotonic())
            target = check_webhook_url(
                url,
                allow_insecure=self._allow_insecure,
                resolver=resolver,
                reserved_ports=self._reserved_ports,
            )
        except UnresolvableWebhookHost:
            return result(ok=False, error="dns_error")
        except UnsafeWebhookUrl as exc:
            return result(ok=False, error=f"unsafe_url:{exc.reason}")

        request_headers = {k: v for k, v in headers.items() if k.lower() not in _CALLER_MAY_NOT_SET}
        request_headers.update(
            {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close"}
        )
        outcome = _Attempt(target, self._tls_context(target), deadline, self._max_response_bytes)
        return result(**outcome.run(body, request_headers))

    def _tls_context(self, target: CheckedTarget) -> ssl.SSLContext | None:
        if target.scheme != "https":
            return None
        return self._ssl_context or default_tls_context()


@cache
def default_tls_context() -> ssl.SSLContext:
    try:
        import certifi  # requests' CA bundle; the same trust as the rest of the project

        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _PinnedConnection(http.client.HTTPConnection):
    """Speaks to `address` while the request line and Host header name the URL's host."""

    def __init__(self, target: CheckedTarget, address: IPAddress, timeout: float) -> None:
        super().__init__(target.hostname, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTLSConnection(_PinnedConnection):
    def __init__(
        self, target: CheckedTarget, address: IPAddress, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(target, address, timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()
        # SNI and certificate check use the hostname, whatever address we dialled.
        tls = self._context.wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self.sock = tls  # before the handshake, so the watchdog can cut a slow one
        tls.do_handshake()


class _Attempt:
    """One POST within one deadline; `run` returns DeliveryResult fields."""

    def __init__(
        self,
        target: CheckedTarget,
        tls_context: ssl.SSLContext | None,
        deadline: float,
        max_response_bytes: int,
    ) -> None:
        self._target = target
        self._tls_context = tls_context
        self._deadline = deadline
        self._max_response_bytes = max_response_bytes
        self._conn: http.client.HTTPConnection | None = None
        self._expired = threading.Event()

    def run(self, body: bytes, headers: dict[str, str]) -> dict[str, object]:
        watchdog = threading.Timer(max(self._remaining(), 0.0), self._cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._exchange(body, headers)
        except TimeoutError:
            return {"ok": False, "error": "timeout"}
        except ssl.SSLCertVerificationError:
            return {"ok": False, "error": self._or_timeout("tls_certificate")}
        except ssl.SSLError:
            return {"ok": False, "error": self._or_timeout("tls_error")}
        except ConnectionRefusedError:
            return {"ok": False, "error": self._or_timeout("connection_refused")}
        except http.client.HTTPException:
            return {"ok": False, "error": self._or_timeout("bad_response")}
        except OSError:
            return {"ok": False, "error": self._or_timeout("connection_error")}
        except ValueError:
            # http.client refuses control characters in a header or the request target.
            return {"ok": False, "error": "invalid_request"}
        finally:
            watchdog.cancel()
            if self._conn is not None:
                self._conn.close()

    def _exchange(self, body: bytes, headers: dict[str, str]) -> dict[str, object]:
        conn = self._connect()
        conn.request("POST", self._target.request_target, body=body, headers=headers)
        response = conn.getresponse()
        if self._expired.is_set():
            # The watchdog's cut ended the head early; http.client reads that as its end.
            raise TimeoutError
        status = response.status
        retry_after_s = parse_retry_after(response.getheader("Retry-After"), time.time())
        self._drain(response)
        fields: dict[str, object] = {"status_code": status, "retry_after_s": retry_after_s}
        if 200 <= status < 300:
            return {**fields, "ok": True}
        if 300 <= status < 400:
            return {**fields, "ok": False, "error": "redirect"}
        return {**fields, "ok": False, "error": f"http_{status}", "gone": status == 410}

    def _connect(self) -> http.client.HTTPConnection:
        # Every address is vetted; try them in the resolver's order like a normal client.
        last_error: OSError | None = None
        for address in self._target.addresses:
            remaining = self._remaining()
            if remaining <= 0:
                raise TimeoutError
            conn = self._connection(address, remaining)
            self._conn = conn
            try:
                conn.connect()
                return conn
            except ssl.SSLError:
                raise
            except OSError as exc:
                conn.close()
                if self._expired.is_set():
                    raise
                last_error = exc
        assert last_error is not None  # the guard never returns a target without addresses
        raise last_error

    def _connection(self, address: IPAddress, timeout: float) -> http.client.HTTPConnection:
        if self._tls_context is None:
            return _PinnedConnection(self._target, address, timeout)
        return _PinnedTLSConnection(self._target, address, timeout, self._tls_context)

    def _drain(self, response: http.client.HTTPResponse) -> None:
        """Read (and drop) the body up to the cap or the deadline; the status already counts."""
        read = 0
        try:
            while read < self._max_response_bytes and self._remaining() > 0:
                chunk = response.read1(min(_DRAIN_CHUNK, self._max_response_bytes - read))
                if not chunk:
                    return
                read += len(chunk)
        except (OSError, http.client.HTTPException):
            return

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _cut(self) -> None:
        self._expired.set()
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            # The plain socket call: SSLSocket.shutdown would also tear down TLS state
            # that the worker thread is using.
            with suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def _or_timeout(self, error: str) -> str:
        return "timeout" if self._expired.is_set() else error


def parse_retry_after(value: str | None, now: float) -> int | None:
    """Retry-After as whole seconds from `now` (epoch seconds); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        try:
            return int(value)
        except ValueError:  # more digits than int() accepts from text
            return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, ceil(when.timestamp() - now))
