"""One HTTP GET bounded by a wall-clock deadline and a reply size cap.

requests' `timeout` bounds each socket operation, not the exchange: a server that sends one
byte a second (of headers or body) never trips it. So every call arms a watchdog that shuts
the connection's socket down at the deadline, whatever phase the exchange is in; the body is
streamed with the elapsed time and size checked after every piece. The watchdog learns the
socket from the connection class that `new_session()` mounts, which also looks the host
name up under the same deadline (DNS comes before there is a socket to cut).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..dns import Resolver, resolve_host, within

_CHUNK_BYTES = 16 * 1024

# Everything the transport can raise while talking to a misbehaving peer. ValueError covers
# reads on a socket the watchdog has just shut down.
_TRANSPORT_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes


class HttpFault(Exception):
    """No complete reply. `fault` is a short stable name; `description` is safe to log
    (no URL, no query string, no credentials)."""

    def __init__(self, fault: str, description: str) -> None:
        super().__init__(f"{fault}: {description}")
        self.fault = fault
        self.description = description


# --- the watchdog -----------------------------------------------------------------------


class _Watchdog:
    """Shuts the attached connection down at the deadline, unless disarmed first.

    It keeps a duplicate of the socket: the duplicate stays valid when TLS wraps (and
    detaches) the original, and shutting it down ends the one connection both refer to.
    """

    def __init__(self, delay_s: float) -> None:
        self.deadline = time.monotonic() + delay_s
        self._lock = threading.Lock()
        self._armed = True
        self._socket: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(delay_s, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            if not self._armed:
                return
            self._release()
            with suppress(OSError):
                self._socket = sock.dup()
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                self.fired = True
                self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            with suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        if self._socket is not None:
            with suppress(OSError):
                self._socket.close()
            self._socket = None

    def disarm(self) -> bool:
        """Stops the watchdog; True if it fired (the connection must not be reused)."""
        self._timer.cancel()
        with self._lock:
            self._armed = False
            self._release()
        return self.fired


_WATCHDOG: ContextVar[_Watchdog | None] = ContextVar("citynet_watchdog", default=None)


def _watch(sock: socket.socket) -> None:
    watchdog = _WATCHDOG.get()
    if watchdog is not None:
        watchdog.attach(sock)


# The system resolver; tests hand in a stalling one.
_resolve: Resolver = resolve_host


def _connect_within_deadline(
    connection: HTTPConnection, connect: Callable[[], socket.socket]
) -> socket.socket:
    """`connect()` with the host name looked up under the watchdog's deadline first.

    urllib3 would resolve inside `connect()`, where the watchdog has no socket to cut yet.
    Each address is then dialled in the resolver's order, as urllib3 does; the connection
    keeps the host name, so the Host header and TLS still name the city network's host.
    """
    watchdog = _WATCHDOG.get()
    host = connection._dns_host
    if watchdog is None or _is_address(host):
        return connect()
    try:
        addresses = within(_resolve, watchdog.deadline - time.monotonic())(host, connection.port)
    except TimeoutError:
        raise urllib3.exceptions.ConnectTimeoutError(
            connection, "the DNS lookup did not finish in time"
        ) from None
    except socket.gaierror as error:
        raise urllib3.exceptions.NameResolutionError(connection.host, connection, error) from None
    failure: urllib3.exceptions.NewConnectionError | None = None
    for address in addresses:
        connection._dns_host = address
        try:
            return connect()
        except urllib3.exceptions.NewConnectionError as error:
            failure = error
        finally:
            connection._dns_host = host
    raise failure or urllib3.exceptions.NewConnectionError(connection, "no address to dial")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = _connect_within_deadline(self, super()._new_conn)
        _watch(sock)  # before the TLS handshake, which can be dribbled too
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _watch(self.sock)  # a pooled connection, connected by an earlier call
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = _connect_within_deadline(self, super()._new_conn)
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


def new_session() -> requests.Session:
    """A pooled session whose connections the deadline watchdog can cut."""
    session = requests.Session()
    # The API URL is allow-listed to our egress addresses: no proxy or .netrc from the
    # environment may change where, or as whom, we connect.
    session.trust_env = False
    adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# --- the call ---------------------------------------------------------------------------


def bounded_get(
    session: requests.Session,
    url: str,
    *,
    params: Sequence[tuple[str, str]],
    auth: tuple[str, str] | None,
    deadline_s: float,
    max_bytes: int,
) -> HttpReply:
    """GET `url` and return status and body, or raise HttpFault (timeout, connection_error,
    redirect, reply_too_large, ...). Never holds more than `max_bytes` + one chunk.

    The wall-clock deadline covers every phase only on a `new_session()` session; on any
    other session it is checked between body chunks and bounds each socket read."""
    deadline = time.monotonic() + deadline_s
    watchdog = _Watchdog(deadline_s)
    token = _WATCHDOG.set(watchdog)
    response: requests.Response | None = None
    try:
        try:
            response = send(session, "GET", url, params=params, auth=auth, deadline_s=deadline_s)
            status = response.status_code
            if 300 <= status < 400:
                # A redirect could point anywhere; we only talk to the configured API URL.
                raise HttpFault("redirect", f"city network answered HTTP {status} (redirect)")
            declared = _declared_length(response)
            if declared is not None and declared > max_bytes:
                raise HttpFault("reply_too_large", f"reply declares {declared} bytes")
            body = _read_body(response, deadline=deadline, max_bytes=max_bytes)
        except HttpFault as fault:
            # A connection cut by the watchdog (or dying at the deadline) is a timeout.
            late = watchdog.fired or time.monotonic() >= deadline
            if fault.fault in {"connection_error", "tls_error"} and late:
                raise _timeout(deadline_s) from None
            raise
        if watchdog.disarm() or time.monotonic() > deadline:
            # A shut-down socket can read as a clean end of the body.
            raise _timeout(deadline_s)
        return HttpReply(status=status, body=body)
    finally:
        _WATCHDOG.reset(token)
        if watchdog.disarm() and response is not None:
            with suppress(Exception):
                response.raw.close()  # its socket is shut down: never back to the pool
        if response is not None:
            response.close()


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Sequence[tuple[str, str]] | None,
    auth: tuple[str, str] | None,
    deadline_s: float,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """One request under the caller's watchdog, streamed and never redirected; every
    transport failure as an HttpFault that names no URL."""
    try:
        return session.request(
            method,
            url,
            params=list(params) if params else None,
            data=data,
            headers=dict(headers) if headers else None,
            auth=auth,
            timeout=(deadline_s, deadline_s),
            stream=True,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise _timeout(deadline_s) from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as error:
        raise HttpFault("invalid_url", type(error).__name__) from None
    except requests.exceptions.InvalidSchema:
        raise HttpFault("invalid_url", "unsupported URL scheme") from None
    except requests.exceptions.SSLError:
        raise HttpFault("tls_error", "TLS handshake or certificate check failed") from None
    except _TRANSPORT_ERRORS as error:
        # str(error) would carry the URL and query string: name the type only.
        raise HttpFault("connection_error", f"could not connect ({type(error).__name__})") from None


def _read_body(response: requests.Response, *, deadline: float, max_bytes: int) -> bytes:
    body = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK_BYTES):
            body += chunk
            if len(body) > max_bytes:
                raise HttpFault("reply_too_large", f"reply exceeds {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise HttpFault("timeout", "deadline passed while reading")
    except _TRANSPORT_ERRORS as error:
        raise HttpFault(
            "connection_error", f"reply broken off while reading ({type(error).__name__})"
        ) from None
    return bytes(body)


def _declared_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None  # urllib3 enforces it while reading; the byte count decides


def _timeout(deadline_s: float) -> HttpFault:
    return HttpFault("timeout", f"no complete reply within {deadline_s:g} s")
