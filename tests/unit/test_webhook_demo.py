"""The local stack's demo webhook from DEMO_WEBHOOK_URL / DEMO_WEBHOOK_SECRET."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks import Webhook

from chalicelib.adapters.memory.webhooks import InMemoryWebhookStore
from chalicelib.adapters.webhooks.guard import UnsafeWebhookUrl
from chalicelib.adapters.webhooks.signing import new_webhook_secret
from infra.local.webhooks_demo import DemoWebhookError, check_demo_secret, seed_demo_webhook
from tests.fakes import FixedClock

URL = "http://127.0.0.1:9999/hooks"


def test_a_given_secret_signs_the_demo_providers_webhook() -> None:
    store, secret = InMemoryWebhookStore(), new_webhook_secret()
    demo = seed_demo_webhook(store, FixedClock(), url=URL, secret=secret, allow_insecure=True)
    assert demo is not None and not demo.generated
    endpoint = store.get_endpoint("demo-tl")
    assert endpoint is not None and endpoint.url == URL
    assert endpoint.signing_secrets(FixedClock().now()) == [secret]


def test_without_a_secret_one_is_generated_and_usable_by_standardwebhooks() -> None:
    store = InMemoryWebhookStore()
    demo = seed_demo_webhook(store, FixedClock(), url=URL, secret=None, allow_insecure=True)
    assert demo is not None and demo.generated
    Webhook(demo.secret)  # accepted as a key


def test_no_url_means_no_webhook_and_a_lone_secret_is_a_mistake() -> None:
    store = InMemoryWebhookStore()
    assert (
        seed_demo_webhook(store, FixedClock(), url=None, secret=None, allow_insecure=True) is None
    )
    with pytest.raises(DemoWebhookError):
        seed_demo_webhook(
            store, FixedClock(), url=None, secret=new_webhook_secret(), allow_insecure=True
        )


@pytest.mark.parametrize(
    "secret",
    [
        "not-a-whsec",
        "whsec_***not base64***",
        "whsec_" + base64.b64encode(b"short").decode(),
    ],
)
def test_an_invalid_secret_is_refused_without_repeating_it(secret: str) -> None:
    with pytest.raises(DemoWebhookError) as refused:
        check_demo_secret(secret)
    assert secret not in str(refused.value)


def test_the_demo_url_goes_through_the_ssrf_guard() -> None:
    with pytest.raises(UnsafeWebhookUrl):
        seed_demo_webhook(
            InMemoryWebhookStore(), FixedClock(), url=URL, secret=None, allow_insecure=False
        )
