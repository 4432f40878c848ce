"""`make run` with DEMO_WEBHOOK_URL and DEMO_WEBHOOK_SECRET delivers the demo provider's
events there, and each one verifies with the standardwebhooks package and that secret.

Runs its own stack process (the shared `local_stack` has no webhook target), started
exactly as a newcomer would, with the two variables set.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook

from chalicelib.adapters.webhooks.signing import new_webhook_secret
from infra.local.launch import launched_stack
from tests.e2e.conftest import ARTIFACTS
from tests.webhook_receiver import WebhookReceiver

TABLE = "stadsnatsfabriken-local"  # the stack's default table name


@dataclass
class WebhookStack:
    app_url: str
    moto_url: str
    api_key: str
    secret: str
    receiver: WebhookReceiver

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"x-api-key": self.api_key, "content-type": "application/json"}
        return requests.request(
            method, f"{self.app_url}/tl/v1{path}", headers=headers, timeout=10, **kwargs
        )


@pytest.fixture(scope="module")
def stack() -> Iterator[WebhookStack]:
    receiver = WebhookReceiver().start()
    secret = new_webhook_secret()
    extra_env = {"DEMO_WEBHOOK_URL": receiver.url, "DEMO_WEBHOOK_SECRET": secret}
    log_path = ARTIFACTS / "local-stack-webhooks.log"
    try:
        with launched_stack(log_path, extra_env=extra_env) as info:
            assert "demo_webhook_secret" not in info  # given, so never shown
            yield WebhookStack(info["app"], info["moto"], info["api_key"], secret, receiver)
    finally:
        receiver.stop()


def wait_for(receiver: WebhookReceiver, event_type: str, timeout_s: float = 20) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for received in list(receiver.received):
            if received.payload["type"] == event_type:
                return received
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} webhook arrived")


def test_the_demo_webhook_is_configured_from_the_environment(stack: WebhookStack) -> None:
    shown = stack.api("GET", "/webhook").json()
    assert shown["url"] == stack.receiver.url
    assert shown["secret"] is None
    assert stack.secret not in json.dumps(shown)


def test_a_test_event_verifies_with_the_demo_secret(stack: WebhookStack) -> None:
    queued = stack.api("POST", "/webhook/test")
    assert queued.status_code == 202
    received = wait_for(stack.receiver, "webhook.test")
    payload = Webhook(stack.secret).verify(received.body, received.headers)
    assert payload["type"] == "webhook.test"
    listed = stack.api("GET", "/webhook/deliveries").json()["items"]
    assert listed[0]["id"] == queued.json()["id"]


def test_an_order_written_with_its_event_is_announced_signed(
    stack: WebhookStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.aws_clients import AwsConnection
    from chalicelib.adapters.cursor import CursorCodec
    from chalicelib.adapters.dynamodb.client import DynamoDBTable
    from chalicelib.adapters.dynamodb.orders import DynamoDBOrderStore
    from chalicelib.domain.ids import new_event_id
    from chalicelib.domain.models import OrderEvent, OrderEventKind
    from tests.unit.provider_factories import make_order

    # Given an order stored in the stack's table the way ordering stores it (order and
    # order.created event in one transaction)
    order = make_order("demo-tl", datetime.now(UTC))
    event = OrderEvent(
        id=new_event_id(order.created_at),
        order_id=order.id,
        provider_id="demo-tl",
        kind=OrderEventKind.ORDER_CREATED,
        at=order.created_at,
        actor="customer",
        webhook_type="order.created",
        order_snapshot=order,
    )
    table = DynamoDBTable(TABLE, AwsConnection(stack.moto_url, "eu-north-1"))
    DynamoDBOrderStore(table, CursorCodec(b"not-used-for-writes-0123456789")).create(order, [event])
    # Then the stack's stream relay and webhook worker deliver it, signed with the demo secret
    received = wait_for(stack.receiver, "order.created")
    payload = Webhook(stack.secret).verify(received.body, received.headers)
    assert payload["data"]["order"]["id"] == order.id
    assert received.headers["webhook-id"] == "msg_" + event.id.removeprefix("evt_")
