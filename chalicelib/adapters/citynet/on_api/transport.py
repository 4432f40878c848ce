"""One ON-API exchange (any method, JSON body, request and reply headers) under the same
guarantees as `bounded_http.bounded_get`: a wall-clock deadline over DNS, connect, TLS and
the whole body (its watchdog), a reply size cap, no redirects, no proxy from the
environment, and faults named without URL or credentials.

`bounded_get` only does GET with a query and returns no headers; ON-API needs POST and
DELETE with JSON, `If-Modified-Since` and the `Last-Modified`, `Location` and
`Retry-After` of the reply. This reuses its watchdog, body reader and session instead of
copying them; when `bounded_http` grows a general request function this module becomes a
call to it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field

import requests

from ..bounded_http import (
    _WATCHDOG,
    HttpFault,
    _declared_length,
    _read_body,
    _timeout,
    _Watchdog,
    send,
)
from ..bounded_http import new_session as _new_watched_session

__all__ = ["HttpFault", "OnApiReply", "bounded_request", "new_session"]


@dataclass(frozen=True, slots=True)
class OnApiReply:
    status: int
    body: bytes
    # Header names in lower case; only the few the client reads are kept.
    headers: Mapping[str, str] = field(default_factory=dict)


_KEPT_HEADERS = ("content-type", "last-modified", "location", "retry-after")


# Sent with every request, whatever session the client was given.
_HEADERS = {"Accept": "application/json", "User-Agent": "stadsnatsfabriken-onapi/2.6"}


def new_session() -> requests.Session:
    """A pooled session whose connections the deadline watchdog can cut."""
    return _new_watched_session()


def bounded_request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    auth: tuple[str, str],
    deadline_s: float,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    json_body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> OnApiReply:
    """Send one request; return status, body and the kept headers, or raise HttpFault.

    A 304 is a reply (accesses' "not modified"); any other 3xx is the `redirect` fault."""
    deadline = time.monotonic() + deadline_s
    watchdog = _Watchdog(deadline_s)
    token = _WATCHDOG.set(watchdog)
    response: requests.Response | None = None
    try:
        try:
            response = _send(
                session,
                method,
                url,
                auth=auth,
                deadline_s=deadline_s,
                params=params,
                json_body=json_body,
                headers=headers,
            )
            status = response.status_code
            if 300 <= status < 400 and status != 304:
                raise HttpFault("redirect", f"city network answered HTTP {status} (redirect)")
            declared = _declared_length(response)
            if declared is not None and declared > max_bytes:
                raise HttpFault("reply_too_large", f"reply declares {declared} bytes")
            body = _read_body(response, deadline=deadline, max_bytes=max_bytes)
            kept = {
                name: value
                for name in _KEPT_HEADERS
                if (value := response.headers.get(name)) is not None
            }
        except HttpFault as fault:
            late = watchdog.fired or time.monotonic() >= deadline
            if fault.fault in {"connection_error", "tls_error"} and late:
                raise _timeout(deadline_s) from None
            raise
        if watchdog.disarm() or time.monotonic() > deadline:
            raise _timeout(deadline_s)
        return OnApiReply(status=status, body=body, headers=kept)
    finally:
        _WATCHDOG.reset(token)
        if watchdog.disarm() and response is not None:
            with suppress(Exception):
                response.raw.close()  # its socket is shut down: never back to the pool
        if response is not None:
            response.close()


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    auth: tuple[str, str],
    deadline_s: float,
    params: Mapping[str, str] | None,
    json_body: bytes | None,
    headers: Mapping[str, str] | None,
) -> requests.Response:
    sent_headers = {**_HEADERS, **(headers or {})}
    if json_body is not None:
        sent_headers["Content-Type"] = "application/json"
    return send(
        session,
        method,
        url,
        params=list(params.items()) if params else None,
        auth=auth,
        deadline_s=deadline_s,
        data=json_body,
        headers=sent_headers,
    )
