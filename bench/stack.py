"""The local stack (`make run`'s program, with bench/stack_server.py's moto changes) as a
subprocess on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.local.launch import ROOT, launched_stack

LOG_DIR = ROOT / "build" / "bench"
STACK_TABLE = "stadsnatsfabriken-local"  # the stack's default TABLE_NAME


@dataclass(frozen=True)
class RunningStack:
    app_url: str
    moto_url: str
    emulator_api_url: str
    bounce_url: str
    api_key: str
    log_path: Path


@contextmanager
def local_stack(
    extra_env: dict[str, str] | None = None, *, name: str = "stack", start_timeout_s: float = 90
) -> Iterator[RunningStack]:
    log_path = LOG_DIR / f"{name}.log"
    with launched_stack(
        log_path, extra_env=extra_env, module="bench.stack_server", start_timeout_s=start_timeout_s
    ) as info:
        yield RunningStack(
            app_url=info["app"],
            moto_url=info["moto"],
            emulator_api_url=info["emulator_api"],
            bounce_url=info["bounce"],
            api_key=info["api_key"],
            log_path=log_path,
        )
