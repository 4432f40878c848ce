"""One table from the measurements: printed, and written to docs/benchmarks.md with the
command, the date and the machine. Numbers come only from the run's results."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

COLUMNS = ("measure", "value", "baseline", "ratio", "goal", "met?")

# What was done about each of the CPU profile's top costs (matched by function name).
CPU_NOTES = {
    "escape": "HTML escaping of every value the pages render; kept: escaping is the "
    "XSS defence and html.escape is already C-backed string work.",
    "fragment": "string.Template substitution per rendered fragment; written down, not "
    "done: precompiling each field's HTML could cut it, but this module is the page's "
    "escaping boundary and the saving is a fraction of a millisecond.",
    "_schema_errors": "jsonschema validation of each fieldset on submit; kept: the forms "
    "are JSON Schema by design (forms/README.md).",
    "_field_spec": "reading the form definitions into field specs on each request; fixed "
    "(chalicelib/web/order_form.py): the composed form is built once per (category, "
    "extension form) per process.",
    "parse_swedish_phone": "phonenumbers parsing the customer's phone number; kept: it is "
    "the validation the form promises.",
    "attributes": "building HTML attribute strings for each form field; kept: small "
    "string work, already one pass per field.",
    "compose_form": "composing base + category + extension forms per request; fixed: "
    "cached per (category, extension form) per process.",
}


@dataclass(frozen=True)
class Row:
    measure: str
    value: str
    baseline: str = "—"
    ratio: float | None = None
    goal: str = "—"
    met: bool | None = None

    def cells(self) -> tuple[str, ...]:
        ratio = "—" if self.ratio is None or math.isnan(self.ratio) else f"{self.ratio:.2f}"
        met = "—" if self.met is None else ("yes" if self.met else "NO")
        return (self.measure, self.value, self.baseline, ratio, self.goal, met)


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def rows(results: dict[str, Any]) -> list[Row]:
    found: list[Row] = []
    cold = results.get("coldstart")
    if cold:
        found.append(
            Row(
                f"cold start: import app (median of {cold['runs']})",
                _ms(cold["app_import_s"] * 1000),
                _ms(cold["bare_import_s"] * 1000) + " bare app",
                cold["ratio"],
                "≤ 1.3",
                cold["ratio"] <= 1.3,
            )
        )
    calls = results.get("calls")
    if calls:
        for scenario, count in calls["scenarios"].items():
            value, minimum = count["city_network_calls"], count["minimum_city_network_calls"]
            ratio = _ratio(value, minimum) if minimum else (1.0 if value == 0 else math.inf)
            found.append(
                Row(
                    f"city-network calls, scenario {scenario}",
                    str(value),
                    f"{minimum} (docs/architecture.md)",
                    ratio,
                    "= 1.0",
                    ratio == 1.0,
                )
            )
        for scenario, count in calls["scenarios"].items():
            found.append(
                Row(
                    f"DynamoDB + SQS requests, scenario {scenario}",
                    f"{count['dynamodb_requests']} + {count['sqs_requests']}",
                )
            )
    listing = results.get("listing")
    if listing:
        small, large = listing["at_small"], listing["at_large"]
        label = f"{listing['large']:,}".replace(",", " ")
        ratio = _ratio(large["scanned"], small["scanned"])
        found.append(
            Row(
                f"listing: items read for a 50-order page, {label} others",
                str(large["scanned"]),
                f"{small['scanned']} at {listing['small']:,} others".replace(",", " "),
                ratio,
                "≤ 1.05",
                ratio <= 1.05,
            )
        )
        ratio = _ratio(large["read_units"], small["read_units"])
        found.append(
            Row(
                f"listing: read units for that page, {label} others",
                f"{large['read_units']:g}",
                f"{small['read_units']:g}",
                ratio,
                "≤ 1.05",
                ratio <= 1.05,
            )
        )
    load = results.get("load")
    if load:
        users, seconds = load["users"], load["seconds"]
        for latency, paths in load["by_latency"].items():
            app, bare = paths["app"], paths["bare"]
            tag = f"load {users} users {seconds:g} s, city network +{latency} ms"
            ratio = _ratio(app["orders_per_s"], bare["orders_per_s"])
            found.append(
                Row(
                    f"{tag}: orders/s",
                    f"{app['orders_per_s']:.1f}",
                    f"{bare['orders_per_s']:.1f} bare",
                    ratio,
                    "≥ 0.5",
                    ratio >= 0.5,
                )
            )
            found.append(
                Row(
                    f"{tag}: p50 / p95 / p99",
                    f"{app['p50_ms']:.0f} / {app['p95_ms']:.0f} / {app['p99_ms']:.0f} ms",
                    f"{bare['p50_ms']:.0f} / {bare['p95_ms']:.0f} / {bare['p99_ms']:.0f} ms",
                    _ratio(app["p99_ms"], bare["p99_ms"]),
                    "— (p99 ratio)",
                )
            )
            errors = app["errors"] + bare["errors"]
            found.append(
                Row(
                    f"{tag}: errors (app + bare)",
                    f"{app['errors']} + {bare['errors']}",
                    goal="= 0",
                    met=errors == 0,
                )
            )
    cpu = results.get("cpu")
    if cpu:
        found.append(
            Row(
                "CPU per scenario-1 order (7 requests, in memory)",
                f"{cpu['app_cpu_ms']:.2f} ms",
                f"{cpu['bare_cpu_ms']:.2f} ms bare app",
                _ratio(cpu["app_cpu_ms"], cpu["bare_cpu_ms"]),
            )
        )
    hooks = results.get("webhooks")
    if hooks:
        found.append(
            Row(
                f"webhook latency p50 / p99 ({hooks['received']} of {hooks['orders']} orders)",
                f"{_ms(hooks['p50_ms'])} / {_ms(hooks['p99_ms'])}",
                goal="all arrive",
                met=hooks["missing"] == 0,
            )
        )
    package = results.get("package")
    if package:
        ratio = package["mb"] / package["limit_mb"]
        found.append(
            Row(
                "deployment zip (no boto3)",
                f"{package['mb']:.1f} MB",
                f"{package['limit_mb']:g} MB limit",
                ratio,
                "≤ 1.0",
                ratio <= 1.0,
            )
        )
    return found


def table(found: list[Row]) -> str:
    """A markdown table; it reads well as plain text too."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in found]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def _calls_detail(calls: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | city network | DynamoDB | SQS | RRU | WRU | app requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario, count in calls["scenarios"].items():
        city = ", ".join(f"{k} {v}" for k, v in count["city_network"].items()) or "none"
        dynamo = ", ".join(f"{k} {v}" for k, v in sorted(count["dynamodb"].items())) or "none"
        sqs = ", ".join(f"{k} {v}" for k, v in count["sqs"].items()) or "none"
        lines.append(
            f"| {scenario} | {city} | {dynamo} | {sqs} | {count['rru']:g} | {count['wru']} "
            f"| {count['app_requests']} |"
        )
    return lines


def _reread_note(calls: dict[str, Any]) -> str:
    first = calls["scenarios"].get("1 activated")
    if not first:
        return ""
    gets, distinct = first["dynamodb"].get("GetItem", 0), first["distinct_keys_read"]
    if gets > distinct:
        return (
            f"Scenario 1's pages make {gets} GetItem calls for {distinct} different items: "
            "some pages read the same catalog item again by key (single-item eventually "
            "consistent reads, 0.5 RRU each)."
        )
    return (
        f"Scenario 1's pages make {gets} GetItem calls for {distinct} different items: each "
        "item is read once. The catalog (city networks, offers, providers) is kept for 30 s "
        "by a warm process (chalicelib/adapters/cached_catalog.py), so a customer's later "
        "pages, and other customers', do not read it again."
    )


def _load_detail(load: dict[str, Any]) -> list[str]:
    lines = [
        "| emulator latency | path | orders | orders/s | p50 | p95 | p99 | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for latency, paths in load["by_latency"].items():
        for path, s in paths.items():
            lines.append(
                f"| {latency} ms | {path} | {s['orders']} | {s['orders_per_s']:.2f} "
                f"| {s['p50_ms']:.0f} ms | {s['p95_ms']:.0f} ms | {s['p99_ms']:.0f} ms "
                f"| {s['errors']} |"
            )
    errors = [
        e
        for paths in load["by_latency"].values()
        for s in paths.values()
        for e in s["first_errors"]
    ]
    if errors:
        lines += ["", "First errors:", *[f"- `{e}`" for e in errors]]
    return lines


def _load_note(load: dict[str, Any]) -> str:
    first = load["by_latency"].get("0")
    if not first:
        return ""
    app, bare = first["app"], first["bare"]
    return (
        f"Read the ratios with the bottleneck in mind: with moto answering one DynamoDB "
        f"request at a time, the bare path's {bare['orders_per_s']:.1f} orders/s at 0 ms is "
        f"about what this machine's moto sustains for the order's DynamoDB requests, and the "
        f"app path ({app['orders_per_s']:.1f} orders/s) shares it and the two cores with the "
        "app server. The ratio says how much the app costs on top of round trips it cannot "
        "avoid, here; it is not what Lambda and DynamoDB would sustain. With 200 ms per "
        "city-network call, a customer's three calls overlap with other customers' DynamoDB "
        "work, so throughput drops less than the added latency."
    )


def _cpu_detail(cpu: dict[str, Any]) -> list[str]:
    lines = [
        "| # | function | share of profiled time | ms per order | what was done |",
        "|---|---|---|---|---|",
    ]
    for i, entry in enumerate(cpu["top"], 1):
        name = entry["function"].rsplit("(", 1)[-1].rstrip(")")
        note = CPU_NOTES.get(name, "not looked at yet")
        lines.append(
            f"| {i} | `{entry['function']}` | {entry['share']:.1%} "
            f"| {entry['ms_per_order']:.2f} | {note} |"
        )
    return lines


def markdown(results: dict[str, Any], found: list[Row], command: str, elapsed_s: float) -> str:
    box = machine()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/); do not edit by hand. Every ratio compares two "
        "figures measured side by side in the same run.",
        "",
        f"- Command: `{command}`",
        f"- Date: {now}; the run took {elapsed_s / 60:.1f} minutes",
        f"- Machine: {box['cpu']}, {box['cores']} cores, {box['memory']} memory, "
        f"{box['os']}, Python {box['python']}",
        "",
        table(found),
        "",
    ]
    if "coldstart" in results:
        c = results["coldstart"]
        parts += [
            "## Cold start",
            "",
            f"Fresh processes, interleaved, importing `app` with the dev stage's environment "
            f"(infra/package.py's stage_environment plus the queue URLs the template adds), "
            f"against bench/bare_app/app.py (Chalice, boto3, pydantic). Median time inside "
            f"`import app`: {c['app_import_s'] * 1000:.0f} ms against "
            f"{c['bare_import_s'] * 1000:.0f} ms; whole processes (interpreter start-up "
            f"included) {c['app_process_s'] * 1000:.0f} ms against "
            f"{c['bare_process_s'] * 1000:.0f} ms. Both read compiled bytecode from the "
            f"local cache; Lambda's zip carries no .pyc, so there every module is compiled "
            f"on a cold start, ours and the libraries' alike.",
            "",
        ]
    if "calls" in results:
        parts += [
            "## Calls per order",
            "",
            "One whole web journey per scenario (bench/journey.py: `GET /`, the bounce "
            "server, the callback, the offers, the form, its POST and the receipt; scenario 3 "
            "stops at the form, which says why the service cannot be delivered) against the "
            "app in the bench process on moto's server and the emulator. DynamoDB and SQS "
            "requests are counted on the adapters' clients by bench/request_counts.py (the "
            "counter tests/integration/test_request_counts.py uses for docs/deploy.md, which "
            "counts the ordering service alone); city-network calls from the emulator's "
            "record. The minimum is docs/architecture.md's: one `port_status` per identified "
            "visit, one `service_deliverable` per chosen offer, one `service_order` per order.",
            "",
            *_calls_detail(results["calls"]),
            "",
            _reread_note(results["calls"]),
            "",
        ]
    if "listing" in results:
        listing = results["listing"]
        note = (
            ""
            if listing["complete"]
            else f" The fill stopped at {listing['large']} of {listing['large_asked']} "
            "orders (time budget); the figure is for what was written."
        )
        parts += [
            "## Listing cost",
            "",
            f"`DynamoDBOrderStore.list_for_provider(limit=50)` for a provider with "
            f"{listing['own']} orders of its own, with {listing['small']} and then "
            f"{listing['large']} orders of other providers in the table (moto in process, "
            f"filled with BatchWriteItem in the store's item shape in "
            f"{listing['fill_seconds']:.0f} s). A hook on the client sets "
            f"ReturnConsumedCapacity and adds up ScannedCount; read units are computed from "
            f"the items' sizes (moto reports {listing['at_large']['capacity_units']:g} "
            f"capacity unit per query whatever it reads). The provider-orders index is keyed "
            f"by provider, so the page reads 51 items (one more than the page, to know "
            f"whether another exists) however many orders other providers have.{note}",
            "",
        ]
    if "load" in results:
        load = results["load"]
        parts += [
            "## Load",
            "",
            f"locust (headless, as a library, bench/locust_run.py), {load['users']} users, "
            f"{load['seconds']:g} s per run, no wait between orders. An order is a new "
            "customer's whole scenario-1 journey from 127.0.0.2 (six app requests and the "
            "bounce server); its latency is the journey's. The bare path sends the requests "
            "that journey made (recorded in order by the calls-per-order count: the DynamoDB "
            "requests with fresh ids, the bounce visit and the three Direct Activation calls) "
            "straight to moto and the emulator. Each run gets a fresh local stack, run by "
            "bench/stack_server.py: the local stack with three changes to its moto, for both "
            "paths alike. moto copied the whole table, its stream included, on every "
            "transaction (each order was slower than the last), walked the whole table for "
            "every Query, and raced under concurrent requests (500s); now its DynamoDB "
            "handles one request at a time, backs "
            "up only item containers and reads one partition for a key Query. Its index "
            "queries still walk the whole table. Both paths share the machine's two cores "
            "with locust; the emulator's latency is set with `PUT /_emulator/config` "
            "(`faults.all.latency_ms`).",
            "",
            *_load_detail(load),
            "",
            _load_note(load),
            "",
        ]
    if "cpu" in results:
        cpu = results["cpu"]
        parts += [
            "## CPU per order",
            "",
            f"{cpu['orders']} scenario-1 orders through `chalice.test.Client` on app.py with "
            "`InMemoryAdapters` and a fake city network (tests/unit/web_fakes.py); CPU "
            "time without the profiler, then a cProfile run over as many orders. The baseline "
            "is seven requests to bench/bare_app's route through the same client. Each "
            "function's cost is its own time plus the library time it causes (walked up to "
            "the nearest project function).",
            "",
            *_cpu_detail(cpu),
            "",
            "Fixed before this run: the order form was composed from its definitions on "
            "every GET and POST (forms.py `compose_form` and `_field_spec` were in the top "
            "five); chalicelib/web/order_form.py now composes each form once per process.",
            "",
        ]
    if "webhooks" in results:
        h = results["webhooks"]
        parts += [
            "## Webhook latency",
            "",
            f"{h['orders']} scenario-1 orders, one at a time, on the local stack started with "
            "DEMO_WEBHOOK_URL pointing at a receiver in the bench process: the order's "
            "created_at to the arrival of its `order.created` webhook "
            f"(max {h['max_ms']:.0f} ms). Locally the table stream is polled every 0.2 s when "
            "idle (infra/local/streams.py) and the SQS worker long-polls, so those waits "
            "dominate. On AWS the stream relay and the webhook worker are event source "
            "mappings: DynamoDB Streams to Lambda typically adds well under a second, SQS to "
            "Lambda a few tens of ms, plus each function's cold start when one is cold.",
            "",
        ]
    if "package" in results:
        p = results["package"]
        parts += [
            "## Package",
            "",
            f"`{p['zip']}` from `make package STAGE=dev`: {p['files']} files, "
            f"{p['unpacked_mb']:.1f} MB unpacked; boto3 and botocore are not in it (asserted).",
            "",
        ]
    if results.get("skipped"):
        parts += ["## Not measured in this run", "", *[f"- {s}" for s in results["skipped"]], ""]
    return "\n".join(parts)
