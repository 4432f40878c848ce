"""`make run`'s stack comes up whole: every component reports ok."""

from __future__ import annotations

import requests


def test_the_local_stack_reports_every_component_healthy(local_stack):
    health = requests.get(f"{local_stack.app_url}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    components = health.json()["components"]
    assert set(components) >= {
        "store",
        "activation_queue",
        "webhook_queue",
        "city_network:demo-stadsnat",
    }
    assert set(components.values()) == {"ok"}


def test_the_demo_provider_key_is_accepted_by_the_provider_api(local_stack):
    reply = requests.get(
        f"{local_stack.app_url}/tl/v1/offers",
        headers={"x-api-key": local_stack.api_key},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    assert {o["id"] for o in reply.json()["items"]} == {
        "demo-tl-internet-100",
        "demo-tl-telefoni",
        "demo-tl-tv-bas",
    }
