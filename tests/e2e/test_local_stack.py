"""`make run`'s stack comes up whole: every component reports ok."""

from __future__ import annotations

import time

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
        "city_network:demo-onapi",
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
        "demo-tl-onapi-internet-100",
        "demo-tl-onapi-telefoni",
        "demo-tl-onapi-tv",
    }


def test_the_order_event_poller_reads_the_on_api_network_with_its_credentials(local_stack):
    # The scheduled poller runs every 2 s in the stack; the ON-API emulator logs its pulls.
    assert "poll_city_network_events" in local_stack.info["scheduled_handlers"]
    calls_url = f"{local_stack.info['onapi_emulator']}/_emulator/calls"

    def authorised_pulls() -> list[dict]:
        calls = requests.get(calls_url, timeout=5).json()
        return [c for c in calls if "orderevents" in c.get("path", "") and c["status"] == 200]

    deadline = time.monotonic() + 15
    while not authorised_pulls():
        assert time.monotonic() < deadline, "the poller never read the ON-API order events"
        time.sleep(0.5)
