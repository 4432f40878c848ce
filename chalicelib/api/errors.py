"""Every error the provider API returns, mapped in this one place.

Body: ``{"error": {"code", "message", "details"?}}``. Domain errors map by type; HTTP-level
problems (size, media type, malformed JSON, validation) are raised as `ApiError` by the
request pipeline. Nothing here ever echoes a request body or a key: only field paths.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from chalicelib.domain.activation.provider import ActivationQueueUnavailable
from chalicelib.domain.errors import (
    ConcurrentModification,
    Conflict,
    DomainError,
    InvalidCursor,
    InvalidInput,
    NotFound,
    Unauthorized,
)

Headers = dict[str, str | list[str]]
JSON_HEADERS: Headers = {"Content-Type": "application/json"}


class ApiError(Exception):
    """An HTTP-level client error detected before the domain is reached."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Headers | None = None,
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(
        body=json.dumps({"error": error}),
        status_code=status,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def _status_of(exc: DomainError) -> int:
    # Order matters: subclasses before their bases.
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidCursor):
        return 400
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, ActivationQueueUnavailable):
        return 503
    return 422


def domain_error_response(exc: DomainError) -> Response:
    status = _status_of(exc)
    details = exc.details
    headers: Headers = {}
    if isinstance(exc, ConcurrentModification):
        details = {**(details or {}), "retryable": True}
    if status == 401:
        headers["WWW-Authenticate"] = 'ApiKey header="x-api-key"'
    if status == 503:
        headers["Retry-After"] = "5"
    return error_response(status, exc.code, exc.message, details, headers)


def api_error_response(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details)


def internal_error_response() -> Response:
    return error_response(500, "internal_error", "an unexpected error occurred")


def field_errors(exc: ValidationError, location: str) -> list[dict[str, Any]]:
    """Field paths and reasons, without the offending input (it may be personal data)."""
    found = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = [location, *error["loc"]]
        found.append(
            {
                "field": ".".join(str(part) for part in loc),
                "loc": loc,
                "message": error["msg"],
                "type": error["type"],
            }
        )
    return found


def invalid_fields(exc: ValidationError, location: str) -> ApiError:
    return ApiError(
        422,
        "invalid_input",
        "the request has invalid or unknown fields",
        details=field_errors(exc, location),
    )
