"""Provider API: the provider's extension form, the questions of its own the order form
asks after the base and category questions (domain/provider_forms.py).

`PUT /form` checks the form against the format of forms/ and against the base and category
forms (every problem a field error) and stores it as a new version, which all the
provider's offers use from then on. Both answers carry `preview_url`: the customer web's
read-only rendering of the form as customers will see it, signed, for a week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice.app import Response
from pydantic import ConfigDict, Field, RootModel

from chalicelib.composition import adapters
from chalicelib.domain.errors import NotFound
from chalicelib.domain.form_preview import PREVIEW_TTL, preview_url
from chalicelib.domain.provider_forms import ProviderForm, add_form_version

from .idempotency import IDEMPOTENCY_HEADER, fingerprint, idempotent
from .openapi import Call
from .orders import IDEMPOTENCY_KEY
from .registry import BODY_ERRORS, api, json_response
from .schemas import Out


class ExtensionFormIn(RootModel[dict[str, Any]]):
    """The form itself, in the format of forms/providers/*.json (forms/README.md)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "required": ["$schema", "type", "x-ui", "properties", "additionalProperties"],
            "properties": {
                "$schema": {"const": "https://json-schema.org/draft/2020-12/schema"},
                "type": {"const": "object"},
                "additionalProperties": {"const": False},
                "x-ui": {"type": "object", "description": "legend: {sv, en}"},
                "properties": {
                    "type": "object",
                    "description": "The fields: type, x-ui (label, widget, order...), ...",
                },
                "required": {"type": "array", "items": {"type": "string"}},
            },
        },
    )


class ExtensionFormOut(Out):
    version: int
    sha256: str = Field(description="SHA-256 of the form as canonical JSON (sorted keys).")
    created_at: dt.datetime
    form: dict[str, Any]
    preview_url: str = Field(
        description=(
            "The customer web's read-only rendering of the form as customers will see it "
            f"(valid {PREVIEW_TTL.days} days; add category=internet|telephony|tv to choose "
            "the category form it is shown with)."
        )
    )


def _out(form: ProviderForm) -> ExtensionFormOut:
    deps = adapters()
    return ExtensionFormOut(
        version=form.version,
        sha256=form.sha256,
        created_at=form.created_at,
        form=form.definition,
        preview_url=preview_url(
            deps.signing_key,
            form.provider_id,
            form.version,
            deps.clock.now(),
            deps.settings.public_base_url,
        ),
    )


@api.operation(
    "PUT",
    "/form",
    summary="Set your extension form (your own questions on the order form)",
    description=(
        "The form must have the format of the files in forms/providers/: field names unique "
        "across the base and category forms and not reserved (step, accept_terms, "
        "early_start, campaign_code, forced_takeover, ...), supported widgets only, server "
        "patterns anchored (^...$) without groups and with at most two quantifiers. Each "
        "problem is a 422 detail naming its field. An accepted form is a new version and "
        "applies at once to all your offers, in place of any form the operator set up."
    ),
    status=201,
    response=ExtensionFormOut,
    errors=(409, *BODY_ERRORS),
    body=ExtensionFormIn,
    headers=(IDEMPOTENCY_KEY,),
)
def put_form(call: Call) -> Response:
    definition = call.body_as(ExtensionFormIn).root
    deps = adapters()

    def work() -> Response:
        form = add_form_version(
            deps.provider_forms,
            deps.form_definitions,
            call.provider_id,
            definition,
            now=deps.clock.now(),
        )
        return json_response(201, _out(form))

    return idempotent(
        deps.tokens,
        deps.clock,
        call.provider_id,
        call.header(IDEMPOTENCY_HEADER),
        fingerprint("form", call.body_as(ExtensionFormIn).model_dump_json()),
        work,
    )


@api.operation(
    "GET",
    "/form",
    summary="Your current extension form, with a fresh preview URL",
    status=200,
    response=ExtensionFormOut,
    errors=(404,),
)
def get_form(call: Call) -> Response:
    form = adapters().provider_forms.current(call.provider_id)
    if form is None:
        raise NotFound("no extension form is stored")
    return json_response(200, _out(form))
