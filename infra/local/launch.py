"""The local stack (`make run`'s program) as a child process on free loopback ports, for
the e2e tests and the benchmarks: started, waited for, and stopped again.

The child gets this process's environment without what the stack owns (its endpoints,
queues, table, secrets), so a value left in a developer's shell cannot point it elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_OWNED_BY_THE_STACK = {
    "AWS_ENDPOINT_URL",
    "TABLE_NAME",
    "ACTIVATION_QUEUE_URL",
    "WEBHOOK_QUEUE_URL",
    "NOTIFICATION_QUEUE_URL",
    "NOTIFICATION_DLQ_URL",
    "PUBLIC_BASE_URL",
    "PORT",
    "STAGE",
    "SECRETS_SSM_PREFIX",
    "DEMO_WEBHOOK_URL",
    "DEMO_WEBHOOK_SECRET",
    "DEMO_API_KEY",
}


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
def launched_stack(
    log_path: Path,
    *,
    extra_env: dict[str, str] | None = None,
    module: str = "infra.local.stack",
    start_timeout_s: float = 90,
) -> Iterator[dict[str, Any]]:
    """Run `python -m <module>` until the block ends; yields its ready file (the URLs and
    the demo API key). The child's output goes to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ready = Path(tempfile.mkdtemp(prefix="local-stack-")) / "ready.json"
    ports = ["--port", "0", "--moto-port", "0", "--emulator-api-port", "0"]
    ports += ["--emulator-bounce-port", "0", "--emulator-onapi-port", "0"]
    ports += ["--ready-file", str(ready)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *ports],
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
        info: dict[str, Any] = json.loads(ready.read_text())
        yield info
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
