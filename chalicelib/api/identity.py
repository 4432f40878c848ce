"""Provider API: the provider's legal identity (who the customer makes the contract with),
which the offers pages, the contract summary and the withdrawal form show before the order
(distansavtalslagen). `PUT /identity` replaces it; the provider's name is the operator's."""

from __future__ import annotations

import unicodedata
from typing import Self

from chalice.app import Response
from pydantic import model_validator

from chalicelib.composition import adapters
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import LegalIdentity

from .openapi import Call
from .registry import BODY_ERRORS, api, json_response
from .schemas import In


class IdentityIn(In, LegalIdentity):
    """Company name, organisation number (NNNNNN-NNNN), postal address, customer service
    e-mail and phone."""

    @model_validator(mode="after")
    def _one_line_each(self) -> Self:
        # Shown on every offer page: no line break, control or format character (a
        # bidirectional override would make the name read as another).
        for name, value in self.model_dump().items():
            if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
                raise ValueError(f"{name} must not contain control or format characters")
        return self


@api.operation(
    "PUT",
    "/identity",
    summary="Set your legal identity (shown to customers before they order)",
    status=200,
    response=LegalIdentity,
    errors=(404, *BODY_ERRORS),
    body=IdentityIn,
)
def put_identity(call: Call) -> Response:
    identity = LegalIdentity(**call.body_as(IdentityIn).model_dump())
    catalog = adapters().catalog
    provider = catalog.get_provider(call.provider_id)
    catalog.put_provider(provider.model_copy(update={"legal_identity": identity}))
    return json_response(200, identity)


@api.operation(
    "GET",
    "/identity",
    summary="Your legal identity as customers see it",
    status=200,
    response=LegalIdentity,
    errors=(404,),
)
def get_identity(call: Call) -> Response:
    identity = adapters().catalog.get_provider(call.provider_id).legal_identity
    if identity is None:
        raise NotFound("no legal identity is published")
    return json_response(200, identity)
