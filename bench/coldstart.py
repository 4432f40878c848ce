"""Cold start: fresh processes importing the deployed entry module (`app`, with the
environment the deployed functions have) against bench/bare_app (Chalice, boto3, pydantic),
interleaved so both see the same machine state. Import only: nothing calls AWS.

The figure is the time the child spends in `import app` (perf_counter around it), the part
our code controls; interpreter start-up is the same for both and is reported beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BARE_APP = Path(__file__).resolve().parent / "bare_app"

CHILD = (
    "import time, importlib, json; t = time.perf_counter(); importlib.import_module('app'); "
    "print(json.dumps({'import_s': time.perf_counter() - t}))"
)


def deployed_environment(stage: str = "dev") -> dict[str, str]:
    """What a deployed function sees: the stage's Chalice variables, the merge template's
    queue URLs, Lambda's region and (fake) credentials. No AWS endpoint: nothing may call."""
    from infra.package import stage_environment

    env = {
        k: v
        for k, v in os.environ.items()
        if k in {"PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"}
    }
    env.update(stage_environment(stage))
    account_queue = "https://sqs.eu-north-1.amazonaws.com/000000000000"
    env.update(
        {
            "ACTIVATION_QUEUE_URL": f"{account_queue}/{env.get('ACTIVATION_QUEUE_NAME', 'a')}",
            "WEBHOOK_QUEUE_URL": f"{account_queue}/{env.get('WEBHOOK_QUEUE_NAME', 'w')}",
            "AWS_REGION": "eu-north-1",
            "AWS_DEFAULT_REGION": "eu-north-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_LAMBDA_FUNCTION_NAME": f"stadsnatsfabriken-{stage}-customer-web",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def one_start(directory: Path, env: dict[str, str], timeout_s: float = 60) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"importing app in {directory} failed:\n{done.stderr[-2000:]}")
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"import_s": measured["import_s"], "process_s": wall}


def measure(runs: int = 10, stage: str = "dev") -> dict[str, Any]:
    """Median import time of `runs` fresh processes each; one discarded warm-up each."""
    env = deployed_environment(stage)
    one_start(ROOT, env)
    one_start(BARE_APP, env)
    app_runs: list[dict[str, float]] = []
    bare_runs: list[dict[str, float]] = []
    for _ in range(runs):
        app_runs.append(one_start(ROOT, env))
        bare_runs.append(one_start(BARE_APP, env))
    app_s = statistics.median(r["import_s"] for r in app_runs)
    bare_s = statistics.median(r["import_s"] for r in bare_runs)
    return {
        "runs": runs,
        "app_import_s": app_s,
        "bare_import_s": bare_s,
        "ratio": app_s / bare_s,
        "app_process_s": statistics.median(r["process_s"] for r in app_runs),
        "bare_process_s": statistics.median(r["process_s"] for r in bare_runs),
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10), indent=2))
