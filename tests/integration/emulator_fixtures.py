"""The city-network emulator as a test double: start one, talk to it, inspect its calls.

    from tests.integration.emulator_fixtures import demo_config, start_emulator

    config = demo_config()
    once_503 = {"http_503": True, "fail_first": 1}
    config["outlets"]["DEMO-OK-1"]["faults"] = {"service_order": once_503}
    emulator = start_emulator(config)
    try:
        ...  # point a client at emulator.api_url with emulator.auth
        assert [c["status"] for c in emulator.calls(method="service_order")] == [503, 200]
    finally:
        emulator.stop()

or use the `emulator` fixture (demo configuration) by importing it into a test module or
conftest: `from tests.integration.emulator_fixtures import emulator  # noqa: F401`.
"""

from __future__ import annotations

import copy
import http.client
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from chalicelib.domain.identification import BounceResult
from infra.local.emulator import DEMO_CONFIG_PATH, Emulator, EmulatorConfig, load_config
from infra.local.emulator.config import parse_config

ConfigLike = EmulatorConfig | Mapping[str, Any] | str | Path | None


def demo_config() -> dict[str, Any]:
    """The demo outlet file as a fresh dict, to adjust per test."""
    return copy.deepcopy(json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8")))


def as_config(config: ConfigLike) -> EmulatorConfig:
    if config is None:
        return load_config(DEMO_CONFIG_PATH)
    if isinstance(config, EmulatorConfig):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    return parse_config(dict(config))


@dataclass
class BounceVisit:
    """What the bounce server answered one visitor."""

    status: int
    location: str | None
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """The query parameters of the redirect (last value wins)."""
        if self.location is None:
            return {}
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.location).query).items()}

    def result(self) -> BounceResult:
        p = self.params
        return BounceResult(
            status=p["status"],
            uid=p.get("uid", ""),
            message=p.get("message", ""),
            nonce=p["nonce"],
            expires=int(p["expires"]),
        )

    @property
    def signature(self) -> str:
        return self.params["sig"]


class EmulatorHandle:
    """A running emulator; calls(), reset() and configure() go over its control endpoints."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.api_url = emulator.api_url
        self.bounce_url = emulator.bounce_url
        self._control = requests.Session()

    # --- what a client needs ---------------------------------------------------------------

    @property
    def config(self) -> EmulatorConfig:
        return self.emulator.state.config

    @property
    def auth(self) -> tuple[str, str]:
        api = self.config.api
        return api.user, api.password

    @property
    def bounce_secret(self) -> bytes:
        return self.config.bounce.secret.encode()

    def call(
        self, method: str, *, auth: tuple[str, str] | None = None, timeout: float = 5, **params: str
    ) -> requests.Response:
        """One Direct Activation call with the configured credentials."""
        return requests.get(
            self.api_url,
            params={"method": method, **params},
            auth=auth or self.auth,
            timeout=timeout,
        )

    def bounce_from(
        self,
        source_ip: str,
        return_url: str,
        nonce: str,
        *,
        path: str = "/bounce",
        extra: Mapping[str, str] | None = None,
        timeout: float = 5,
    ) -> BounceVisit:
        """Visit the bounce server from `source_ip` (any 127.x.y.z works on Linux)."""
        parts = urlsplit(self.bounce_url)
        query = urlencode({**(extra or {}), "return_url": return_url, "nonce": nonce})
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1",
            parts.port,
            timeout=timeout,
            source_address=(source_ip, 0),
        )
        try:
            connection.request("GET", f"{path}?{query}")
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            return BounceVisit(
                status=response.status,
                location=response.getheader("Location"),
                body=body,
                headers={k.lower(): v for k, v in response.getheaders()},
            )
        finally:
            connection.close()

    # --- control ---------------------------------------------------------------------------

    def _url(self, name: str) -> str:
        return f"{self.api_url.rstrip('/')}/_emulator/{name}"

    def calls(self, *, kind: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        response = self._control.get(self._url("calls"), timeout=5)
        response.raise_for_status()
        calls: list[dict[str, Any]] = response.json()
        return [
            c
            for c in calls
            if (kind is None or c["kind"] == kind) and (method is None or c["method"] == method)
        ]

    def reset(self) -> None:
        self._control.post(self._url("reset"), timeout=5).raise_for_status()

    def configure(self, config: ConfigLike) -> None:
        body = as_config(config).model_dump_json()
        response = self._control.put(
            self._url("config"),
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            timeout=5,
        )
        response.raise_for_status()

    def stop(self) -> None:
        self._control.close()
        self.emulator.stop()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(config: ConfigLike = None, *, host: str = "127.0.0.1") -> EmulatorHandle:
    """Start both servers on free ports of `host`; the demo configuration by default."""
    return EmulatorHandle(Emulator(as_config(config), host=host).start())


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_emulator()
    yield handle
    handle.stop()
