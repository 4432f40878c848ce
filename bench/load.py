"""Load: concurrent customers doing scenario 1 on the local stack, beside the bare path.

For each emulator latency, locust runs the app path (whole web journeys, bench/journey.py)
and then the bare path (the same order's requests without the app, bench/bare_path.py)
with the same user count and time limit, each in its own process (bench/locust_run.py).
An order is one whole journey of a new customer: GET / through the bounce server to the
offers, the form, the POST and the receipt.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bare_path import BareTarget
from bench.emulator import EmulatorControl
from bench.stack import ROOT, STACK_TABLE, RunningStack, local_stack


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    latencies = result["latencies_ms"]
    return {
        "orders": len(latencies),
        "orders_per_s": len(latencies) / result["seconds"] if result["seconds"] else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "errors": len(result["errors"]),
        "first_errors": result["errors"][:3],
        "seconds": result["seconds"],
    }


def run_locust(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    spec_path, out_path = scratch / "spec.json", scratch / "out.json"
    spec_path.write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.locust_run", str(spec_path), str(out_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0 or not out_path.exists():
        raise RuntimeError(f"locust run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def _spec(path: str, stack: RunningStack, sequence: dict[str, Any], users: int, seconds: float):
    target = BareTarget(
        table_name=STACK_TABLE,
        app_url=stack.app_url,
        emulator_api_url=stack.emulator_api_url,
        bounce_url=stack.bounce_url,
    )
    bare_env = {
        "AWS_ENDPOINT_URL": stack.moto_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "eu-north-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }
    return {
        "target": path,
        "users": users,
        "seconds": seconds,
        "app_url": stack.app_url,
        "sequence": sequence,
        "bare_target": {k: v for k, v in target.__dict__.items() if k != "auth"},
        "environment": bare_env if path == "bare" else {},
    }


def measure(
    sequence: dict[str, Any],
    *,
    latencies_ms: tuple[int, ...] = (0, 200),
    users: int = 8,
    seconds: float = 60,
) -> dict[str, Any]:
    """latency -> {"app": summary, "bare": summary}, both paths in the same run.

    Each path gets a fresh local stack (an empty table: moto's index queries walk the whole
    table, so a run after another would pay for its orders)."""
    results: dict[str, Any] = {}
    for latency in latencies_ms:
        results[str(latency)] = {}
        for path in ("app", "bare"):
            with local_stack(name=f"load-{path}-{latency}ms") as stack:
                EmulatorControl(stack.emulator_api_url).set_latency(latency)
                raw = run_locust(_spec(path, stack, sequence, users, seconds), seconds + 120)
                results[str(latency)][path] = summarise(raw)
    return results
