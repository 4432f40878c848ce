"""The stack's city-network emulator through its control endpoints (calls, reset, config)."""

from __future__ import annotations

import json
from typing import Any

import requests

from infra.local.emulator import DEMO_CONFIG_PATH


class EmulatorControl:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._base = api_url.rstrip("/") + "/_emulator"

    def calls(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = requests.get(f"{self._base}/calls", timeout=10).json()
        return [c for c in calls if kind is None or c["kind"] == kind]

    def reset(self) -> None:
        requests.post(f"{self._base}/reset", timeout=10).raise_for_status()

    def set_latency(self, latency_ms: int) -> None:
        """Every Direct Activation call answers `latency_ms` later (a global fault rule on
        the demo configuration, which the local stack runs)."""
        config = json.loads(DEMO_CONFIG_PATH.read_text(encoding="utf-8"))
        if latency_ms:
            config["faults"] = {"all": {"latency_ms": latency_ms}}
        requests.put(f"{self._base}/config", json=config, timeout=10).raise_for_status()
