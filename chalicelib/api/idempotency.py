"""`Idempotency-Key`: a repeated request gets the first request's answer and causes nothing.

The key is claimed in the one-time token store (`idem:<provider>:<key>`, 24 hours) before
the work runs; the answer is stored when it ends. Keys are per provider: two providers
using the same key are independent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalice.app import Response

from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import ConcurrentModification, DomainError, NotFound
from chalicelib.domain.ports import OneTimeTokens

from .errors import JSON_HEADERS, ApiError, domain_error_response

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL = timedelta(hours=24)

_RUNNING = "running"
_DONE = "done"
# The first attempt ended in a state worth retrying (a lost race, the queue down, a
# crash): the key may run again. Two retries racing through here are still safe, because
# the work itself is a conditional write that only one of them can win.
_RELEASED = "released"


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _is_final(response: Response) -> bool:
    return response.status_code < 500


def idempotent(
    tokens: OneTimeTokens,
    clock: Clock,
    provider_id: str,
    key: str | None,
    request_fingerprint: str,
    work: Callable[[], Response],
) -> Response:
    if key is None:
        return work()
    token = f"idem:{provider_id}:{key}"
    running = {"state": _RUNNING, "fingerprint": request_fingerprint}
    if not tokens.claim(token, clock.now() + IDEMPOTENCY_TTL, running):
        stored = tokens.get(token) or {}
        if stored.get("fingerprint", request_fingerprint) != request_fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                f"this {IDEMPOTENCY_HEADER} was used for a different request",
            )
        state = stored.get("state")
        if state == _DONE:
            return Response(
                body=str(stored["body"]),
                status_code=int(stored["status"]),
                headers={**JSON_HEADERS, "Idempotent-Replayed": "true"},
            )
        if state != _RELEASED:
            raise ApiError(
                409,
                "request_in_progress",
                f"a request with this {IDEMPOTENCY_HEADER} is still in progress; retry shortly",
            )
        tokens.put_value(token, running)

    released = {"state": _RELEASED, "fingerprint": request_fingerprint}
    try:
        response = work()
    except ConcurrentModification as exc:
        _remember(tokens, token, released)
        return domain_error_response(exc)
    except DomainError as exc:
        response = domain_error_response(exc)
    except BaseException:
        _remember(tokens, token, released)
        raise
    if _is_final(response):
        answer = {"status": response.status_code, "body": response.body}
        _remember(tokens, token, {"state": _DONE, "fingerprint": request_fingerprint, **answer})
    else:
        _remember(tokens, token, released)
    return response


def _remember(tokens: OneTimeTokens, token: str, value: dict[str, Any]) -> None:
    # The work is done either way; failing to remember it must not turn its answer into
    # an error. A repeat then finds no answer and is checked by the domain afresh.
    try:
        tokens.put_value(token, value)
    except NotFound:
        logger.warning("idempotency key expired before its answer was stored")
