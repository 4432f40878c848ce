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


def test_server_that_never_answers_is_cut_at_the_deadline(
    raw_servers: Callable[..., RawServer],
) -> None:
    server = raw_servers(lambda conn, stop: stop.wait(10))
    started = time.monotonic()
    result = local_sender(timeout_s=1.0).send(server.url(), BODY, {})
    elapsed = time.monotonic() - started
    assert not result.ok and result.error == "timeout"
    assert 0.9 <= elapsed < 2.0


def test_dns_that_never_answers_is_cut_at_the_same_deadline() -> None:
    release = threading.Event()

    def stalled_dns(host: str, port: int) -> Sequence[str]:
        release.wait(10)
        return ["127.0.0.1"]

    started = time.monotonic()
    try:
        result = local_sender(resolver=stalled_dns, timeout_s=0.5).send(
            "http://slow-dns.test/hook", BODY, {}
        )
    finally:
        release.set()
    elapsed = time.monotonic() - started
    assert not result.ok and result.error == "dns_error"
    assert 0.4 <= elapsed < 1.5


def test_server_that_drips_its_headers_is_cut_at_the_deadline(
    raw_servers: Callable[..., RawServer],
) -> None:
    # Each byte arrives well within a per-read timeout; only a total deadline stops this.
    def drip(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            conn.sendall(bytes([byte]))
            if stop.wait(0.1):
                return

    server = raw_servers(drip)
    started = time.monotonic()
    result = local_sender(timeout_s=1.0).send(server.url(), BODY, {})
    assert not result.ok and result.error == "timeout"
    assert time.monotonic() - started < 2.0


def test_endless_response_stops_at_the_size_cap(raw_servers: Callable[..., RawServer]) -> None:
    sent = [0]

    def endless(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        chunk = b"x" * 65536
        while not stop.is_set():
            conn.sendall(chunk)
            sent[0] += len(chunk)

    server = raw_servers(endless)
    started = time.monotonic()
    result = local_sender(timeout_s=5.0, max_response_bytes=64 * 1024).send(server.url(), BODY, {})
    # Without the cap we would read until the 5 s deadline
    assert result.ok and result.status_code == 200
    assert time.monotonic() - started < 2.5
    time.sleep(0.2)
    assert sent[0] < 64 << 20  # the client hung up: the server could not push more


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
