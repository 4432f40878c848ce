"""The request pipeline every provider API operation runs through, in this order:
authenticate, check path parameters, query, headers, body size, media type and body,
then the handler; any error becomes the JSON error body of `errors.py`.
"""

from __future__ import annotations

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


def run_operation(op: Operation, request: Request, params: dict[str, str]) -> Response:
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
    body = _parse_body(op.body, request) if op.body is not None else None
    call = Call(request=request, provider_id=provider_id, params=params, body=body, query=query)
    return op.handler(call)


def _parse_query(model: type[BaseModel], request: Request) -> BaseModel:
    try:
        return model.model_validate(dict(request.query_params or {}))
    except ValidationError as exc:
        raise invalid_fields(exc, "query") from None


def _parse_body(model: type[BaseModel], request: Request) -> BaseModel:
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"the body must be at most {MAX_BODY_BYTES} bytes")
    content_type = request.headers.get("content-type")
    if raw and content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if not _JSON_MEDIA.match(media):
            raise ApiError(415, "unsupported_media_type", "the body must be application/json")
    if not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
        raise invalid_fields(exc, "body") from None
