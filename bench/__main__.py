"""`python -m bench` (`make bench`): every measurement, one table, docs/benchmarks.md.

Bounded: each measurement has a count and a time limit, everything is on loopback, and the
defaults finish well within 10 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from bench import report

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RAW = ROOT / "build" / "bench" / "results.json"
MEASURES = ("coldstart", "calls", "listing", "load", "cpu", "webhooks", "package")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=MEASURES, help="run only these")
    parser.add_argument("--cold-starts", type=int, default=10)
    parser.add_argument("--listing-large", type=int, default=100_000)
    parser.add_argument("--listing-budget-s", type=float, default=240)
    parser.add_argument(
        "--load-seconds", type=float, default=float(os.environ.get("BENCH_LOAD_SECONDS", 60))
    )
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", 8)))
    parser.add_argument("--cpu-orders", type=int, default=200)
    parser.add_argument("--webhook-orders", type=int, default=20)
    parser.add_argument("--doc", type=Path, default=DOC, help="where to write the markdown")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    wanted = set(args.only or MEASURES)
    results: dict[str, Any] = {}

    def step(name: str) -> bool:
        if name in wanted:
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            return True
        return False

    if step("coldstart"):
        from bench import coldstart

        results["coldstart"] = coldstart.measure(args.cold_starts)
    sequence = None
    if step("calls") or "load" in wanted:
        from bench import bare_path, calls

        counted = calls.measure()
        sequence = bare_path.build_sequence(counted["1 activated"])
        results["calls"] = {
            "scenarios": {
                name: {
                    **count.summary(),
                    "city_network_calls": count.city_network_calls,
                    "minimum_city_network_calls": sum(
                        calls.MINIMUM_CITY_NETWORK_CALLS[name].values()
                    ),
                    "dynamodb_requests": count.dynamodb_requests,
                    "sqs_requests": count.sqs_requests,
                }
                for name, count in counted.items()
            }
        }
    if step("listing"):
        from bench import listing

        results["listing"] = listing.measure(
            large=args.listing_large, budget_s=args.listing_budget_s
        )
    if step("load"):
        from bench import load

        assert sequence is not None
        results["load"] = {
            "users": args.users,
            "seconds": args.load_seconds,
            "by_latency": load.measure(sequence, users=args.users, seconds=args.load_seconds),
        }
    if step("cpu"):
        from bench import cpu

        results["cpu"] = cpu.measure(args.cpu_orders)
    if step("webhooks"):
        from bench import webhooks

        results["webhooks"] = webhooks.measure(args.webhook_orders)
    if step("package"):
        from bench import package_size

        results["package"] = package_size.measure()
    results["skipped"] = [
        f"{name} (not asked for with --only)" for name in MEASURES if name not in wanted
    ]
    return results


def main(argv: list[str] | None = None) -> int:
    # The app logs one JSON line per request; the table is what this run is for.
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("werkzeug", "botocore", "urllib3", "chalicelib", "stadsnatsfabriken"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    args = parse(argv)
    started = time.monotonic()
    results = run(args)
    elapsed = time.monotonic() - started
    found = report.rows(results)
    print(report.table(found))
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps(results, indent=2, default=str))
    command = (
        "make bench"
        if argv is None and not sys.argv[1:]
        else shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    )
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(report.markdown(results, found, command, elapsed) + "\n")
    print(
        f"\nwrote {args.doc.relative_to(ROOT) if args.doc.is_relative_to(ROOT) else args.doc}"
        f" and {RAW.relative_to(ROOT)} in {elapsed / 60:.1f} min",
        file=sys.stderr,
    )
    failed = [row.measure for row in found if row.met is False]
    if failed:
        print("goals missed: " + "; ".join(failed), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
