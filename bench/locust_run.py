"""One bounded locust run in its own process: `python -m bench.locust_run SPEC.json OUT.json`.

Locust (gevent) patches the standard library when imported, so it never runs inside the
orchestrator. SPEC names the target ("app": scenario-1 web journeys against the local
stack; "bare": the same requests straight to moto and the emulator), the user count and
the time limit. Each user does one order after another with no wait; OUT gets every
completed order's latency and every error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import gevent

# Importing locust patches the standard library (gevent) before requests and botocore load.
from locust import User, constant, events, task
from locust.env import Environment

SPEC: dict[str, Any] = {}
LATENCIES_MS: list[float] = []
ERRORS: list[str] = []


def _record(environment: Environment, started: float, error: Exception | None) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    if error is None:
        LATENCIES_MS.append(elapsed_ms)
    else:
        ERRORS.append(f"{type(error).__name__}: {error}"[:300])
    environment.events.request.fire(
        request_type="ORDER",
        name=SPEC["target"],
        response_time=elapsed_ms,
        response_length=0,
        exception=error,
        context={},
    )


class AppCustomer(User):
    """A new customer per order: the whole scenario-1 web journey (bench/journey.py)."""

    wait_time = constant(0)

    @task
    def order(self) -> None:
        from bench.journey import order_journey

        started = time.perf_counter()
        try:
            journey = order_journey(SPEC["app_url"], "127.0.0.2")
            error = None if journey.order_id else RuntimeError("no order id")
        except Exception as exc:
            error = exc
        _record(self.environment, started, error)


class BarePath(User):
    """The same order's DynamoDB, SQS and city-network requests without the app."""

    wait_time = constant(0)

    def on_start(self) -> None:
        from bench.bare_path import BareOrder, BareTarget
        from bench.connection import connection

        target = BareTarget(**{k: v for k, v in SPEC["bare_target"].items() if k != "auth"})
        self.bare = BareOrder(SPEC["sequence"], target)
        # The adapters' own clients and configuration, shared by all users as the app's are.
        self.dynamodb = connection().client("dynamodb")
        self.sqs = connection().client("sqs")

    def on_stop(self) -> None:
        self.bare.close()

    @task
    def order(self) -> None:
        started = time.perf_counter()
        try:
            self.bare.run(self.dynamodb, self.sqs)
            error = None
        except Exception as exc:
            error = exc
        _record(self.environment, started, error)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    SPEC.clear()
    SPEC.update(spec)
    LATENCIES_MS.clear()
    ERRORS.clear()
    user_class = AppCustomer if spec["target"] == "app" else BarePath
    environment = Environment(user_classes=[user_class], events=events)
    runner = environment.create_local_runner()
    started = time.perf_counter()
    runner.start(spec["users"], spawn_rate=spec["users"])
    gevent.spawn_later(spec["seconds"], runner.quit)
    runner.greenlet.join()
    elapsed = time.perf_counter() - started
    return {
        "target": spec["target"],
        "users": spec["users"],
        "seconds": elapsed,
        "latencies_ms": LATENCIES_MS,
        "errors": ERRORS,
    }


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    for name, value in spec.get("environment", {}).items():
        os.environ[name] = value
    result = run(spec)
    Path(sys.argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
