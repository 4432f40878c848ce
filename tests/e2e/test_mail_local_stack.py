"""`make run`'s stack mails the customer: an order written to its table reaches SES on moto
through the stack's own stream relay and notification worker, and GET /_dev/mail lists it.

The order is placed through `place_order` against the stack's table (scenario 4: no
city-network call, no queue), not through the web form, which the review step changes."""

from __future__ import annotations

import time
import uuid

import requests

from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.composition import AwsAdapters
from chalicelib.domain.ordering import OrderRequest
from chalicelib.settings import Settings
from tests.fakes import a_customer
from tests.mail_orders import an_agreement, place_with_agreement


def test_an_order_on_the_local_stack_gets_its_confirmation_in_dev_mail(local_stack):
    address = f"kund-{uuid.uuid4().hex[:10]}@example.se"
    stack_table = AwsAdapters(
        Settings(
            stage="local",
            table_name="stadsnatsfabriken-local",
            aws_endpoint_url=local_stack.moto_url,
            aws_region="eu-north-1",
        ),
        secrets=StaticSecrets({"app/signing-key": "e2e-mail-test-signing-key-000"}),
    )
    request = OrderRequest.model_validate(
        {
            "offer_id": "demo-tl-internet-100",
            "customer": a_customer(email=address),
            "details": {"router": "own"},
            "city_network_id": "demo-stadsnat",
        }
    )
    order = place_with_agreement(request, None, stack_table, an_agreement("en"))

    deadline = time.monotonic() + 30
    mine: list[dict[str, object]] = []
    while time.monotonic() < deadline and not mine:
        listed = requests.get(f"{local_stack.app_url}/_dev/mail", timeout=10)
        assert listed.status_code == 200, listed.text
        mine = [m for m in listed.json()["messages"] if address in m["to"]]
        time.sleep(0.3)
    assert [m["subject"] for m in mine] == [f"Order confirmation {order.id}"]
    [mail] = mine
    # The link is the stack's own order page, signed with the stack's key.
    assert f"{local_stack.app_url}/orders/{order.id}?t=" in str(mail["text"])
    assert "Standard withdrawal form" in str(mail["text"])
    assert str(mail["html"]).startswith("<!doctype html>")
    assert mail["sent_at"]
