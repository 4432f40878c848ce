"""HTTP plumbing shared by both servers: raw replies (so a reply can be dribbled byte by
byte), sleeps that end when the server stops, and quiet logs."""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .state import EmulatorState


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        state: EmulatorState,
        stopping: threading.Event,
    ) -> None:
        super().__init__(address, handler)
        self.state = state
        self.stopping = stopping

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up (timeouts are the point of several faults) are not errors.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class EmulatorHandler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    server_version = "stadsnat-emulator/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """The call record is the log; stderr stays quiet."""

    def pause(self, seconds: float) -> bool:
        """Sleeps; True when the server is shutting down meanwhile (the caller then gives up)."""
        return self.server.stopping.wait(seconds)

    def reply(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        dribble_interval_s: float | None = None,
    ) -> None:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Cache-Control: no-store",
            "Connection: close",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        self.close_connection = True
        try:
            if dribble_interval_s is None:
                self.wfile.write(raw)
                return
            for index in range(len(raw)):
                self.wfile.write(raw[index : index + 1])
                if self.pause(dribble_interval_s):
                    return
        except (BrokenPipeError, ConnectionResetError):
            return

    def read_body(self, limit: int = 1 << 20) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if length < 0 or length > limit:
            return None
        return self.rfile.read(length)
