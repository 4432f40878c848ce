"""SSRF through the provider's webhook URL: every address class, DNS names resolving to
them, tricky URL spellings, and redirects; refused when the provider configures the URL
(PUT /tl/v1/webhook) and again when the worker sends (the sender re-checks every attempt,
so DNS that changes after configuration gains nothing).

The address classes are the guard tests' table (tests/unit/test_webhook_guard.py), plus
the few ranges below it does not list; this file runs them through the API and the sender.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.adapters.webhooks.sender import WebhookSender
from chalicelib.adapters.webhooks.transport import HttpWebhookTransport
from chalicelib.composition import InMemoryAdapters, adapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.webhook_delivery import deliver
from chalicelib.settings import Settings
from tests.integration.test_webhook_sender import HookServer, Reply
from tests.unit.test_webhook_guard import NON_PUBLIC, PUBLIC_V4

PROVIDER = "prov-a"
BODY = b'{"type":"webhook.test","timestamp":"2025-01-01T00:00:00Z","data":{}}'

ADDRESSES = [
    *NON_PUBLIC,
    "192.88.99.1",  # 6to4 relay anycast
    "3fff::1",  # documentation (2024)
    "5f00::1",  # segment routing
    "64:ff9b::7f00:1",  # NAT64 of loopback
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "::ffff:0.0.0.0",
    "fe80::1%eth0",  # as getaddrinfo() writes link-local answers
]
# Spellings of internal hosts that some parser along the way could read differently.
TRICKY_URLS = [
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://169.254.43518/",
    "https://127.0.0.1./",
    "https://[::ffff:a9fe:a9fe]/",
    "https://hooks.example.com@169.254.169.254/",
    "https://169.254.169.254#@hooks.example.com/",
    "https://hooks.example.com\\@10.0.0.1/",
    "https://127。0。0。1/",
    "https://[fe80::1%25eth0]/",
    "https://localhost/",
    "http://hooks.example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://hooks.example.com/",
    "//169.254.169.254/",
]


def literal_url(address: str) -> str:
    host = address.split("%", 1)[0]
    return f"https://[{host}]/hook" if ":" in host else f"https://{host}/hook"


class Dns:
    """A fake resolver whose answers a test sets and changes; no real DNS anywhere."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_V4]}

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host == "localhost":
            return ["127.0.0.1", "::1"]
        if host not in self.answers:
            raise OSError("no such host")
        return self.answers[host]


@pytest.fixture
def dials(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing connection the sender tries (none may happen in these tests)."""
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        raise ConnectionRefusedError("dialling is not allowed in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@dataclass
class Api:
    client: Client
    key: str
    dns: Dns

    def put(self, url: str) -> Any:
        return self.client.http.put(
            "/tl/v1/webhook",
            headers={"x-api-key": self.key, "content-type": "application/json"},
            body=json.dumps({"url": url}),
        )

    def call(self, method: str, path: str) -> Any:
        return self.client.http.request(method, "/tl/v1" + path, headers={"x-api-key": self.key})


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    dns = Dns()
    sender = WebhookSender(resolver=dns, timeout_s=1.0)
    # As deployed: https and public addresses only, at configuration and at send time.
    installed = InMemoryAdapters(
        Settings(stage="test"),
        webhook_transport=HttpWebhookTransport(sender),
        resolver=dns,
    )
    key, _ = issue_api_key(installed.api_keys, PROVIDER, "ssrf", installed.clock)
    use(installed)
    try:
        with Client(app) as client:
            yield Api(client, key, dns)
    finally:
        use(None)


def run_webhook_queue() -> None:
    """The delivery worker, over whatever the installed adapters have queued."""
    deps = adapters()
    queue = deps.webhook_queue
    assert isinstance(queue, InMemoryQueue)
    for message, _ in queue.take():
        deliver(message, deps)


def assert_refused(response: Any, api: Api, reasons: set[str]) -> None:
    assert response.status_code == 422, response.body
    error = json.loads(response.body)["error"]
    assert error["code"] == "unsafe_webhook_url"
    assert error["details"]["reason"] in reasons
    assert api.call("GET", "/webhook").status_code == 404  # nothing was stored


# --- at configuration: PUT /tl/v1/webhook ---------------------------------------------


@pytest.mark.parametrize("address", ADDRESSES)
def test_api_refuses_every_non_public_address_class(
    api: Api, dials: list[Any], address: str
) -> None:
    # As a literal in the URL
    if "%" not in address:
        assert_refused(api.put(literal_url(address)), api, {"non_public_address"})
    # As the only DNS answer, and hidden among public answers
    api.dns.answers["internal.example.net"] = [address]
    api.dns.answers["mixed.example.net"] = [PUBLIC_V4, address]
    assert_refused(api.put("https://internal.example.net/hook"), api, {"non_public_address"})
    assert_refused(api.put("https://mixed.example.net/hook"), api, {"non_public_address"})
    # And configuration never dials the URL
    assert dials == []


@pytest.mark.parametrize("url", TRICKY_URLS)
def test_api_refuses_tricky_spellings_of_internal_hosts(
    api: Api, dials: list[Any], url: str
) -> None:
    response = api.put(url)
    assert_refused(
        response,
        api,
        {
            "non_public_address",
            "ip_literal_form",
            "credentials",
            "fragment",
            "invalid_characters",
            "zone_id",
            "scheme",
            "invalid_host",
        },
    )
    assert url not in response.body.decode()
    assert dials == []


def test_a_public_address_is_accepted_so_the_refusals_mean_something(api: Api) -> None:
    created = api.put("https://hooks.example.com/hook")
    assert created.status_code == 200, created.body
    assert api.call("DELETE", "/webhook").status_code == 200


# --- at send time: the sender checks again ----------------------------------------------


@pytest.mark.parametrize("address", ADDRESSES)
def test_sender_refuses_a_name_that_now_resolves_to_a_non_public_address(
    dials: list[Any], address: str
) -> None:
    # Given a host that was public at configuration, and now answers an internal address
    for answers in ([address], [PUBLIC_V4, address], [address, PUBLIC_V4]):
        sender = WebhookSender(resolver=lambda host, port, a=answers: a, timeout_s=1.0)
        # When the worker sends
        result = sender.send("https://hooks.example.com/hook", BODY, {})
        # Then the attempt fails as unsafe, without a connection
        assert not result.ok and result.error == "unsafe_url:non_public_address", answers
    if "%" not in address:
        result = WebhookSender(timeout_s=1.0).send(literal_url(address), BODY, {})
        assert result.error == "unsafe_url:non_public_address"
    assert dials == []


def test_dns_rebinding_after_configuration_is_refused_through_the_api_and_worker(
    api: Api, dials: list[Any]
) -> None:
    # Given a webhook configured while its host resolved to a public address
    api.dns.answers["rebind.example.net"] = [PUBLIC_V4]
    assert api.put("https://rebind.example.net/hook").status_code == 200
    try:
        # When the host's DNS now answers the metadata service and a test event is sent
        api.dns.answers["rebind.example.net"] = ["169.254.169.254"]
        queued = api.call("POST", "/webhook/test")
        assert queued.status_code == 202
        run_webhook_queue()
        # Then the attempt is recorded as unsafe, and nothing was dialled
        [delivery] = json.loads(api.call("GET", "/webhook/deliveries").body)["items"]
        assert delivery["attempts"][0]["error"] == "unsafe_url:non_public_address"
        assert dials == []
    finally:
        api.call("DELETE", "/webhook")


# --- redirects ---------------------------------------------------------------------------


@pytest.fixture
def hook_servers() -> Iterator[Callable[[Reply | None], HookServer]]:
    started: list[HookServer] = []

    def start(reply: Reply | None = None) -> HookServer:
        server = HookServer(reply)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "target",
    ["internal", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"],
)
def test_redirects_are_never_followed(
    hook_servers: Callable[[Reply | None], HookServer], status: int, target: str
) -> None:
    # Given a hook that redirects to another (internal) server, the metadata service or a file
    internal = hook_servers(None)
    location = internal.url(path="/stolen") if target == "internal" else target
    hook = hook_servers(Reply(status=status, headers={"Location": location}))
    # When we deliver (loopback is allowed only so the test can run a server)
    sender = WebhookSender(allow_insecure=True, timeout_s=2.0)
    result = sender.send(hook.url(), BODY, {})
    # Then it is a failed attempt, and the redirect target got nothing
    assert not result.ok and result.error == "redirect" and result.status_code == status
    assert len(hook.seen) == 1
    assert internal.seen == []


def test_a_redirect_through_the_api_and_worker_is_a_failed_attempt(
    hook_servers: Callable[[Reply | None], HookServer],
) -> None:
    # Given the local stack's settings (http and loopback allowed) and a redirecting hook
    internal = hook_servers(None)
    hook = hook_servers(Reply(status=307, headers={"Location": internal.url(path="/x")}))
    installed = InMemoryAdapters(Settings(stage="local"))
    key, _ = issue_api_key(installed.api_keys, PROVIDER, "ssrf", installed.clock)
    use(installed)
    headers = {"x-api-key": key, "content-type": "application/json"}
    try:
        with Client(app) as client:
            put = client.http.put(
                "/tl/v1/webhook", headers=headers, body=json.dumps({"url": hook.url()})
            )
            assert put.status_code == 200, put.body
            assert client.http.post("/tl/v1/webhook/test", headers=headers).status_code == 202
            run_webhook_queue()
            listed = json.loads(client.http.get("/tl/v1/webhook/deliveries", headers=headers).body)
    finally:
        use(None)
    # Then the attempt failed as a redirect and the internal server was never called
    [delivery] = listed["items"]
    assert delivery["attempts"][0]["error"] == "redirect"
    assert len(hook.seen) == 1 and internal.seen == []
