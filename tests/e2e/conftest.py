"""The running local stack (`make run`'s program) for browser tests.

Started once per test session as a subprocess on free ports, exactly as a newcomer runs
it; the tests reach it only over HTTP, as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.launch import launched_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
GUIDE_DEMO_API_KEY = "sfk_local-demo-key-change-me-0123456789"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class RemoteEmulator:
    """The stack's emulator, through its control endpoints."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._base = api_url.rstrip("/") + "/_emulator"

    def calls(self, *, kind: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = requests.get(f"{self._base}/calls", timeout=5).json()
        return [
            c
            for c in calls
            if (kind is None or c["kind"] == kind) and (method is None or c["method"] == method)
        ]

    def reset(self) -> None:
        requests.post(f"{self._base}/reset", timeout=5).raise_for_status()

    def configure(self, config: dict[str, Any]) -> None:
        requests.put(f"{self._base}/config", json=config, timeout=5).raise_for_status()


@dataclass
class RunningStack:
    app_url: str
    bounce_url: str
    moto_url: str
    api_key: str
    emulator: RemoteEmulator
    log_path: Path
    info: dict[str, Any]  # everything the stack's ready file says (URLs, handlers)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    log_path = ARTIFACTS / "local-stack.log"
    # The key docs/provider-guide.md tells a reader to start `make run` with, so its
    # examples run here exactly as written.
    with launched_stack(log_path, extra_env={"DEMO_API_KEY": GUIDE_DEMO_API_KEY}) as info:
        yield RunningStack(
            app_url=info["app"],
            bounce_url=info["bounce"],
            moto_url=info["moto"],
            api_key=info["api_key"],
            emulator=RemoteEmulator(info["emulator_api"]),
            log_path=log_path,
            info=info,
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (scripts/bootstrap-browser)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
