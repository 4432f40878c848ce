"""The local app server hands each request its own event: the address its connection
really came from, and its own query, even while other requests are being served."""

from __future__ import annotations

import http.client
import json
import socket
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


def post_app() -> Chalice:
    app = Chalice(app_name="post")

    @app.route("/submit", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
    def submit() -> dict[str, int]:
        return {"bytes": len(app.current_request.raw_body or b"")}

    return app


def test_a_burst_of_connections_waits_in_the_backlog_instead_of_being_refused():
    # Given a server that is listening but not yet accepting (its accept loop is busy)
    server = AppServer(post_app())
    port = int(server.url.rsplit(":", 1)[1])
    connections = []
    try:
        # When twenty visitors connect at once
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            connections.append(sock)
        server.start()
        # Then every one is answered once the server gets to it
        answers = []
        for sock in connections:
            sock.sendall(
                b"POST /submit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1"
            )
            answers.append(sock.makefile("rb").readline())
    finally:
        for sock in connections:
            sock.close()
        server.stop()
    assert answers == [b"HTTP/1.1 200 OK\r\n"] * 20


def test_a_request_whose_body_stalls_is_cut_off_and_others_are_still_served():
    # Given the app served with a short read timeout
    server = AppServer(post_app(), read_timeout_s=0.5).start()
    port = int(server.url.rsplit(":", 1)[1])
    stalled = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        # When a request promises 100 bytes of body, sends 3 and goes quiet
        stalled.sendall(
            b"POST /submit HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=1"
        )
        # Then it is answered 408 and closed, not held open
        reply = stalled.makefile("rb").read()
        # And another visitor is served meanwhile as usual
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(
            "POST",
            "/submit",
            body="a=1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        other = connection.getresponse().status
        connection.close()
    finally:
        stalled.close()
        server.stop()
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"request_timeout" in reply
    assert other == 200
