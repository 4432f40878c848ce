"""The webhook sender against real HTTP(S) servers on 127.0.0.1.

Nothing here connects anywhere but loopback: "hook.test" and friends are mapped by fake
resolvers, and public addresses only ever appear in answers that the guard refuses first.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from chalicelib.adapters.webhooks.sender import USER_AGENT, WebhookSender
from chalicelib.adapters.webhooks.signing import new_webhook_secret, sign_webhook
from tests.fakes import wait_until

BODY = json.dumps(
    {"type": "webhook.test", "timestamp": "2025-01-01T00:00:00Z", "data": {}}
).encode()


# --- servers -------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class HookServer:
    """Records every request and answers with `reply`."""

    def __init__(self, reply: Reply | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.reply = reply or Reply()
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                server.seen.append(
                    Seen("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
                )
                self._answer()

            def do_GET(self) -> None:
                server.seen.append(Seen("GET", self.path, dict(self.headers.items()), b""))
                self._answer()

            def _answer(self) -> None:
                reply = server.reply
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1", path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RawServer:
    """A TCP server whose connections are handled by `serve(conn, stop)`, for misbehaviour."""

    def __init__(self, serve: Callable[[socket.socket, threading.Event], None]) -> None:
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent_bytes = 0
        self._serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        # OSError: the client hung up, as it should
        with conn, suppress(OSError):
            self._serve(conn, self.stop)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def servers() -> Iterator[Callable[..., HookServer]]:
    started: list[HookServer] = []

    def start(reply: Reply | None = None, tls: ssl.SSLContext | None = None) -> HookServer:
        server = HookServer(reply, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def raw_servers() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(serve: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        server = RawServer(serve)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def mapping(names: dict[str, str]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        return [names[host]]

    return resolve


def local_sender(**kwargs: object) -> WebhookSender:
    return WebhookSender(allow_insecure=True, **kwargs)  # type: ignore[arg-type]


# --- outcomes ------------------------------------------------------------------------------


def test_2xx_is_delivered_with_our_headers_and_the_exact_body(
    servers: Callable[..., HookServer],
) -> None:
    server = servers(Reply(status=204, body=b""))
    secret = new_webhook_secret()
    signed = sign_webhook([secret], "msg_1", dt.datetime.now(dt.UTC), BODY)

    result = local_sender().send(server.url(path="/hook?tenant=7"), BODY, signed)

    assert result.ok and result.status_code == 204 and result.error is None
    assert result.latency_ms >= 0 and not result.gone
    [seen] = server.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/hook?tenant=7", BODY)
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"] == USER_AGENT == "Stadsnatsfabriken-Webhooks/1"
    assert seen.headers["Host"] == f"127.0.0.1:{server.port}"
    # The receiver can verify what arrived with the standard library
    Webhook(secret).verify(seen.body, seen.headers)


def test_caller_cannot_override_framing_headers(servers: Callable[..., HookServer]) -> None:
    server = servers()
    result = local_sender().send(
        server.url(), BODY, {"Host": "evil.test", "Content-Length": "1", "webhook-id": "msg_2"}
    )
    assert result.ok
    [seen] = server.seen
    assert seen.headers["Host"] == f"127.0.0.1:{server.port}"
    assert seen.body == BODY and seen.headers["webhook-id"] == "msg_2"


def test_500_is_a_failure(servers: Callable[..., HookServer]) -> None:
    server = servers(Reply(status=500))
    result = local_sender().send(server.url(), BODY, {})
    assert not result.ok and result.status_code == 500 and result.error == "http_500"
    assert not result.gone and result.retry_after_s is None


def test_410_means_gone(servers: Callable[..., HookServer]) -> None:
    server = servers(Reply(status=410))
    result = local_sender().send(server.url(), BODY, {})
    assert not result.ok and result.gone and result.status_code == 410


def test_redirect_is_not_followed(servers: Callable[..., HookServer]) -> None:
    # Given a hook that redirects to another server
    elsewhere = servers()
    hook = servers(Reply(status=302, headers={"Location": elsewhere.url(path="/stolen")}))
    # When we deliver
    result = local_sender().send(hook.url(), BODY, {})
    # Then the attempt failed as a redirect and the target got nothing
    assert not result.ok and result.status_code == 302 and result.error == "redirect"
    assert len(hook.seen) == 1
    assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120), ("0", 0), ("soon", None), ("-5", None)],
)
def test_retry_after_seconds_is_parsed(
    servers: Callable[..., HookServer], header: str, expected: int | None
) -> None:
    server = servers(Reply(status=503, headers={"Retry-After": header}))
    result = local_sender().send(server.url(), BODY, {})
    assert not result.ok and result.status_code == 503 and result.retry_after_s == expected


def test_retry_after_http_date_is_parsed(servers: Callable[..., HookServer]) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=300)
    server = servers(Reply(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    result = local_sender().send(server.url(), BODY, {})
    assert result.retry_after_s is not None and 295 <= result.retry_after_s <= 301


def test_connection_refused_is_a_result_not_an_exception() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = local_sender().send(f"http://127.0.0.1:{port}/hook", BODY, {})
    assert not result.ok and result.error == "connection_refused" and result.status_code is None


def test_unsafe_url_is_refused_before_any_connection() -> None:
    result = WebhookSender().send("http://127.0.0.1:9/hook", BODY, {})
    assert not result.ok and result.error == "unsafe_url:scheme"
    result = local_sender().send("http://169.254.169.254/latest/meta-data/", BODY, {})
    assert not result.ok and result.error == "unsafe_url:non_public_address"


def test_unresolvable_host_is_a_dns_error() -> None:
    def fail(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror("no such host")

    result = local_sender(resolver=fail).send("http://hook.test/", BODY, {})
    assert not result.ok and result.error == "dns_error"


# --- deadline and size cap -----------------------------------------------------------------
#
# Each misbehaving peer below would hold the sender for SLOW_PEER_S if nothing cut it. The
# sender's deadline is a few seconds at most; a give-up well inside GIVES_UP_WITHIN_S (a
# generous bound, so a loaded machine cannot fail these) can only be the deadline's doing.
# Nothing is checked against a lower bound: when the deadline fires is the watchdog's
# business; that it fires, with a timeout, long before the peer would let go, is ours.

SLOW_PEER_S = 30.0
GIVES_UP_WITHIN_S = 10.0


@dataclass
class Peer:
    """What a raw server saw of one connection."""

    request_seen: threading.Event = field(default_factory=threading.Event)
    hung_up: threading.Event = field(default_factory=threading.Event)  # the sender closed
    finished: threading.Event = field(default_factory=threading.Event)  # the peer let go
    sent_bytes: int = 0


def read_request(conn: socket.socket, peer: Peer) -> None:
    conn.recv(65536)
    peer.request_seen.set()


def test_server_that_never_answers_is_cut_at_the_deadline(
    raw_servers: Callable[..., RawServer],
) -> None:
    # Given a server that takes the request and then says nothing for SLOW_PEER_S
    peer = Peer()

    def silent(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn, peer)
        conn.settimeout(0.05)
        until = time.monotonic() + SLOW_PEER_S
        while not stop.is_set() and time.monotonic() < until:
            try:
                if conn.recv(1) == b"":
                    peer.hung_up.set()
                    return
            except TimeoutError:
                continue
        peer.finished.set()

    server = raw_servers(silent)
    # When we deliver with a 1 s deadline
    started = time.monotonic()
    result = local_sender(timeout_s=1.0).send(server.url(), BODY, {})
    elapsed = time.monotonic() - started
    # Then the attempt is a timeout, given up long before the server would have let go,
    # after the request had reached it (not a failure to connect)
    assert not result.ok and result.error == "timeout" and result.status_code is None
    assert elapsed < GIVES_UP_WITHIN_S
    assert peer.request_seen.is_set()
    # And the sender hung up on it instead of leaving the connection open
    wait_until(peer.hung_up.is_set, timeout_s=GIVES_UP_WITHIN_S, what="the sender hanging up")
    assert not peer.finished.is_set()


def test_dns_that_never_answers_is_cut_at_the_same_deadline() -> None:
    # Given a DNS server that answers only after SLOW_PEER_S
    asked, answered, release = threading.Event(), threading.Event(), threading.Event()

    def stalled_dns(host: str, port: int) -> Sequence[str]:
        asked.set()
        release.wait(SLOW_PEER_S)
        answered.set()
        return ["127.0.0.1"]

    # When we deliver with a 0.5 s deadline
    started = time.monotonic()
    try:
        result = local_sender(resolver=stalled_dns, timeout_s=0.5).send(
            "http://slow-dns.test/hook", BODY, {}
        )
        elapsed = time.monotonic() - started
        lookup_still_pending = not answered.is_set()
    finally:
        release.set()
    # Then the lookup spent the attempt's deadline: a DNS error while the lookup was still
    # hanging, long before it would have answered
    assert asked.is_set()
    assert not result.ok and result.error == "dns_error" and result.status_code is None
    assert lookup_still_pending
    assert elapsed < GIVES_UP_WITHIN_S


def test_server_that_drips_its_headers_is_cut_at_the_deadline(
    raw_servers: Callable[..., RawServer],
) -> None:
    # Given a server that trickles its response head, a byte a second for SLOW_PEER_S: each
    # byte arrives within the 2 s a single read may wait, so only a total deadline stops
    # this. (At this pace the status code would be complete only after GIVES_UP_WITHIN_S.)
    peer = Peer()

    def drip(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn, peer)
        head = b"HTTP/1.1 200 OK\r\nX-Slow: "
        until = time.monotonic() + SLOW_PEER_S
        try:
            while time.monotonic() < until:
                conn.sendall(head[peer.sent_bytes : peer.sent_bytes + 1] or b"a")
                peer.sent_bytes += 1
                if stop.wait(1.0):
                    return
        except OSError:
            peer.hung_up.set()
            return
        peer.finished.set()

    server = raw_servers(drip)
    # When we deliver with a 2 s deadline
    started = time.monotonic()
    result = local_sender(timeout_s=2.0).send(server.url(), BODY, {})
    elapsed = time.monotonic() - started
    # Then the attempt is a timeout, given up long before the trickle would have ended
    assert not result.ok and result.error == "timeout" and result.status_code is None
    assert elapsed < GIVES_UP_WITHIN_S
    assert peer.sent_bytes > 0  # the server was dripping when the sender gave up
    # And the server finds the connection closed on its next byte: the sender hung up
    wait_until(peer.hung_up.is_set, timeout_s=GIVES_UP_WITHIN_S, what="the sender hanging up")
    assert not peer.finished.is_set()


def test_a_status_line_whose_headers_never_finish_is_a_timeout_not_a_delivery(
    raw_servers: Callable[..., RawServer],
) -> None:
    # Given a server that sends "200 OK" at once and then drips its headers without end
    # (http.client takes a connection cut inside the headers for their end)
    peer = Peer()

    def drip_after_status(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn, peer)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):
                conn.sendall(b"a")
                peer.sent_bytes += 1
        except OSError:
            peer.hung_up.set()

    server = raw_servers(drip_after_status)
    # When we deliver with a 1 s deadline
    result = local_sender(timeout_s=1.0).send(server.url(), BODY, {})
    # Then the attempt is a timeout (it is tried again), not a 200 the provider never sent
    assert not result.ok and result.error == "timeout"
    assert peer.sent_bytes > 0


# What a reader that stops at the cap lets the server hand over is its 64 KiB plus what the
# two sockets' kernel buffers hold (a few MiB on loopback; Linux's tcp_wmem and tcp_rmem
# maxima bound them); a reader without the cap takes the whole body, in about a second.
HUGE_BODY_BYTES = 1 << 30
BUFFERED_AT_MOST = 64 << 20


def test_endless_response_stops_at_the_size_cap(raw_servers: Callable[..., RawServer]) -> None:
    # Given a 200 whose body (delimited by the connection closing) is 1 GiB
    peer = Peer()
    chunk = b"x" * 65536

    def huge(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn, peer)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            while peer.sent_bytes < HUGE_BODY_BYTES and not stop.is_set():
                conn.sendall(chunk)
                peer.sent_bytes += len(chunk)
        except OSError:
            peer.hung_up.set()  # the client closed with our bytes unread
            return
        peer.finished.set()

    server = raw_servers(huge)
    # When we deliver with a 64 KiB cap on what we read, and time enough to read it all
    result = local_sender(timeout_s=60.0, max_response_bytes=64 * 1024).send(server.url(), BODY, {})
    # Then the status counts
    assert result.ok and result.status_code == 200
    # And the sender hung up after the cap: the server could not hand over more than the
    # socket buffers hold, and never got to the end of its body
    wait_until(
        lambda: peer.hung_up.is_set() or peer.finished.is_set(),
        timeout_s=GIVES_UP_WITHIN_S,
        what="the server to stop sending",
    )
    assert peer.hung_up.is_set() and not peer.finished.is_set()
    assert peer.sent_bytes < BUFFERED_AT_MOST


# --- pinning to the vetted address ---------------------------------------------------------


def test_request_goes_to_the_vetted_address_with_the_host_name(
    servers: Callable[..., HookServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given "hook.test" resolves (once, through the guard) to 127.0.0.1
    server = servers()
    looked_up: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def spy(host: str, *args: object, **kwargs: object) -> object:
        looked_up.append(host)
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    # When we deliver to it
    result = local_sender(resolver=mapping({"hook.test": "127.0.0.1"})).send(
        server.url(host="hook.test"), BODY, {}
    )
    # Then the server got it, addressed to the host name, and no DNS name was looked up again
    assert result.ok
    assert server.seen[0].headers["Host"] == f"hook.test:{server.port}"
    assert all(ipaddress.ip_address(host) for host in looked_up)


def test_dns_rebinding_cannot_redirect_the_connection(servers: Callable[..., HookServer]) -> None:
    # Given a host whose DNS answers change on every lookup: first the vetted hook address,
    # later the metadata service
    server = servers()
    answers = iter(["127.0.0.1", "169.254.169.254", "169.254.169.254"])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return [next(answers)]

    sender = local_sender(resolver=rebinding)
    # When we deliver, the one lookup is the vetted one and the connection uses it
    first = sender.send(server.url(host="hook.test"), BODY, {})
    assert first.ok and len(server.seen) == 1 and calls == ["hook.test"]
    # And the next attempt re-checks and refuses without connecting
    second = sender.send(server.url(host="hook.test"), BODY, {})
    assert not second.ok and second.error == "unsafe_url:non_public_address"
    assert len(server.seen) == 1


def test_host_with_a_public_and_a_private_answer_is_never_called(
    servers: Callable[..., HookServer],
) -> None:
    server = servers()
    both = lambda host, port: ["93.184.216.34", "10.0.0.1"]  # noqa: E731
    result = WebhookSender(resolver=both).send(f"https://hook.test:{server.port}/", BODY, {})
    assert not result.ok and result.error == "unsafe_url:non_public_address"
    assert server.seen == []


# --- TLS: certificate checked for the host name, not the address we dial -------------------


@dataclass
class Pki:
    client: ssl.SSLContext
    server: ssl.SSLContext
    server_names: list[str | None]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: str,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("hook.test")]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("Test CA", ca_key, "Test CA", ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = cert("hook.test", leaf_key, "Test CA", ca_key, ca=False)

    folder: Path = tmp_path_factory.mktemp("pki")
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf_cert.public_bytes(pem))
    (folder / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_names: list[str | None] = []
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    server.sni_callback = lambda sock, name, ctx: server_names.append(name)
    client = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    return Pki(client=client, server=server, server_names=server_names)


def test_tls_verifies_the_host_name_while_dialling_the_vetted_address(
    servers: Callable[..., HookServer], pki: Pki
) -> None:
    server = servers(tls=pki.server)
    pki.server_names.clear()
    sender = local_sender(
        resolver=mapping({"hook.test": "127.0.0.1"}), ssl_context=pki.client, timeout_s=5.0
    )
    result = sender.send(server.url(host="hook.test", scheme="https"), BODY, {})
    assert result.ok, result.error
    assert pki.server_names == ["hook.test"]  # SNI
    assert server.seen[0].headers["Host"] == f"hook.test:{server.port}"


def test_tls_certificate_for_another_name_is_refused(
    servers: Callable[..., HookServer], pki: Pki
) -> None:
    server = servers(tls=pki.server)
    sender = local_sender(
        resolver=mapping({"other.test": "127.0.0.1"}), ssl_context=pki.client, timeout_s=5.0
    )
    result = sender.send(server.url(host="other.test", scheme="https"), BODY, {})
    assert not result.ok and result.error == "tls_certificate"
    assert server.seen == []


def test_tls_with_an_untrusted_certificate_is_refused(
    servers: Callable[..., HookServer], pki: Pki
) -> None:
    # The default trust store (certifi) does not know our test CA
    server = servers(tls=pki.server)
    sender = local_sender(resolver=mapping({"hook.test": "127.0.0.1"}), timeout_s=5.0)
    result = sender.send(server.url(host="hook.test", scheme="https"), BODY, {})
    assert not result.ok and result.error == "tls_certificate"
    assert server.seen == []
