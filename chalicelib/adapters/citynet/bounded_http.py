"""One HTTP GET bounded by a wall-clock deadline and a reply size cap.

requests' `timeout` bounds each socket operation, not the exchange: a server that sends one
byte a second never trips it. So the body is streamed, elapsed time and size are checked
after every piece, and a watchdog shuts the socket down at the deadline to end a read that
would otherwise block. Known gap: the status line and headers are only bounded per socket
read (http.client reads them before we get a response object to watch).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import requests
import urllib3.exceptions

_CHUNK_BYTES = 16 * 1024

# Everything the transport can raise while talking to a misbehaving peer. ValueError covers
# reads on a socket the watchdog has just closed.
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


class _Watchdog:
    """Shuts the reply's socket down at the deadline, unless disarmed first."""

    def __init__(self, response: requests.Response, delay_s: float) -> None:
        self._response = response
        self._lock = threading.Lock()
        self._armed = True
        self.fired = False
        self._timer = threading.Timer(delay_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._armed:
                return
            self.fired = True
            with suppress(Exception):
                self._response.raw.shutdown()

    def disarm(self) -> bool:
        """Stops the watchdog; True if it fired (the connection must not be reused)."""
        with self._lock:
            self._armed = False
        self._timer.cancel()
        return self.fired


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
    redirect, reply_too_large, ...). Never reads more than `max_bytes` + one chunk."""
    deadline = time.monotonic() + deadline_s
    response: requests.Response | None = None
    watchdog: _Watchdog | None = None
    try:
        response = _send(session, url, params=params, auth=auth, deadline_s=deadline_s)
        status = response.status_code
        if 300 <= status < 400:
            # A redirect could point anywhere; we only talk to the configured API URL.
            raise HttpFault("redirect", f"city network answered HTTP {status} (redirect)")
        declared = _declared_length(response)
        if declared is not None and declared > max_bytes:
            raise HttpFault("reply_too_large", f"reply declares {declared} bytes")
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timeout(deadline_s)
        watchdog = _Watchdog(response, left)
        body = _read_body(response, deadline=deadline, deadline_s=deadline_s, max_bytes=max_bytes)
        if watchdog.disarm() or time.monotonic() > deadline:
            # A shut-down socket can read as a clean end of the body.
            raise _timeout(deadline_s)
        return HttpReply(status=status, body=body)
    finally:
        if watchdog is not None and watchdog.disarm() and response is not None:
            with suppress(Exception):
                response.raw.close()  # its socket is shut down: never back to the pool
        if response is not None:
            response.close()


def _send(
    session: requests.Session,
    url: str,
    *,
    params: Sequence[tuple[str, str]],
    auth: tuple[str, str] | None,
    deadline_s: float,
) -> requests.Response:
    try:
        return session.get(
            url,
            params=list(params),
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


def _read_body(
    response: requests.Response, *, deadline: float, deadline_s: float, max_bytes: int
) -> bytes:
    body = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK_BYTES):
            body += chunk
            if len(body) > max_bytes:
                raise HttpFault("reply_too_large", f"reply exceeds {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise _timeout(deadline_s)
    except _TRANSPORT_ERRORS as error:
        if time.monotonic() >= deadline:
            raise _timeout(deadline_s) from None
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
