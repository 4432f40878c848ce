"""The provider API's blueprint and route registry (mounted at /tl/v1): every operation
module declares its operations here, and routes.py assembles them."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from .errors import JSON_HEADERS
from .openapi import RouteRegistry
from .pipeline import run_operation

bp = Blueprint(__name__)
api = RouteRegistry(bp, run_operation)

BASE_PATH = "/tl/v1"
BODY_ERRORS = (400, 413, 415, 422)


def json_response(status: int, model: BaseModel) -> Response:
    return Response(body=model.model_dump_json(), status_code=status, headers=JSON_HEADERS)
