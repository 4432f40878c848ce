"""The provider API blueprint, mounted at /tl/v1: the order, webhook, document and form
operations, and the OpenAPI 3.1 document generated from their declarations."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response

from . import documents, identity, offers, orders, provider_form, reports, webhooks
from .errors import JSON_HEADERS
from .openapi import Call, build_document
from .registry import BASE_PATH, api, bp

# Imported for their declarations: each module registers its operations on `api`.
OPERATION_MODULES = (orders, offers, reports, webhooks, documents, provider_form, identity)
__all__ = ["BASE_PATH", "api", "bp"]

_document: str | None = None


def openapi_document() -> dict[str, Any]:
    return build_document(
        api.operations,
        title="Stadsnätsfabriken provider API",
        version="1.0.0",
        description=(
            "Orders for service providers. Authenticate with the x-api-key header. "
            "Errors are {error: {code, message, details?}}."
        ),
        server_url=BASE_PATH,
    )


@api.operation(
    "GET",
    "/openapi.json",
    summary="This document (OpenAPI 3.1)",
    status=200,
    response=None,
    secured=False,
)
def get_openapi(call: Call) -> Response:
    global _document
    if _document is None:
        _document = json.dumps(openapi_document())
    return Response(body=_document, status_code=200, headers=JSON_HEADERS)
