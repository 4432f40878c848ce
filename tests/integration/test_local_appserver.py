"""The local app server hands each request its own event: the address its connection
really came from, and its own query, even while other requests are being served."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from chalice.app import Chalice

from infra.local.appserver import AppServer


def echo_app() -> Chalice:
    app = Chalice(app_name="echo")

    @app.route("/whoami")
    def whoami() -> dict[str, str]:
        return {"sourceIp": app.current_request.context["identity"]["sourceIp"]}

    return app


def overlapping_app(overlap: threading.Barrier) -> Chalice:
    app = Chalice(app_name="overlap")

    @app.route("/echo")
    def echo() -> dict[str, str | None]:
        # Every request waits here until all have started: each reads its request while
        # the others are in flight, as a slow city-network call makes happen.
        overlap.wait()
        return {"t": (app.current_request.query_params or {}).get("t")}

    return app


def ask_from(source_ip: str, port: int, times: int) -> list[str]:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=5, source_address=(source_ip, 0)
    )
    seen = []
    try:
        for _ in range(times):
            connection.request("GET", "/whoami")
            seen.append(json.loads(connection.getresponse().read())["sourceIp"])
    finally:
        connection.close()
    return seen


def test_concurrent_visitors_each_see_their_own_source_address():
    # Given the app served locally
    server = AppServer(echo_app()).start()
    port = int(server.url.rsplit(":", 1)[1])
    visitors = [f"127.0.0.{n}" for n in range(2, 10)]
    try:
        # When eight visitors on different addresses ask at the same time, on kept-alive
        # connections
        with ThreadPoolExecutor(max_workers=len(visitors)) as pool:
            answers = dict(
                zip(visitors, pool.map(lambda ip: ask_from(ip, port, 20), visitors), strict=True)
            )
    finally:
        server.stop()
    # Then every answer names the asker's own address
    for visitor, seen in answers.items():
        assert set(seen) == {visitor}


def test_requests_in_flight_together_each_read_their_own_query():
    # Given the app served locally, with requests that overlap for certain
    visitors = 4
    server = AppServer(overlapping_app(threading.Barrier(visitors, timeout=10))).start()
    port = int(server.url.rsplit(":", 1)[1])

    def ask(token: str) -> str | None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            connection.request("GET", f"/echo?t={token}")
            answer: str | None = json.loads(connection.getresponse().read())["t"]
            return answer
        finally:
            connection.close()

    tokens = [f"token-{n}" for n in range(visitors)]
    try:
        # When four visitors ask at the same time
        with ThreadPoolExecutor(max_workers=visitors) as pool:
            answers = list(pool.map(ask, tokens))
    finally:
        server.stop()
    # Then each is answered from its own request, not from the one that came in last
    assert answers == tokens
