"""Both servers in one process, started and stopped together."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

from .bounce import BounceHandler
from .config import EmulatorConfig
from .server import ApiHandler
from .state import EmulatorState
from .transport import EmulatorHTTPServer


class Emulator:
    """The emulated city network. `port=0` picks a free port (tests)."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        host: str = "127.0.0.1",
        api_port: int = 0,
        bounce_port: int = 0,
        bounce_host: str | None = None,
    ) -> None:
        self.state = EmulatorState(config)
        self._stopping = threading.Event()
        self._api = EmulatorHTTPServer((host, api_port), ApiHandler, self.state, self._stopping)
        self._bounce = EmulatorHTTPServer(
            (bounce_host or host, bounce_port), BounceHandler, self.state, self._stopping
        )
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _url(server: EmulatorHTTPServer, path: str) -> str:
        host, port = str(server.server_address[0]), server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{path}"

    @property
    def api_url(self) -> str:
        return self._url(self._api, "/")

    @property
    def bounce_url(self) -> str:
        return self._url(self._bounce, "/bounce")

    def start(self) -> Self:
        for name, server in (("api", self._api), ("bounce", self._bounce)):
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"emulator-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        # Wake every sleeping handler (hang, latency, dribble) before waiting for the loops.
        self._stopping.set()
        servers = (self._api, self._bounce)
        if self._threads:
            # Each shutdown waits out a poll interval; both at once halve a test's teardown.
            stoppers = [threading.Thread(target=server.shutdown) for server in servers]
            for stopper in stoppers:
                stopper.start()
            for stopper in stoppers:
                stopper.join()
        for server in servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def calls(self) -> list[dict[str, Any]]:
        return self.state.calls()

    def reset(self) -> None:
        self.state.reset()

    def configure(self, config: EmulatorConfig) -> None:
        self.state.configure(config)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
