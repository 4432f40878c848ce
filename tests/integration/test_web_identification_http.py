"""Identification over real HTTP: the app served with the real peer address as sourceIp, the
emulator's bounce server seeing the browser's real address, and a bounce server that hangs."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from app import app
from bench.journey import CUSTOMER, browser_at, confirm_fields
from chalicelib.adapters.secrets import StaticSecrets
from chalicelib.composition import TEST_SECRETS, InMemoryAdapters, use
from chalicelib.settings import Settings
from infra.local.appserver import AppServer
from infra.local.seed import DEMO_CREDENTIALS_REF, seed_catalog
from tests.integration.emulator_fixtures import EmulatorHandle, demo_config, start_emulator


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator(demo_config())
    yield handle
    handle.stop()


def serve(
    bounce_url: str, api_url: str, password: str, settings: Settings | None = None
) -> tuple[AppServer, Any]:
    adapters = InMemoryAdapters(
        settings,
        secrets=StaticSecrets(
            {
                **TEST_SECRETS,
                DEMO_CREDENTIALS_REF: f"demo:{password}",
                f"{DEMO_CREDENTIALS_REF}/bounce": "demo-bounce-secret",
            }
        ),
    )
    seed_catalog(adapters.catalog, api_url, bounce_url)
    use(adapters)
    return AppServer(app).start(), adapters


@pytest.fixture
def stack(emulator: EmulatorHandle) -> Iterator[tuple[str, EmulatorHandle]]:
    server, _ = serve(emulator.bounce_url, emulator.api_url, emulator.auth[1])
    yield server.url, emulator
    server.stop()
    use(None)


_HIDDEN = re.compile(r'name="(csrf_token|submission_id)" value="([^"]*)"')


def adapters_in_use() -> Any:
    from chalicelib.composition import adapters

    return adapters()


def walk(browser: requests.Session, url: str, hops: int = 6) -> requests.Response:
    """Follow redirects one at a time (keeping cookies per host, as a browser does)."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    while response.is_redirect and hops:
        target = requests.compat.urljoin(response.url, response.headers["Location"])
        response = browser.get(target, allow_redirects=False, timeout=10)
        hops -= 1
    return response


def test_visitor_behind_a_known_outlet_is_identified_end_to_end(stack):
    app_url, emulator = stack
    # Given a browser at 127.0.0.2, the demo address of DEMO-OK-1
    browser = browser_at("127.0.0.2")

    # When it opens the portal, is bounced and comes back
    page = walk(browser, app_url + "/")

    # Then it is identified, and the port status was asked once for that outlet
    assert page.status_code == 200
    assert "Vi har identifierat ditt uttag" in page.text
    bounce = emulator.calls(kind="bounce")
    assert [c["peer"] for c in bounce] == ["127.0.0.2"]
    assert [c["outlet"] for c in emulator.calls(method="port_status")] == ["DEMO-OK-1"]


def test_not_found_at_the_bounce_server_is_unidentified_without_api_calls(stack):
    app_url, emulator = stack
    page = walk(browser_at("127.0.0.5"), app_url + "/")
    assert "hanterar beställningen manuellt" in page.text
    assert emulator.calls(kind="api") == []


def test_the_callback_is_bound_to_the_browser_that_started_it(stack):
    app_url, emulator = stack
    # Given an attacker's genuine callback URL for their own outlet
    attacker = browser_at("127.0.0.2")
    to_bounce = attacker.get(app_url + "/", allow_redirects=False, timeout=10)
    callback = attacker.get(to_bounce.headers["Location"], allow_redirects=False, timeout=10)
    callback_url = callback.headers["Location"]
    assert parse_qs(urlsplit(callback_url).query)["status"] == ["ok"]
    # When a victim's browser, which started its own identification, opens it
    victim = browser_at("127.0.0.9")
    victim.get(app_url + "/", allow_redirects=False, timeout=10)
    page = walk(victim, callback_url)
    # Then the victim stays unidentified
    assert "hanterar beställningen manuellt" in page.text
    assert emulator.calls(kind="api") == []


def test_a_bounce_result_sent_to_another_return_url_identifies_nobody(stack):
    app_url, emulator = stack
    # Given an attacker at 127.0.0.9 holding a nonce of its own session
    attacker = browser_at("127.0.0.9")
    to_bounce = attacker.get(app_url + "/", allow_redirects=False, timeout=10)
    bounce = urlsplit(to_bounce.headers["Location"])
    nonce = parse_qs(bounce.query)["nonce"][0]
    # and a victim at 127.0.0.2 (DEMO-OK-1) made to open the bounce URL with that nonce and
    # a return URL of the attacker's: the bounce server signs the victim's outlet
    query = urlencode({"return_url": "http://evil.test/collect", "nonce": nonce})
    bounce_url = bounce._replace(query=query).geturl()
    victim = browser_at("127.0.0.2")
    relayed = victim.get(bounce_url, allow_redirects=False, timeout=10)
    stolen = urlsplit(relayed.headers["Location"])
    assert stolen.netloc == "evil.test"
    assert parse_qs(stolen.query)["uid"] == ["DEMO-OK-1"]

    # When the attacker replays the result in its own browser and orders
    page = walk(attacker, f"{app_url}/identify/callback?{stolen.query}")
    form = attacker.get(f"{app_url}/order/demo-tl-internet-100", timeout=10)
    hidden = dict(_HIDDEN.findall(form.text))
    url = f"{app_url}/order/demo-tl-internet-100"
    review = attacker.post(url, data={**CUSTOMER, **hidden}, allow_redirects=False, timeout=10)
    assert review.status_code == 200, review.text
    posted = attacker.post(url, data=confirm_fields(review.text), allow_redirects=False, timeout=10)

    # Then the attacker is not identified: its order is a manual one, on no outlet
    assert "Vi har identifierat ditt uttag" not in page.text
    assert posted.status_code == 303
    assert [c["outlet"] for c in emulator.calls(kind="api")] == []
    [order] = list(adapters_in_use().orders._orders.values())
    assert not order.identified and order.access_id is None


@pytest.fixture
def hanging_bounce_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/bounce"
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    listener.close()


def test_bounce_server_that_does_not_answer_in_time_means_unidentified(hanging_bounce_server: str):
    settings = Settings.from_environment({"BOUNCE_DEADLINE_S": "0.5"})
    assert settings.bounce_deadline_s == 0.5
    server, _ = serve(hanging_bounce_server, "http://127.0.0.1:9/da", "x", settings)
    try:
        started = time.monotonic()
        first = requests.get(server.url + "/", allow_redirects=False, timeout=10)
        took = time.monotonic() - started
        # a second visitor does not wait again: the answer is remembered for a while
        started = time.monotonic()
        second = requests.get(server.url + "/", allow_redirects=False, timeout=10)
        took_again = time.monotonic() - started
    finally:
        server.stop()
        use(None)

    assert first.headers["Location"] == "/offers"
    assert second.headers["Location"] == "/offers"
    assert 0.4 <= took < 3
    assert took_again < 0.4
