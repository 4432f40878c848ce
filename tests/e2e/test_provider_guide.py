"""docs/provider-guide.md's shell examples run against the local stack exactly as written.

The reader starts `make run` with the guide's DEMO_API_KEY (the `local_stack` fixture does
the same) and places a refused order as a customer; then every `sh` block of the guide runs
in one bash session. Only the port differs: the fixture's stack listens on a free port.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import GUIDE_DEMO_API_KEY
from tests.e2e.customer_steps import arrive_as, fill_customer, order_id_of, review_and_order

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "provider-guide.md"
DEMO_OUTLETS = ROOT / "infra" / "local" / "demo-outlets.json"


def guide_script(app_url: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    # The reader's own terminal runs `make run`; here the fixture already did.
    runnable = [b for b in blocks if not re.search(r"^make run$", b, re.M)]
    script = "\n".join(runnable).replace("http://127.0.0.1:8000", app_url)
    return "set -euo pipefail\n" + script


def provider_order(app_url: str, order_id: str) -> dict[str, Any]:
    reply = requests.get(
        f"{app_url}/tl/v1/orders/{order_id}",
        headers={"x-api-key": GUIDE_DEMO_API_KEY},
        timeout=10,
    )
    reply.raise_for_status()
    order: dict[str, Any] = reply.json()
    return order


def test_the_provider_guide_examples_work_as_written(local_stack: Any, page: Any) -> None:
    # Given a fresh demo city network (the refusing outlet refuses its next first order)
    local_stack.emulator.configure(json.loads(DEMO_OUTLETS.read_text(encoding="utf-8")))
    try:
        # And a customer at DEMO-REFUSE-1 who orders Demo TL's internet offer
        arrive_as(page, local_stack.app_url, "127.0.0.3", "guide")
        page.click("a[href*='/order/demo-tl-internet-100']")
        fill_customer(page)
        review_and_order(page)
        page.wait_for_url(re.compile(r".*/orders/ord_.*"))
        order_id = order_id_of(page)
        assert provider_order(local_stack.app_url, order_id)["activation"]["state"] == "refused"

        # When the guide's examples run, in order, in one shell
        run = subprocess.run(
            ["bash", "-c", guide_script(local_stack.app_url)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        local_stack.emulator.reset()

    # Then they acted on that order: status, note, and the idempotent activation trigger
    assert order_id in run.stdout
    assert "Idempotent-Replayed: true" in run.stdout.replace(
        "idempotent-replayed", "Idempotent-Replayed"
    )
    assert (
        '"code": "invalid_transition"' in run.stdout or '"code":"invalid_transition"' in run.stdout
    )
    order = provider_order(local_stack.app_url, order_id)
    assert order["status"] == "received"
    # And the activation the guide triggered ends activated through the worker
    deadline = time.monotonic() + 30
    while order["activation"]["state"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)
        order = provider_order(local_stack.app_url, order_id)
    assert order["activation"]["state"] == "activated"
    events = requests.get(
        f"{local_stack.app_url}/tl/v1/orders/{order_id}/events",
        headers={"x-api-key": GUIDE_DEMO_API_KEY},
        timeout=10,
    ).json()["items"]
    assert any(e.get("text") == "CPE configured remotely" for e in events)
    # And the walk-through made an offer with a campaign code, refused a binding over 24
    # months, scheduled a price change and retired the offer in the end
    assert '"catalog_offer_id":"bredband-250--demo-stadsnat"' in run.stdout.replace(" ", "")
    assert '"field": "body.binding_months"' in run.stdout.replace('":"', '": "')
    versions = requests.get(
        f"{local_stack.app_url}/tl/v1/offers/bredband-250/versions",
        headers={"x-api-key": GUIDE_DEMO_API_KEY},
        timeout=10,
    ).json()["items"]
    assert [(v["monthly_price_sek"], v["retired"]) for v in versions] == [
        (249, False),
        (279, False),
        (279, True),
    ]
    assert versions[0]["campaign"]["code"] == "VINTER25"
    # Step 2 published the terms: the newest version is the guide's text, current
    terms = requests.get(
        f"{local_stack.app_url}/tl/v1/documents/terms",
        headers={"x-api-key": GUIDE_DEMO_API_KEY},
        timeout=10,
    ).json()
    newest = terms["items"][-1]
    guide_terms = "Allmänna villkor för Bredband 250: avtalet gäller tills vidare."
    assert newest["current"] is True
    assert newest["content_sha256"] == hashlib.sha256(guide_terms.encode()).hexdigest()
