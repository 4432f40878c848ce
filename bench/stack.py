"""The local stack (`make run`'s program) as a subprocess on free loopback ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / "build" / "bench"
STACK_TABLE = "stadsnatsfabriken-local"  # the stack's default TABLE_NAME
_OWNED_BY_THE_STACK = {
    "AWS_ENDPOINT_URL",
    "TABLE_NAME",
    "ACTIVATION_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "PUBLIC_BASE_URL",
    "PORT",
    "STAGE",
    "SECRETS_SSM_PREFIX",
    "DEMO_WEBHOOK_URL",
    "DEMO_WEBHOOK_SECRET",
    "DEMO_API_KEY",
}


@dataclass(frozen=True)
class RunningStack:
    app_url: str
    moto_url: str
    emulator_api_url: str
    bounce_url: str
    api_key: str
    log_path: Path


def stack_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SECRET_") and k not in _OWNED_BY_THE_STACK
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@contextmanager
def local_stack(
    extra_env: dict[str, str] | None = None, *, name: str = "stack", start_timeout_s: float = 90
) -> Iterator[RunningStack]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    ready = Path(tempfile.mkdtemp(prefix="bench-stack-")) / "ready.json"
    ports = ["--port", "0", "--moto-port", "0", "--emulator-api-port", "0"]
    ports += ["--emulator-bounce-port", "0", "--ready-file", str(ready)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.stack_server", *ports],
            cwd=ROOT,
            env=stack_environment(extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + start_timeout_s
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"local stack did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.1)
        info = json.loads(ready.read_text())
        yield RunningStack(
            app_url=info["app"],
            moto_url=info["moto"],
            emulator_api_url=info["emulator_api"],
            bounce_url=info["bounce"],
            api_key=info["api_key"],
            log_path=log_path,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
