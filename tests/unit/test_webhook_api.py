"""The webhook routes of the provider API over Chalice's test client, in memory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.sqs import InMemoryQueue
from chalicelib.adapters.webhooks import guard
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.api_keys import issue_api_key
from chalicelib.domain.webhooks import AttemptOutcome, WebhookMessage
from chalicelib.settings import Settings
from tests.fakes import FixedClock

A, B = "prov-a", "prov-b"
BASE = "/tl/v1"
DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "internal.example.com": ["10.1.2.3"],
    "mixed.example.com": ["93.184.216.34", "169.254.169.254"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError("no such host")
    return DNS[host]


class OkTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(
        self, url: str, body: bytes, *, webhook_id: str, secrets: list[str], at: datetime
    ) -> AttemptOutcome:
        self.sent.append((url, body))
        return AttemptOutcome(ok=True, status_code=200, latency_ms=1)


@dataclass
class World:
    client: Client
    keys: dict[str, str]
    adapters: InMemoryAdapters
    clock: FixedClock

    def call(self, method: str, path: str, body: Any = None, provider: str = A) -> Any:
        headers = {"x-api-key": self.keys[provider], "content-type": "application/json"}
        raw = None if body is None else json.dumps(body)
        return getattr(self.client.http, method)(BASE + path, headers=headers, body=raw)

    @property
    def queue(self) -> InMemoryQueue[WebhookMessage]:
        queue = self.adapters.webhook_queue
        assert isinstance(queue, InMemoryQueue)
        return queue

    def run_queue(self) -> None:
        from chalicelib.domain.webhook_delivery import deliver

        for message, _ in self.queue.take():
            deliver(message, self.adapters)


@pytest.fixture
def world() -> Iterator[World]:
    clock = FixedClock()
    # As deployed: https and public addresses only.
    adapters = InMemoryAdapters(
        Settings(stage="test"),
        clock=clock,
        webhook_transport=OkTransport(),
        resolver=fake_resolver,
    )
    keys = {p: issue_api_key(adapters.api_keys, p, "test", clock)[0] for p in (A, B)}
    use(adapters)
    try:
        with Client(app) as client:
            yield World(client, keys, adapters, clock)
    finally:
        use(None)


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_creating_a_webhook_returns_its_secret_once(world: World) -> None:
    created = world.call("put", "/webhook", {"url": "https://hooks.example.com/in"})
    assert created.status_code == 200
    secret = body(created)["secret"]
    assert secret.startswith("whsec_")
    shown = body(world.call("get", "/webhook"))
    assert shown["secret"] is None and secret not in json.dumps(shown)
    assert shown["url"] == "https://hooks.example.com/in"
    assert shown["event_types"] == [
        "order.created",
        "order.activation_changed",
        "order.status_changed",
        "order.withdrawn",
    ]
    changed = world.call(
        "put", "/webhook", {"url": "https://hooks.example.com/v2", "event_types": ["order.created"]}
    )
    assert body(changed)["secret"] is None
    assert body(changed)["event_types"] == ["order.created"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/in", "scheme"),
        ("https://127.0.0.1/in", "non_public_address"),
        ("https://[::ffff:10.0.0.1]/in", "non_public_address"),
        ("https://169.254.169.254/latest/meta-data", "non_public_address"),
        ("https://internal.example.com/in", "non_public_address"),
        ("https://mixed.example.com/in", "non_public_address"),
        ("https://user:pw@hooks.example.com/in", "credentials"),
        ("https://unknown.example.com/in", "unresolvable"),
    ],
)
def test_an_unsafe_url_is_refused_at_configuration(world: World, url: str, reason: str) -> None:
    refused = world.call("put", "/webhook", {"url": url})
    assert refused.status_code == 422
    error = body(refused)["error"]
    assert error["code"] == "unsafe_webhook_url"
    assert error["details"]["reason"] == reason
    assert url not in refused.body.decode()  # never echoes the URL (it may hold a token)
    assert world.call("get", "/webhook").status_code == 404


def test_a_host_whose_dns_stalls_is_refused_at_configuration_in_bounded_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a provider's DNS server that does not answer
    release = threading.Event()

    def stalled(host: str, port: int) -> list[str]:
        release.wait(10)
        return DNS["hooks.example.com"]

    monkeypatch.setattr(guard, "DNS_DEADLINE_S", 0.2)
    use(world.adapters.replaced(resolver=stalled))
    started = time.monotonic()
    try:
        # When the provider configures a URL on that host
        refused = world.call("put", "/webhook", {"url": "https://stalled.example.com/in"})
    finally:
        release.set()
    # Then the API answers at the DNS deadline, refusing the host as unresolvable
    assert time.monotonic() - started < 2
    assert refused.status_code == 422
    assert body(refused)["error"]["details"]["reason"] == "unresolvable"


def test_unknown_event_types_and_fields_are_refused(world: World) -> None:
    url = "https://hooks.example.com/in"
    bad_type = world.call("put", "/webhook", {"url": url, "event_types": ["order.deleted"]})
    assert bad_type.status_code == 422
    assert world.call("put", "/webhook", {"url": url, "secret": "x"}).status_code == 422


def test_rotation_returns_a_new_secret_and_both_sign_during_the_grace(world: World) -> None:
    first = body(world.call("put", "/webhook", {"url": "https://hooks.example.com/in"}))["secret"]
    world.clock.advance(minutes=5)
    rotated = world.call("post", "/webhook/rotate-secret")
    assert rotated.status_code == 200
    second = body(rotated)["secret"]
    assert second.startswith("whsec_") and second != first
    secrets = body(world.call("get", "/webhook"))["secrets"]
    assert len(secrets) == 2
    assert secrets[0]["expires_at"] is None and secrets[1]["expires_at"] is not None


def test_deleting_the_webhook_stops_deliveries(world: World) -> None:
    world.call("put", "/webhook", {"url": "https://hooks.example.com/in"})
    assert world.call("delete", "/webhook").status_code == 200
    assert world.call("get", "/webhook").status_code == 404
    assert world.call("delete", "/webhook").status_code == 404
    assert world.call("post", "/webhook/test").status_code == 404


def test_the_test_event_is_queued_sent_and_listed(world: World) -> None:
    world.call("put", "/webhook", {"url": "https://hooks.example.com/in"})
    queued = world.call("post", "/webhook/test")
    assert queued.status_code == 202
    delivery = body(queued)
    assert delivery["event_type"] == "webhook.test" and delivery["state"] == "pending"
    world.run_queue()
    listed = body(world.call("get", "/webhook/deliveries"))
    [item] = listed["items"]
    assert item["id"] == delivery["id"] and item["state"] == "succeeded"
    assert item["attempts"][0]["status_code"] == 200
    assert "body" not in item


def test_deliveries_are_listed_newest_first_in_pages(world: World) -> None:
    world.call("put", "/webhook", {"url": "https://hooks.example.com/in"})
    ids = []
    for _ in range(5):
        world.clock.advance(milliseconds=5)
        ids.append(body(world.call("post", "/webhook/test"))["id"])
    first = body(world.call("get", "/webhook/deliveries?limit=2"))
    assert [d["id"] for d in first["items"]] == ids[::-1][:2]
    rest = body(world.call("get", f"/webhook/deliveries?limit=10&cursor={first['next_cursor']}"))
    assert [d["id"] for d in rest["items"]] == ids[::-1][2:]
    assert rest["next_cursor"] is None
    bad = world.call("get", "/webhook/deliveries?cursor=dlv_nonsense")
    assert bad.status_code == 400


def test_redeliver_sends_again_and_another_providers_delivery_is_404(world: World) -> None:
    world.call("put", "/webhook", {"url": "https://hooks.example.com/in"})
    world.call("put", "/webhook", {"url": "https://hooks.example.com/b"}, provider=B)
    mine = body(world.call("post", "/webhook/test"))["id"]
    theirs = body(world.call("post", "/webhook/test", provider=B))["id"]
    world.run_queue()
    again = world.call("post", f"/webhook/deliveries/{mine}/redeliver")
    assert again.status_code == 202
    world.run_queue()
    [item] = body(world.call("get", "/webhook/deliveries"))["items"]
    assert [a["number"] for a in item["attempts"]] == [1, 2]
    foreign = world.call("post", f"/webhook/deliveries/{theirs}/redeliver")
    assert foreign.status_code == 404
    assert body(foreign)["error"]["code"] == "not_found"
    assert world.call("post", "/webhook/deliveries/nonsense/redeliver").status_code == 404
    # Provider B sees only its own delivery
    [b_item] = body(world.call("get", "/webhook/deliveries", provider=B))["items"]
    assert b_item["id"] == theirs


def test_webhook_routes_need_an_api_key(world: World) -> None:
    response = world.client.http.get(f"{BASE}/webhook")
    assert response.status_code == 401


def test_the_openapi_document_describes_the_webhook_routes(world: World) -> None:
    document = body(world.client.http.get(f"{BASE}/openapi.json"))
    assert {"/webhook", "/webhook/rotate-secret", "/webhook/test"} <= set(document["paths"])
    assert set(document["paths"]["/webhook"]) == {"put", "get", "delete"}
    assert "/webhook/deliveries/{delivery_id}/redeliver" in document["paths"]
