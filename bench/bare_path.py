"""The bare path: the DynamoDB, SQS and city-network requests one order's journey makes,
sent straight to moto and the emulator with no app in between.

The sequence is what bench/calls.py recorded for scenario 1 (the app's own requests,
parameters and order), plus the customer's visit to the bounce server. Each replay gets
fresh ids (order, event and attempt ids, the nonce, the submission key) so conditional
writes behave as they did for the app, and targets the load stack's table and app URL.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from bench.calls import ScenarioCount

_ULID_ID = re.compile(r"\b[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}\b")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_URLSAFE = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class BareTarget:
    table_name: str
    app_url: str
    emulator_api_url: str
    bounce_url: str
    auth: tuple[str, str] = ("demo", "demo-password")


def build_sequence(count: ScenarioCount) -> dict[str, Any]:
    """Scenario 1's requests in the order they were sent, with what must be renewed."""
    steps: list[dict[str, Any]] = [
        {"kind": c.service, "operation": c.operation, "params": c.params, "at": c.at}
        for c in count.recorded
    ]
    for call in count.emulator_calls:
        at = datetime.fromisoformat(call["at"]).timestamp()
        steps.append(
            {"kind": call["kind"], "operation": call["method"], "params": call["params"], "at": at}
        )
    steps.sort(key=lambda step: step["at"])
    text = json.dumps(steps)
    unique = set(_ULID_ID.findall(text))
    for call in count.recorded:
        item = call.params.get("Item") or {}
        pk = item.get("pk", {}).get("S", "")
        if pk.startswith("TOKEN#") and ":" in pk:
            unique.add(pk.split(":", 1)[1])
    tables = {c.params["TableName"] for c in count.recorded if "TableName" in c.params}
    return {
        "steps": [{k: v for k, v in step.items() if k != "at"} for step in steps],
        "unique": sorted(unique, key=len, reverse=True),
        "table_name": tables.pop() if len(tables) == 1 else None,
    }


def _like(value: str) -> str:
    """A fresh value of the same shape."""
    if _ULID_ID.fullmatch(value):
        return value[:4] + "".join(secrets.choice(_CROCKFORD) for _ in range(26))
    return "".join(secrets.choice(_URLSAFE) for _ in range(len(value)))


class BareOrder:
    """Replays one order's requests; one instance per simulated customer (not shared)."""

    def __init__(self, sequence: dict[str, Any], target: BareTarget) -> None:
        text = json.dumps(sequence["steps"])
        if sequence.get("table_name"):
            text = text.replace(json.dumps(sequence["table_name"]), json.dumps(target.table_name))
        self._template = text
        self._unique = re.compile("|".join(re.escape(u) for u in sequence["unique"]) or "(?!)")
        self._target = target
        self._callback = target.app_url + "/identify/callback"
        self.http = requests.Session()
        from bench.journey import browser_at

        self.browser = browser_at("127.0.0.2")

    def _fresh_steps(self) -> list[dict[str, Any]]:
        mapping: dict[str, str] = {}

        def renew(match: re.Match[str]) -> str:
            old = match.group(0)
            if old not in mapping:
                mapping[old] = _like(old)
            return mapping[old]

        steps: list[dict[str, Any]] = json.loads(self._unique.sub(renew, self._template))
        return steps

    def run(self, dynamodb: Any, sqs: Any) -> int:
        """Send every request once; the number sent. Raises on any unexpected answer."""
        steps = self._fresh_steps()
        for step in steps:
            kind = step["kind"]
            if kind == "dynamodb":
                _call(dynamodb, step["operation"], step["params"])
            elif kind == "sqs":
                _call(sqs, step["operation"], step["params"])
            elif kind == "api":
                reply = self.http.get(
                    self._target.emulator_api_url,
                    params=step["params"],
                    auth=self._target.auth,
                    timeout=30,
                )
                reply.raise_for_status()
            elif kind == "bounce":
                params = {**step["params"], "return_url": self._callback}
                reply = self.browser.get(
                    self._target.bounce_url, params=params, allow_redirects=False, timeout=30
                )
                if reply.status_code != 302:
                    raise RuntimeError(f"bounce answered {reply.status_code}")
            else:
                raise ValueError(f"unknown step {kind}")
        return len(steps)

    def close(self) -> None:
        self.http.close()
        self.browser.close()


def _call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    method = client.meta.method_to_api_mapping
    name = next(k for k, v in method.items() if v == operation)
    return getattr(client, name)(**params)
