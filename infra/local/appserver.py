"""Serves the Chalice app like `chalice local`, but with the real peer address.

`chalice local` reports every visitor as 127.0.0.1. Identification depends on the
visitor's address (API Gateway's `sourceIp`), so each connection's event converter gets
the address the connection really came from.

The server answers on several threads, but a Chalice app keeps the request it is serving
in one attribute (a Lambda serves one request at a time). `chalice local` makes that
attribute per thread; building the server ourselves skips that, and two visitors at once
read each other's request (a receipt link was checked against another visitor's query).
So the app gets the same per-thread request first.

Two things a real gateway does that `chalice local` does not: a listen backlog deep enough
for a burst of connections (Python's default of 5 reset a quarter of 20 simultaneous
POSTs), and a read timeout, so a request that promises a body and stalls is answered 408
instead of holding a thread forever.

A path or method no route has is answered as API Gateway answers it with the deployed
template's gateway responses (404, the project's JSON error), not with `chalice local`'s
403 "Missing Authentication Token".
"""

from __future__ import annotations

import threading
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    ThreadedHTTPServer,
)

# infra/merge-template.yaml, gateway response MISSING_AUTHENTICATION_TOKEN.
UNKNOWN_ROUTE_STATUS = 404
UNKNOWN_ROUTE_BODY = b'{"error": {"code": "not_found", "message": "no such resource"}}'
STALLED_BODY = (
    b'{"error": {"code": "request_timeout", "message": "the request body did not arrive"}}'
)
# Connections the kernel holds while the accept loop starts their threads.
LISTEN_BACKLOG = 128
# A client that sends nothing for this long is cut off (API Gateway waits about as long).
READ_TIMEOUT_S = 10.0


class LocalHttpServer(ThreadedHTTPServer):
    request_queue_size = LISTEN_BACKLOG


class PeerAddressRequestHandler(ChaliceRequestHandler):
    # Silence the per-request stderr lines; the app logs what matters as JSON.
    def log_message(self, format: str, *args: Any) -> None:
        return None

    # The socket timeout for every read (StreamRequestHandler applies it per connection).
    timeout = READ_TIMEOUT_S

    def _generic_handle(self) -> None:
        # Chalice builds a LocalGateway (and so an event converter) per handler instance,
        # i.e. per connection: this instance attribute never leaks to another visitor.
        self.local_gateway.event_converter.LOCAL_SOURCE_IP = self.client_address[0]  # type: ignore[misc]
        try:
            super()._generic_handle()
        except TimeoutError:
            # The body stalled: what was read of it is unusable, and so is the connection.
            self.close_connection = True
            headers = {"Content-Type": "application/json", "Connection": "close"}
            self._send_http_response(408, headers, STALLED_BODY)

    def _send_error_response(self, error: LocalGatewayException) -> None:
        # chalice local's "no such route" (an authorizer's denial is an AccessDenied one).
        no_route = error.headers.get("x-amzn-ErrorType") == "UnauthorizedException"
        if isinstance(error, ForbiddenError) and no_route:
            headers = {"Content-Type": "application/json"}
            self._send_http_response(UNKNOWN_ROUTE_STATUS, headers, UNKNOWN_ROUTE_BODY)
            return
        super()._send_error_response(error)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle


def serve_requests_per_thread(app: Chalice) -> None:
    """Give `app` Chalice's own per-thread `current_request` (what `chalice local` does)."""
    if not isinstance(app, LocalChalice):
        app.__class__ = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})


class AppServer:
    def __init__(
        self,
        app: Chalice,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        serve_requests_per_thread(app)
        config = Config.create(
            chalice_stage="local", app_name=app.app_name, lambda_timeout=28, lambda_memory_size=512
        )
        handler = type("RequestHandler", (PeerAddressRequestHandler,), {"timeout": read_timeout_s})
        self._dev = LocalDevServer(
            app, config, host, port, handler_cls=handler, server_cls=LocalHttpServer
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._dev.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AppServer:
        self._thread = threading.Thread(
            target=self._dev.server.serve_forever, name="app-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:
            self._dev.server.shutdown()
            self._thread.join(timeout=5)
        self._dev.server.server_close()
