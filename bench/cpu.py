"""CPU per order: scenario-1 orders through the HTTP layer (chalice.test.Client on app.py)
with every adapter in memory and a fake city network (tests/unit/web_fakes.py), so only
our code, Chalice and the libraries we call are on the clock.

One order = the seven requests of the web journey: GET / (to the bounce server), the signed
callback, the offers, the form, its POST (the review page), the review's confirm POST and
the receipt. The baseline is the same number
of requests through the same test client to bench/bare_app's one route: what Chalice's
request handling costs before any of our code runs.

Top costs: a profile over the orders, each function's own time plus the time of library
code it calls (walked up to the nearest project function, split by caller), ranked.
"""

from __future__ import annotations

import cProfile
import importlib.util
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

PROJECT = str(Path(__file__).resolve().parents[1] / "chalicelib")
REQUESTS_PER_ORDER = 7

FuncKey = tuple[str, int, str]


def _order(client: Any, world: Any) -> None:
    from tests.unit.web_fakes import (
        hidden,
        identified_browser,
        location,
        review_and_confirm,
        valid_answers,
    )

    browser = identified_browser(client, world)  # GET / and the signed callback
    browser.get("/offers")
    html = browser.get("/order/tl-internet-100").body.decode()
    posted = review_and_confirm(
        browser,
        "/order/tl-internet-100",
        {
            **valid_answers(),
            "csrf_token": hidden(html, "csrf_token"),
            "submission_id": hidden(html, "submission_id"),
        },
    )
    if posted.status_code != 303:
        raise AssertionError(f"the order POST answered {posted.status_code}")
    browser.get(location(posted))


def _bare_app() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_bare_app", Path(__file__).parent / "bare_app" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def attributed_costs(stats: pstats.Stats) -> dict[FuncKey, float]:
    """Each project function's own time plus the library time it causes."""
    raw: dict[FuncKey, Any] = stats.stats  # type: ignore[attr-defined]
    credit: dict[FuncKey, float] = defaultdict(float)

    def is_project(func: FuncKey) -> bool:
        return func[0].startswith(PROJECT)

    def lift(func: FuncKey, amount: float, depth: int) -> None:
        _, _, own, _, callers = raw[func]
        if depth > 30 or own <= 0 or not callers:
            return
        for caller, (_, _, caller_own, _) in callers.items():
            share = amount * caller_own / own
            if is_project(caller):
                credit[caller] += share
            elif caller in raw:
                lift(caller, share, depth + 1)

    for func, (_, _, own, _, _) in raw.items():
        if is_project(func):
            credit[func] += own
        else:
            lift(func, own, 0)
    return credit


def measure(orders: int = 200, top: int = 5) -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from chalicelib.settings import LOCAL_STAGE, Settings
    from tests.unit.web_fakes import build_world, installed

    # Hundreds of orders on one outlet from one address: no hourly limit (ORDERS_PER_*).
    unlimited = Settings(
        stage=LOCAL_STAGE, orders_per_access_per_hour=10**9, orders_per_address_per_hour=10**9
    )
    world = build_world(settings=unlimited)
    with installed(world), Client(app) as client:
        _order(client, world)  # warm: form definitions, templates
        started = time.process_time()
        for _ in range(orders):
            _order(client, world)
        app_cpu_s = (time.process_time() - started) / orders
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(orders):
            _order(client, world)
        profile.disable()

    with Client(_bare_app()) as bare:
        bare.http.get("/")
        started = time.process_time()
        for _ in range(orders * REQUESTS_PER_ORDER):
            bare.http.get("/")
        bare_cpu_s = (time.process_time() - started) / orders

    stats = pstats.Stats(profile)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    ranked = sorted(attributed_costs(stats).items(), key=lambda kv: kv[1], reverse=True)
    return {
        "orders": orders,
        "app_cpu_ms": app_cpu_s * 1000,
        "bare_cpu_ms": bare_cpu_s * 1000,
        "top": [
            {
                "function": f"{Path(file).relative_to(Path(PROJECT).parent)}:{line}({name})",
                "share": cost / total,
                "ms_per_order": cost / orders * 1000,
            }
            for (file, line, name), cost in ranked[:top]
        ],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
