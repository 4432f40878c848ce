"""Worker log lines carry the id of what they are about, even with workers side by side
in one process (the local stack runs the activation worker, the webhook worker and the
stream relay as threads)."""

from __future__ import annotations

import io
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools import Logger

from chalicelib.workers.correlation import correlated


def test_threads_label_their_own_lines_and_clear_only_their_own_label():
    # Given one logger shared by two workers
    out = io.StringIO()
    logger = Logger(service="correlation-test", logger_handler=logging.StreamHandler(out))
    both_labelled, both_logged = threading.Barrier(2, timeout=5), threading.Barrier(2, timeout=5)

    # When both are labelled at once, and one finishes while the other still works
    def finishes_first() -> None:
        with correlated(logger, "ord_A"):
            both_labelled.wait()
            logger.info("working on ord_A")
        both_logged.wait()

    def still_working() -> None:
        with correlated(logger, "ord_B"):
            both_labelled.wait()
            both_logged.wait()
            logger.info("still on ord_B")

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(finishes_first), pool.submit(still_working)]
        for future in done:
            future.result()
    logger.info("between messages")

    # Then every line names its own worker's id, and an unlabelled line names none
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    by_message = {line["message"]: line.get("correlation_id") for line in lines}
    assert by_message == {
        "working on ord_A": "ord_A",
        "still on ord_B": "ord_B",
        "between messages": None,
    }
