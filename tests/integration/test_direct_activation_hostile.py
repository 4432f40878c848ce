"""The Direct Activation client against real, hostile HTTP servers on 127.0.0.1.

Every misbehaviour must end as a typed transient result within the deadline (+1 s slack),
without raising and without reading an oversize body into memory.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from chalicelib.adapters.citynet import bounded_http
from chalicelib.adapters.citynet.direct_activation import DirectActivationClient

DEADLINE_S = 1.0
TEN_MIB = 10 * 1024 * 1024
CAP = 256 * 1024
BLOCK = b"x" * 65536  # built once: the server must not dominate the memory measurement

Behaviour = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: HostileServer

    def do_GET(self) -> None:
        self.server.seen.append(
            {
                "query": parse_qsl(urlsplit(self.path).query),
                "path": urlsplit(self.path).path,
                "authorization": self.headers.get("Authorization"),
                "host": self.headers.get("Host"),
                "peer": self.client_address,
            }
        )
        behaviour = self.server.behaviours.pop(0) if self.server.behaviours else None
        (behaviour or self.server.default)(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- building blocks for behaviours ---

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def write(self, data: bytes) -> bool:
        """False once the client has gone."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        self.server.sent_bytes += len(data)
        return True


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, default: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.default = default
        self.behaviours: list[Behaviour] = []
        self.seen: list[dict[str, Any]] = []
        self.sent_bytes = 0
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/da"


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], HostileServer]]:
    servers: list[HostileServer] = []

    def start(default: Behaviour) -> HostileServer:
        server = HostileServer(default)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stopping.set()  # releases handlers that are hanging on purpose
        server.shutdown()
        server.server_close()


RawBehaviour = Callable[[socket.socket, threading.Event], None]


@pytest.fixture
def serve_raw() -> Iterator[Callable[[RawBehaviour], int]]:
    """A bare TCP server, for misbehaviour below HTTP (dripped headers, silent TLS)."""
    stop = threading.Event()
    listeners: list[socket.socket] = []

    def start(behaviour: RawBehaviour) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)
        listeners.append(listener)

        def accept_loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except (TimeoutError, OSError):
                    continue
                threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

        def serve_one(conn: socket.socket) -> None:
            with conn, suppress(OSError):
                behaviour(conn, stop)

        threading.Thread(target=accept_loop, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def client_for(url: str, **kwargs: Any) -> DirectActivationClient:
    settings = {"deadline_s": DEADLINE_S, "max_reply_bytes": CAP, **kwargs}
    return DirectActivationClient("hostile-net", url, "portal:pa55word", **settings)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def assert_transient(result: Any, code: str, elapsed: float) -> None:
    assert (result.outcome, result.code) == ("transient", code), result
    assert elapsed < DEADLINE_S + 1.0
    assert 0 <= result.duration_ms <= (DEADLINE_S + 1.0) * 1000
    assert "pa55word" not in (result.message or "")


# --- behaviours -------------------------------------------------------------------------

ORDER_OK = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<service_order><status>success</status><response><date>2030-05-17</date></response>"
    b"</service_order>"
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<service_order><status>success</status><response><message>&lol9;</message></response></service_order>"""


def order_ok(handler: Handler) -> None:
    handler.reply(200, ORDER_OK)


def dribble(handler: Handler) -> None:
    # Each byte comes well within requests' per-read timeout: only a wall-clock deadline
    # can stop this (100 bytes would take 20 s).
    body = ORDER_OK.ljust(100)
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    for byte in body:
        if not handler.write(bytes([byte])) or handler.server.stopping.wait(0.2):
            return


def hang_before_headers(handler: Handler) -> None:
    handler.server.stopping.wait(10)


def hang_after_headers(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.flush()
    handler.server.stopping.wait(10)


def huge(framing: str) -> Behaviour:
    def behaviour(handler: Handler) -> None:
        handler.protocol_version = "HTTP/1.1" if framing == "chunked" else "HTTP/1.0"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/xml")
        if framing == "content-length":
            handler.send_header("Content-Length", str(TEN_MIB))
        if framing == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.close_connection = True
        for _ in range(TEN_MIB // len(BLOCK)):
            if framing == "chunked":
                ok = handler.write(b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n")
            else:
                ok = handler.write(BLOCK)
            if not ok:
                return
        if framing == "chunked":
            handler.write(b"0\r\n\r\n")

    return behaviour


# --- the hostile servers ----------------------------------------------------------------


def test_malformed_xml_is_transient(serve: Callable[[Behaviour], HostileServer]) -> None:
    server = serve(lambda h: h.reply(200, b"<service_order><status>succ"))
    result, elapsed = timed(lambda: client_for(server.url).service_order("A-1", "S", date.today()))
    assert_transient(result, "malformed_reply", elapsed)


def test_a_billion_laughs_document_is_rejected(serve: Callable[[Behaviour], HostileServer]) -> None:
    server = serve(lambda h: h.reply(200, BILLION_LAUGHS))
    result, elapsed = timed(lambda: client_for(server.url).service_order("A-1", "S", date.today()))
    assert_transient(result, "forbidden_xml", elapsed)


@pytest.mark.parametrize("framing", ["content-length", "close-delimited", "chunked"])
def test_a_10_mib_reply_is_cut_at_the_cap_without_being_read_into_memory(
    serve: Callable[[Behaviour], HostileServer], framing: str
) -> None:
    server = serve(huge(framing))
    client = client_for(server.url)

    tracemalloc.start()
    try:
        result, elapsed = timed(lambda: client.port_status("A-1"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_transient(result, "reply_too_large", elapsed)
    # The cap is 256 KiB: holding the 10 MiB body would show here.
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"


def test_a_server_dribbling_bytes_is_cut_at_the_deadline(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    server = serve(dribble)
    result, elapsed = timed(lambda: client_for(server.url).port_status("A-1"))
    assert_transient(result, "timeout", elapsed)
    assert elapsed >= DEADLINE_S * 0.9
    assert server.sent_bytes < 20  # stopped after about 1 s of 0.2 s bytes


def test_a_timed_out_connection_is_not_reused(serve: Callable[[Behaviour], HostileServer]) -> None:
    # Given a server that dribbles once, then answers normally
    server = serve(order_ok)
    server.behaviours.append(dribble)
    client = client_for(server.url)
    # When the first call times out
    assert client.service_order("A-1", "S", date.today()).code == "timeout"
    # Then the next call on the same client gets a clean reply
    assert client.service_order("A-1", "S", date.today()).outcome == "ok"


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, elapsed = timed(
        lambda: client_for(f"http://127.0.0.1:{port}/da").service_order("A-1", "S", date.today())
    )
    assert_transient(result, "connection_error", elapsed)
    assert str(port) not in (result.message or "")


@pytest.mark.parametrize(
    "behaviour", [hang_before_headers, hang_after_headers], ids=["no-headers", "no-body"]
)
def test_a_server_hanging_past_the_deadline_times_out(
    serve: Callable[[Behaviour], HostileServer], behaviour: Behaviour
) -> None:
    server = serve(behaviour)
    result, elapsed = timed(lambda: client_for(server.url).service_order("A-1", "S", date.today()))
    assert_transient(result, "timeout", elapsed)
    assert elapsed >= DEADLINE_S * 0.9


def test_a_server_dripping_its_headers_is_cut_at_the_deadline(
    serve_raw: Callable[[RawBehaviour], int],
) -> None:
    def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            conn.sendall(bytes([byte]))
            if stop.wait(0.1):
                return

    port = serve_raw(drip_headers)
    result, elapsed = timed(lambda: client_for(f"http://127.0.0.1:{port}/da").port_status("A-1"))
    assert_transient(result, "timeout", elapsed)


def test_a_silent_tls_handshake_times_out(serve_raw: Callable[[RawBehaviour], int]) -> None:
    port = serve_raw(lambda conn, stop: stop.wait(10) and None)
    result, elapsed = timed(lambda: client_for(f"https://127.0.0.1:{port}/da").port_status("A-1"))
    assert_transient(result, "timeout", elapsed)


# --- DNS --------------------------------------------------------------------------------


def test_a_dns_lookup_that_never_answers_times_out_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def stalled(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    monkeypatch.setattr(bounded_http, "_resolve", stalled)
    try:
        result, elapsed = timed(lambda: client_for("http://citynet.test:9/da").port_status("A-1"))
    finally:
        release.set()
    assert_transient(result, "timeout", elapsed)
    assert elapsed >= DEADLINE_S * 0.9


def test_a_host_name_is_dialled_address_by_address_and_named_in_the_request(
    serve: Callable[[Behaviour], HostileServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(order_ok)
    port = server.server_address[1]
    looked_up: list[str] = []

    def two_answers(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.2", "127.0.0.1"]  # nothing listens on the first

    monkeypatch.setattr(bounded_http, "_resolve", two_answers)
    client = client_for(f"http://citynet.test:{port}/da")
    assert client.service_order("A-1", "S", date.today()).outcome == "ok"
    assert looked_up == ["citynet.test"]
    assert server.seen[0]["host"] == f"citynet.test:{port}"


def test_a_host_name_that_does_not_resolve_is_a_connection_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(bounded_http, "_resolve", unknown)
    result, elapsed = timed(lambda: client_for("http://citynet.test:9/da").port_status("A-1"))
    assert_transient(result, "connection_error", elapsed)


def test_a_503_is_transient(serve: Callable[[Behaviour], HostileServer]) -> None:
    server = serve(lambda h: h.reply(503, b"<html>maintenance</html>", {"Retry-After": "30"}))
    result, elapsed = timed(lambda: client_for(server.url).service_order("A-1", "S", date.today()))
    assert_transient(result, "http_503", elapsed)


def test_a_redirect_is_transient_and_not_followed(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    elsewhere = serve(order_ok)
    server = serve(lambda h: h.reply(302, b"", {"Location": elsewhere.url + "?method=x"}))

    result, elapsed = timed(lambda: client_for(server.url).service_order("A-1", "S", date.today()))

    assert_transient(result, "redirect", elapsed)
    assert elsewhere.seen == []


# --- the happy path ---------------------------------------------------------------------


def test_service_order_sends_its_parameters_and_basic_auth(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    server = serve(order_ok)

    result = client_for(server.url).service_order(
        "123-456-ABC", "BB100100", date(2030, 5, 1), origin="provider", order_ref="ord_01"
    )

    assert (result.outcome, result.code) == ("ok", "200")
    assert result.activation_date == date(2030, 5, 17)
    (request,) = server.seen
    assert request["path"] == "/da"
    assert request["query"] == [
        ("method", "service_order"),
        ("origin", "provider"),
        ("date", "2030-05-01"),
        ("service_uid", "BB100100"),
        ("socket", "123-456-ABC"),
        ("order", "ord_01"),
    ]
    assert request["authorization"] == "Basic " + base64.b64encode(b"portal:pa55word").decode()


def test_calls_reuse_one_pooled_connection(serve: Callable[[Behaviour], HostileServer]) -> None:
    def keep_alive_order_ok(handler: Handler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.reply(200, ORDER_OK)
        handler.close_connection = False

    server = serve(keep_alive_order_ok)
    client = client_for(server.url)

    for _ in range(3):
        assert client.service_order("A-1", "S", date.today()).outcome == "ok"

    assert len({request["peer"] for request in server.seen}) == 1
