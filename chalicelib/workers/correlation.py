"""Labels a worker's log lines with the order or delivery they are about.

Powertools' `set_correlation_id` is one value for every thread of a process. On Lambda a
process runs one handler at a time, but the local stack runs the activation worker, the
webhook worker and the stream relay as threads of one process, where one thread's label
would land on (and be cleared from) another's lines. The thread-safe keys are per thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger

KEY = "correlation_id"


@contextmanager
def correlated(logger: Logger, correlation_id: str) -> Iterator[None]:
    logger.thread_safe_append_keys(**{KEY: correlation_id})
    try:
        yield
    finally:
        logger.thread_safe_remove_keys([KEY])
