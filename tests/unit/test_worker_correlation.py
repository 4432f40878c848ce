"""Log lines carry the id of what they are about: the domain's own lines included, and
with workers side by side in one process (the local stack runs the activation worker, the
webhook worker and the stream relay as threads)."""

from __future__ import annotations

import io
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from chalice.test import Client

from chalicelib import logs
from chalicelib.composition import InMemoryAdapters, use
from chalicelib.domain.activation.messages import ActivationMessage


def _written(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_domain_line_in_a_worker_batch_carries_its_records_correlation_id():
    # Given a batch of two activation messages for orders the store does not know
    import app

    use(InMemoryAdapters())
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.logger().registered_formatter)
    package = logging.getLogger(logs.PACKAGE)
    package.addHandler(handler)
    bodies = [
        ActivationMessage(order_id=order_id, attempt_id="att_1").model_dump_json()
        for order_id in ("ord_first", "ord_second")
    ]
    try:
        # When the activation worker handles the batch
        with Client(app.app) as client:
            for body in bodies:
                event = client.events.generate_sqs_event(
                    queue_name="activation", message_bodies=[body]
                )
                client.lambda_.invoke("handle_activation_messages", event)
    finally:
        package.removeHandler(handler)
        use(None)

    # Then the domain's own line about each order names that order as the correlation id
    domain_lines = [
        line
        for line in _written(out)
        if line["message"] == "activation message for an unknown order"
    ]
    assert [(line["order_id"], line.get("correlation_id")) for line in domain_lines] == [
        ("ord_first", "ord_first"),
        ("ord_second", "ord_second"),
    ]


def test_threads_label_their_own_lines_and_clear_only_their_own_label():
    # Given the one logger, shared by two workers
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.logger().registered_formatter)
    domain = logging.getLogger("chalicelib.domain.test")
    package = logging.getLogger(logs.PACKAGE)
    package.addHandler(handler)
    both_labelled, both_logged = threading.Barrier(2, timeout=5), threading.Barrier(2, timeout=5)

    # When both are labelled at once, and one finishes while the other still works
    def finishes_first() -> None:
        with logs.correlated("ord_A"):
            both_labelled.wait()
            domain.info("working on ord_A")
        both_logged.wait()

    def still_working() -> None:
        with logs.correlated("ord_B"):
            both_labelled.wait()
            both_logged.wait()
            domain.info("still on ord_B")

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = [pool.submit(finishes_first), pool.submit(still_working)]
            for future in done:
                future.result()
        domain.info("between messages")
    finally:
        package.removeHandler(handler)

    # Then every line names its own worker's id, and an unlabelled line names none
    by_message = {line["message"]: line.get("correlation_id") for line in _written(out)}
    assert by_message == {
        "working on ord_A": "ord_A",
        "still on ord_B": "ord_B",
        "between messages": None,
    }
