"""Webhook latency: an order created on the local stack until its `order.created` webhook
reaches a receiver in this process.

"Created" is the order's own created_at (the moment ordering stores it, same clock: one
machine); "received" is when the receiver reads the request. Orders go one at a time, each
waiting for its webhook, so the figure is the pipeline's, not a queue's under load. On the
local stack the table stream is polled (infra/local/streams.py, 0.2 s when idle) and the
SQS worker long-polls: those waits dominate.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from bench.journey import SCENARIO_ADDRESSES, order_journey
from bench.load import percentile
from bench.stack import local_stack
from tests.webhook_receiver import Received, Reply, WebhookReceiver


class TimedReceiver(WebhookReceiver):
    """Keeps when each order's order.created webhook arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, tuple[float, str]] = {}
        self._arrived = threading.Condition()

    def _record(self, received: Received) -> Reply:
        at = time.time()
        try:
            payload = received.payload
            if payload.get("type") == "order.created":
                order = payload["data"]["order"]
                with self._arrived:
                    self.arrivals[order["id"]] = (at, order["created_at"])
                    self._arrived.notify_all()
        except (ValueError, KeyError, TypeError):
            pass
        return super()._record(received)

    def wait_for(self, order_id: str, timeout_s: float) -> tuple[float, str] | None:
        with self._arrived:
            self._arrived.wait_for(lambda: order_id in self.arrivals, timeout=timeout_s)
            return self.arrivals.get(order_id)


def measure(orders: int = 20, timeout_s: float = 15) -> dict[str, Any]:
    from chalicelib.adapters.webhooks.signing import new_webhook_secret

    receiver = TimedReceiver().start()
    secret = new_webhook_secret()
    latencies_ms: list[float] = []
    missing = 0
    try:
        env = {"DEMO_WEBHOOK_URL": receiver.url, "DEMO_WEBHOOK_SECRET": secret}
        with local_stack(env, name="webhooks") as stack:
            for _ in range(orders):
                journey = order_journey(stack.app_url, SCENARIO_ADDRESSES["1 activated"])
                assert journey.order_id is not None
                arrival = receiver.wait_for(journey.order_id, timeout_s)
                if arrival is None:
                    missing += 1
                    continue
                received_at, created_at = arrival
                created = datetime.fromisoformat(created_at).timestamp()
                latencies_ms.append((received_at - created) * 1000)
    finally:
        receiver.stop()
    return {
        "orders": orders,
        "received": len(latencies_ms),
        "missing": missing,
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "max_ms": max(latencies_ms) if latencies_ms else float("nan"),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
