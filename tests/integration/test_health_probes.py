"""/healthz's city-network probes over HTTP: any answer from a network's API address means
it is reachable (an ON-API base asked without credentials answers 401, a bare base may
answer 404); only a transport failure is a problem."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.composition import InMemoryAdapters
from chalicelib.domain.models import ON_API, CityNetwork
from infra.local.emulator_onapi import OnApiEmulator, load_config


class NotFoundHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_found_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFoundHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/onapi/2.6/"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/onapi/2.6/"


def on_api(network_id: str, api_url: str) -> CityNetwork:
    return CityNetwork(
        id=network_id,
        name=network_id,
        protocol=ON_API,
        api_url=api_url,
        portal_url=api_url + "portal",
        credentials_ref=f"{network_id}/api",
    )


def test_an_on_api_network_that_answers_at_all_is_healthy(not_found_url: str) -> None:
    with OnApiEmulator(load_config()) as emulator:
        # Given ON-API networks answering 401 (no credentials sent), 404, and one not there
        adapters = InMemoryAdapters()
        adapters.catalog.put_city_network(on_api("answers-401", emulator.api_url))
        adapters.catalog.put_city_network(on_api("answers-404", not_found_url))
        adapters.catalog.put_city_network(on_api("is-gone", closed_port_url()))
        # When /healthz's probes run
        problems = adapters.component_problems()
        # Then only the one that does not answer is a problem
        assert [c["status"] for c in emulator.calls()] == [401]
    assert problems == {
        "city_network:answers-401": None,
        "city_network:answers-404": None,
        "city_network:is-gone": "unreachable (ConnectionError)",
    }
