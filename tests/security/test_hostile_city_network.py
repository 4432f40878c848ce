"""A hostile city network: XML bombs, external entities and oversize replies, on every
Direct Activation method, end as a typed transient result: never an exception, never a
file read or a URL fetched for the attacker, never the whole reply in memory.

The hostile HTTP server and the client settings are the integration suite's
(tests/integration/test_direct_activation_hostile.py); this file runs every attack through
every method, both in the pure parsers and over real HTTP.
"""

from __future__ import annotations

import gzip
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest

from chalicelib.adapters.citynet.direct_activation import (
    DirectActivationClient,
    parse_port_status,
    parse_service_deliverable,
    parse_service_order,
)
from chalicelib.domain.citynet import (
    CallResult,
    DeliverableResult,
    PortStatusResult,
    ServiceOrderResult,
)
from tests.integration.test_direct_activation_hostile import (
    BILLION_LAUGHS,
    CAP,
    DEADLINE_S,
    TEN_MIB,
    Behaviour,
    Handler,
    HostileServer,
    client_for,
    huge,
    serve,  # noqa: F401 (a fixture)
)

Call = Callable[[DirectActivationClient], CallResult]
METHODS: dict[str, tuple[Call, type[CallResult]]] = {
    "port_status": (lambda c: c.port_status("A-1"), PortStatusResult),
    "service_deliverable": (lambda c: c.service_deliverable("A-1", "BB100"), DeliverableResult),
    "service_order": (lambda c: c.service_order("A-1", "BB100", date.today()), ServiceOrderResult),
    "service_deactivate": (
        lambda c: c.service_deactivate("A-1", "BB100", date.today()),
        ServiceOrderResult,
    ),
}
PARSERS: dict[str, Callable[[bytes], CallResult]] = {
    "port_status": lambda body: parse_port_status(body, 200, access_id="A-1"),
    "service_deliverable": lambda body: parse_service_deliverable(body, 200),
    "service_order": lambda body: parse_service_order(body, 200),
    "service_deactivate": lambda body: parse_service_order(body, 200, method="service_deactivate"),
}


class Recorder:
    """An HTTP server that only records: an entity URL pointing here must never be fetched."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorder = self

        class Seen(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Seen)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


def reply(method: str, inner: str, *, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<{method}><status>success</status>'
        f"<response><message>{inner}</message></response></{method}>"
    ).encode()


def bombs(method: str, recorder_url: str) -> dict[str, bytes]:
    entity = "x" * 50_000
    return {
        "billion laughs": BILLION_LAUGHS.replace(b"service_order", method.encode()),
        "quadratic blowup": reply(
            method, "&a;" * 50_000, doctype=f'<!DOCTYPE r [<!ENTITY a "{entity}">]>'
        ),
        "external entity: /etc/passwd": reply(
            method, "&xxe;", doctype='<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        ),
        "external entity: URL": reply(
            method,
            "&xxe;",
            doctype=f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{recorder_url}/entity">]>',
        ),
        "parameter entity": reply(
            method,
            "",
            doctype=f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{recorder_url}/param"> %p;]>',
        ),
        "external DTD": reply(method, "", doctype=f'<!DOCTYPE r SYSTEM "{recorder_url}/dtd">'),
        "internal DTD only": reply(method, "", doctype="<!DOCTYPE r [<!ELEMENT r ANY>]>"),
    }


BOMB_NAMES = list(bombs("port_status", "http://127.0.0.1:9"))


def assert_typed_transient(result: CallResult, expected: type[CallResult], code: str) -> None:
    assert isinstance(result, expected)
    assert (result.outcome, result.code) == ("transient", code), result
    assert "root:" not in (result.message or "")  # nothing of /etc/passwd


@pytest.mark.parametrize("bomb", BOMB_NAMES)
@pytest.mark.parametrize("method", list(METHODS))
def test_parsers_refuse_every_bomb_with_a_typed_transient_result(
    recorder: Recorder, method: str, bomb: str
) -> None:
    result = PARSERS[method](bombs(method, recorder.url)[bomb])
    assert_typed_transient(result, METHODS[method][1], "forbidden_xml")
    assert recorder.paths == []


@pytest.mark.parametrize("bomb", BOMB_NAMES)
@pytest.mark.parametrize("method", list(METHODS))
def test_the_client_refuses_every_bomb_over_http(
    serve: Callable[[Behaviour], HostileServer],  # noqa: F811
    recorder: Recorder,
    method: str,
    bomb: str,
) -> None:
    body = bombs(method, recorder.url)[bomb]
    server = serve(lambda handler: handler.reply(200, body))
    call, expected = METHODS[method]
    result = call(client_for(server.url))
    assert_typed_transient(result, expected, "forbidden_xml")
    assert recorder.paths == []


def gzip_bomb(handler: Handler) -> None:
    # ~50 KiB on the wire, 50 MiB once inflated
    handler.reply(200, _GZIP_BOMB, headers={"Content-Encoding": "gzip"})


_GZIP_BOMB = gzip.compress(b"<port_status>" + b" " * (50 * 1024 * 1024), compresslevel=9)


@pytest.mark.parametrize(
    ("reply_name", "behaviour", "code"),
    [
        ("10 MiB declared", huge("content-length"), "reply_too_large"),
        ("10 MiB chunked", huge("chunked"), "reply_too_large"),
        ("gzip bomb", gzip_bomb, "reply_too_large"),
    ],
)
@pytest.mark.parametrize("method", list(METHODS))
def test_oversize_replies_are_cut_at_the_cap_on_every_method(
    serve: Callable[[Behaviour], HostileServer],  # noqa: F811
    method: str,
    reply_name: str,
    behaviour: Behaviour,
    code: str,
) -> None:
    server = serve(behaviour)
    call, expected = METHODS[method]
    client = client_for(server.url)
    tracemalloc.start()
    try:
        result = call(client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_typed_transient(result, expected, code)
    # The cap is 256 KiB; 10 MiB or 50 MiB held anywhere would show here.
    assert peak < 8 * CAP, f"{reply_name}: peak {peak} bytes"
    assert result.duration_ms <= (DEADLINE_S + 1.0) * 1000
    assert server.sent_bytes < TEN_MIB
