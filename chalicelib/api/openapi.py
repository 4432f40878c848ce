"""A small route registry: each operation is declared once, with its method, path, request
and response models and status codes. The declaration registers the Chalice route and
feeds the OpenAPI 3.1 document, so the document is generated, never hand-written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .schemas import ErrorOut

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "apiKey"

STATUS_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Malformed request: invalid JSON or a tampered cursor",
    401: "Missing, unknown or revoked API key",
    404: "No such order or offer for this provider",
    409: "The current state does not allow this, or another change won meanwhile",
    413: "Body larger than 64 KiB (or the operation's own limit)",
    415: "Body is not application/json",
    422: "Invalid or unknown fields (details name each field path)",
    503: "A dependency is unavailable; retry later",
}


@dataclass(frozen=True)
class PathParam:
    name: str
    pattern: str
    description: str
    # The body of a 404 for a value that cannot exist: same shape as for an unknown id.
    not_found: str


@dataclass(frozen=True)
class HeaderParam:
    name: str
    pattern: str
    description: str


@dataclass(frozen=True)
class Call:
    """What a handler gets: an authenticated provider and validated input."""

    request: Request
    provider_id: str
    params: dict[str, str]
    body: BaseModel | None = None
    query: BaseModel | None = None

    def body_as[M: BaseModel](self, model: type[M]) -> M:
        if not isinstance(self.body, model):
            raise TypeError(f"operation has no {model.__name__} body")
        return self.body

    def query_as[M: BaseModel](self, model: type[M]) -> M:
        if not isinstance(self.query, model):
            raise TypeError(f"operation has no {model.__name__} query")
        return self.query

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return None if value is None else str(value)


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    handler: Handler
    status: int
    response: type[BaseModel] | None
    errors: tuple[int, ...]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path_params: tuple[PathParam, ...] = ()
    headers: tuple[HeaderParam, ...] = ()
    secured: bool = True
    description: str = ""
    # The body's size limit when it is not the pipeline's default (a document's text).
    max_body_bytes: int | None = None
    # The success answer may also be text/csv (by the request's Accept).
    csv: bool = False


Runner = Callable[[Operation, Request, dict[str, str]], Response]


@dataclass
class RouteRegistry:
    blueprint: Blueprint
    runner: Runner
    operations: list[Operation] = field(default_factory=list)

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        status: int,
        response: type[BaseModel] | None,
        errors: tuple[int, ...] = (),
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        path_params: tuple[PathParam, ...] = (),
        headers: tuple[HeaderParam, ...] = (),
        secured: bool = True,
        description: str = "",
        max_body_bytes: int | None = None,
        csv: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            op = Operation(
                method=method,
                path=path,
                operation_id=handler.__name__,
                summary=summary,
                handler=handler,
                status=status,
                response=response,
                errors=tuple(sorted(set(errors) | ({401} if secured else set()))),
                body=body,
                query=query,
                path_params=path_params,
                headers=headers,
                secured=secured,
                description=description,
                max_body_bytes=max_body_bytes,
                csv=csv,
            )
            self.operations.append(op)

            def view(**params: str) -> Response:
                request = self.blueprint.current_request
                return self.runner(op, request, params)

            view.__name__ = op.operation_id
            # "*/*": media types are checked by the pipeline, so a wrong one gets our JSON
            # error body instead of Chalice's own.
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(view)
            return handler

        return register


def _model_pairs(operations: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorOut, "serialization")]
    for op in operations:
        if op.body is not None:
            pairs.append((op.body, "validation"))
        if op.query is not None:
            pairs.append((op.query, "validation"))
        if op.response is not None:
            pairs.append((op.response, "serialization"))
    return list(dict.fromkeys(pairs))


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch pydantic adds
    for optional fields, so clients and fuzzers never send the text "null"."""
    schema = {k: v for k, v in schema.items() if k != "title"}
    if schema.get("default", ...) is None:
        del schema["default"]
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) == 1:
            del schema["anyOf"]
            schema = {**rest[0], **schema}
        else:
            schema["anyOf"] = rest
    return schema


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def build_document(
    operations: list[Operation],
    *,
    title: str,
    version: str,
    description: str,
    server_url: str,
) -> dict[str, Any]:
    refs, collected = models_json_schema(_model_pairs(operations), ref_template=REF_TEMPLATE)
    components: dict[str, Any] = dict(collected.get("$defs", {}))
    error_ref = refs[(ErrorOut, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = [
            {
                "name": p.name,
                "in": "path",
                "required": True,
                "description": p.description,
                "schema": {"type": "string", "pattern": p.pattern},
            }
            for p in op.path_params
        ]
        if op.query is not None:
            name = refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]
            query_schema = components.pop(name)
            required = set(query_schema.get("required", []))
            for field_name, prop in query_schema.get("properties", {}).items():
                param: dict[str, Any] = {
                    "name": field_name,
                    "in": "query",
                    "required": field_name in required,
                    "schema": _without_null(prop),
                }
                if "description" in prop:
                    param["description"] = prop["description"]
                    param["schema"].pop("description", None)
                parameters.append(param)
        parameters.extend(
            {
                "name": h.name,
                "in": "header",
                "required": False,
                "description": h.description,
                "schema": {"type": "string", "pattern": h.pattern},
            }
            for h in op.headers
        )
        success_schema = (
            refs[(op.response, "serialization")] if op.response is not None else {"type": "object"}
        )
        responses: dict[str, Any] = {
            str(op.status): {
                "description": STATUS_DESCRIPTIONS[op.status],
                "content": {
                    **_json_content(success_schema),
                    **({"text/csv": {"schema": {"type": "string"}}} if op.csv else {}),
                },
            }
        }
        for code in op.errors:
            responses[str(code)] = {
                "description": STATUS_DESCRIPTIONS[code],
                "content": _json_content(error_ref),
            }
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "responses": responses,
            "security": [{SECURITY_SCHEME: []}] if op.secured else [],
        }
        if op.description:
            entry["description"] = op.description
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": any(f.is_required() for f in op.body.model_fields.values()),
                "content": _json_content(refs[(op.body, "validation")]),
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
        },
        "security": [{SECURITY_SCHEME: []}],
    }
