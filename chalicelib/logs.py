"""One logger for the whole code base: Powertools' JSON Logger, with this function's service
name, and a correlation id on every line written while a request or a message is handled.

Modules log through plain `logging.getLogger(__name__)` (cheap to import, and the domain
stays free of Powertools); the `chalicelib` logger they all propagate to writes through
the Powertools Logger's handler and formatter, so a domain line carries the same service
name, correlation id and keys as the entry point's own lines. It does not propagate
further: on Lambda the root logger's handler would write every line twice.

Keys are per thread: on Lambda a process handles one event at a time, but the local stack
runs the web, both workers and the stream relay as threads of one process.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger

from .process_wide import ProcessWide
from .settings import settings

PACKAGE = "chalicelib"
CORRELATION_ID = "correlation_id"


def _build() -> Logger:
    config = settings()
    logger = Logger(service=config.service_name, level=config.log_level)
    package = logging.getLogger(PACKAGE)
    package.addHandler(logger.registered_handler)
    package.setLevel(logger.log_level)
    package.propagate = False
    return logger


_logger: ProcessWide[Logger] = ProcessWide(_build)


def logger() -> Logger:
    """The process's Powertools Logger (built, and the package's loggers routed to it, on
    first use)."""
    return _logger.get()


@contextmanager
def correlated(correlation_id: str, **keys: Any) -> Iterator[Logger]:
    """Every line this thread writes inside the block carries `correlation_id` (the order
    id, a delivery id or the request id) and `keys`."""
    log = logger()
    log.thread_safe_append_keys(**{CORRELATION_ID: correlation_id, **keys})
    try:
        yield log
    finally:
        log.thread_safe_remove_keys([CORRELATION_ID, *keys])


def request_id(context: Mapping[str, Any] | None) -> str:
    """API Gateway's id of the request being handled (a fresh one where there is none,
    as under `chalice local`)."""
    given = str((context or {}).get("requestId") or "")
    return given or "req_" + secrets.token_hex(8)
