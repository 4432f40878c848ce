"""The local app server hands each request the address its connection really came from."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from chalice.app import Chalice

from infra.local.appserver import AppServer


def echo_app() -> Chalice:
    app = Chalice(app_name="echo")

    @app.route("/whoami")
    def whoami() -> dict[str, str]:
        return {"sourceIp": app.current_request.context["identity"]["sourceIp"]}

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
