"""An ON-API network's visitor in headless Chromium against the running local stack: `/`
sends them to the network's portal, the portal hands them back with their access, and the
order is taken by the network and ends `activated` once the poller reads its order events
(docs/protocols/on-api.md, "The web-portal hand-over"). Forged, stale and replayed
hand-overs are refused in tests/unit/test_web_portal.py and
tests/integration/test_web_portal_http.py.

Chromium here always connects from 127.0.0.1, and the demo network is 127.0.1.0/24. So the
test stands in for a NAT: a TCP forwarder that connects to the app from 127.0.1.2, and a
browser whose every connection to the app's address goes through it (Chromium's
`--host-resolver-rules` maps the app's host and port to the forwarder's). The app sees
127.0.1.2 as the peer, on the way to the portal and back. The portal is reached directly,
from 127.0.0.1, so it shows its chooser page, where the visitor picks 127.0.1.2.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.customer_steps import (
    fill_customer,
    order_id_of,
    provider_order,
    review_and_order,
    see,
    shoot,
)

pytestmark = pytest.mark.e2e

VISITOR = "127.0.1.2"  # DEMO-ONAPI-OK: orders end DONE_SUCCESS
OFFER = "demo-tl-onapi-internet-100"
ACTIVATED = "Tjänsten är aktiverad i dag"


class Forwarder:
    """Listens on 127.0.0.1:0 and relays each connection to `target`, connecting from
    `source` (as a NAT does): the target sees `source` as the peer."""

    def __init__(self, target: tuple[str, int], source: str) -> None:
        self.target = target
        self.source = source
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Forwarder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.listener.close()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target, source_address=(self.source, 0))
            self.connections += 1
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def behind_nat(local_stack: Any, browser: Any) -> Iterator[tuple[Any, Forwarder]]:
    """A page whose connections to the app go out from 127.0.1.2, and the forwarder."""
    app = urlsplit(local_stack.app_url)
    assert app.hostname and app.port
    with Forwarder((app.hostname, app.port), VISITOR) as forwarder:
        rule = f"MAP {app.hostname}:{app.port} 127.0.0.1:{forwarder.port}"
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rule}"],
        )
        context = chromium.new_context(locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page, forwarder
        finally:
            context.close()
            chromium.close()


def test_a_browser_orders_through_the_portal_hand_over_and_sees_it_activated(
    local_stack: Any, behind_nat: tuple[Any, Forwarder]
):
    page, forwarder = behind_nat
    portal = urlsplit(local_stack.info["onapi_portal"])

    # Given a visitor behind DEMO-ONAPI-OK's connection, sent to the network's portal
    page.goto(local_stack.app_url + "/")
    assert urlsplit(page.url).netloc == portal.netloc
    page.wait_for_selector("text=Välj vilket uttag")
    shoot(page, "onapi-1-portal-chooser")

    # When it picks 127.0.1.2 on the portal's chooser and is handed back
    page.click(f"a:has-text('{VISITOR}:')")
    page.wait_for_url(re.compile(r".*/offers.*"))

    # Then it is identified, in the ON-API network
    see(page, "text=Vi har identifierat ditt uttag")
    assert page.locator(f"a[href='/order/{OFFER}']").count() == 1
    shoot(page, "onapi-2-offers")
    assert forwarder.connections > 0

    # When it orders
    page.click(f"a[href='/order/{OFFER}']")
    fill_customer(page)
    review_and_order(page)
    page.wait_for_url(re.compile(r".*/orders/ord_.*\?t=.*"))

    # Then the receipt ends `activated` once the poller has read the network's order events
    deadline = time.monotonic() + 20
    while ACTIVATED not in page.content():
        assert time.monotonic() < deadline, "the order did not end activated within 20 s"
        time.sleep(1)
        page.reload()
    shoot(page, "onapi-3-receipt")
    order = provider_order(local_stack.app_url, local_stack.api_key, order_id_of(page))
    assert order["activation"]["state"] == "activated"
    assert order["access_id"] == "DEMO-ONAPI-OK"
    assert order["identified"] is True and order["identified_by"] == "portal"
