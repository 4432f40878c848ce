"""The request pipeline every provider API operation runs through, in this order:
authenticate, check path parameters, query, headers, body size, media type and body,
then the handler; any error becomes the JSON error body of `errors.py`. Every answer
carries `RESPONSE_HEADERS`: orders hold personal data, so nothing may cache or sniff them.

Ambiguity is refused, not resolved: a query parameter given twice, or a JSON object with
a key twice, is a 400 (which of the two would a proxy, a log or another parser have seen?).
"""

from __future__ import annotations

import json
import logging
import re

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import DomainError, NotFound

from .auth import authenticate_request
from .errors import (
    ApiError,
    api_error_response,
    domain_error_response,
    internal_error_response,
    invalid_fields,
)
from .openapi import Call, Operation

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
RESPONSE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def run_operation(op: Operation, request: Request, params: dict[str, str]) -> Response:
    from chalicelib.logs import correlated, request_id

    # The order the call is about, else the gateway's request id, labels its log lines.
    correlation_id = params.get("order_id") or request_id(request.context)
    with correlated(correlation_id, operation=op.operation_id):
        response = _answer(op, request, params)
    response.headers = {**(response.headers or {}), **RESPONSE_HEADERS}
    return response


def _answer(op: Operation, request: Request, params: dict[str, str]) -> Response:
    try:
        return _run(op, request, params)
    except ApiError as exc:
        return api_error_response(exc)
    except DomainError as exc:
        return domain_error_response(exc)
    except ValidationError as exc:
        # A model built below the API refused our own data: a bug, not a client mistake.
        # Log where and why, never the input (it may be personal data).
        logger.error(
            "internal validation error in %s: %s",
            op.operation_id,
            exc.errors(include_input=False, include_url=False, include_context=False),
        )
        return internal_error_response()
    except Exception:
        logger.exception("unexpected error in %s", op.operation_id)
        return internal_error_response()


def _run(op: Operation, request: Request, params: dict[str, str]) -> Response:
    provider_id = authenticate_request(request) if op.secured else ""
    for p in op.path_params:
        value = params[p.name]
        # A value that cannot be an id gets the same 404 as an unknown id, before any
        # store sees it (a store key has length and character limits of its own).
        if not re.fullmatch(p.pattern, value):
            raise NotFound(p.not_found.format(value))
    repeated = repeated_parameters(request)
    if repeated:
        raise ApiError(
            400,
            "repeated_parameter",
            f"each query parameter may be given once: {', '.join(repeated)}",
            details=[{"field": f"query.{name}", "loc": ["query", name]} for name in repeated],
        )
    query = _parse_query(op.query, request) if op.query is not None else None
    for h in op.headers:
        header = request.headers.get(h.name.lower())
        if header is not None and not re.fullmatch(h.pattern, header):
            raise ApiError(
                422,
                "invalid_input",
                f"the {h.name} header is not valid",
                details=[
                    {
                        "field": f"header.{h.name}",
                        "loc": ["header", h.name],
                        "message": f"must match {h.pattern}",
                        "type": "string_pattern_mismatch",
                    }
                ],
            )
    limit = op.max_body_bytes or MAX_BODY_BYTES
    body = _parse_body(op.body, request, limit) if op.body is not None else None
    call = Call(request=request, provider_id=provider_id, params=params, body=body, query=query)
    return op.handler(call)


def repeated_parameters(request: Request) -> list[str]:
    """The query parameters given more than once, sorted."""
    params = request.query_params
    if not params:
        return []
    return sorted(name for name in params if len(params.getlist(name)) > 1)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(ValueError):
    pass


def _check_unique_keys(raw: bytes) -> None:
    """400 for a JSON object with a key twice. Invalid JSON is left to pydantic's parse,
    which names where it broke."""
    try:
        json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as duplicate:
        # The key is the client's own text: named only when it is short and plain.
        key = str(duplicate)
        shown = f" ({key!r})" if len(key) <= 64 and key.isprintable() else ""
        raise ApiError(
            400, "duplicate_key", f"a JSON object in the body has a key twice{shown}"
        ) from None
    except ValueError:
        return


def _parse_query(model: type[BaseModel], request: Request) -> BaseModel:
    try:
        return model.model_validate(dict(request.query_params or {}))
    except ValidationError as exc:
        raise invalid_fields(exc, "query") from None


def _parse_body(model: type[BaseModel], request: Request, limit: int) -> BaseModel:
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", f"the body must be at most {limit} bytes")
    content_type = request.headers.get("content-type")
    if raw and content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if not _JSON_MEDIA.match(media):
            raise ApiError(415, "unsupported_media_type", "the body must be application/json")
    if not raw.strip():
        raw = b"{}"
    _check_unique_keys(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
        raise invalid_fields(exc, "body") from None
