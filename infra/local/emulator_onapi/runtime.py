"""The emulator in a thread: start, stop, and what tests ask of it."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

from infra.local.emulator.transport import EmulatorHTTPServer

from .config import EmulatorConfig
from .network import API_PATH
from .server import OnApiHandler, OnApiState


class OnApiEmulator:
    """The emulated ON-API city network on one port (`port=0` picks a free one)."""

    def __init__(self, config: EmulatorConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = OnApiState(config)
        self._stopping = threading.Event()
        # The shared server class only hands `state` to the handler, whatever its type.
        self._server = EmulatorHTTPServer(
            (host, port),
            OnApiHandler,
            self.state,  # type: ignore[arg-type]
            self._stopping,
        )
        self._thread: threading.Thread | None = None

    def _url(self, path: str) -> str:
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{path}"

    @property
    def base_url(self) -> str:
        return self._url("")

    @property
    def api_url(self) -> str:
        """The versioned ON-API base the client is given."""
        return self._url(API_PATH)

    @property
    def portal_url(self) -> str:
        return self._url("/portal")

    @property
    def auth(self) -> tuple[str, str]:
        api = self.state.config.api
        return api.user, api.password

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="emulator-onapi",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay fault
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def calls(self) -> list[dict[str, Any]]:
        return self.state.calls()

    def reset(self) -> None:
        self.state.reset()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
