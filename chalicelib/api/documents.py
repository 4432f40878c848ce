"""Provider API: the provider's own terms (villkor) and privacy policy (integritetspolicy).

`PUT /documents/{kind}` stores a new immutable version (domain/documents.py); new orders are
placed under the newest. A document published at a URL is not downloaded here: fetching an
address a client chose from the internet-facing API is a server-side request forgery risk, so
the provider states the SHA-256 of what its URL serves, as the operator's CLI may
(infra/document_fetch.py runs on the operator's machine, not here).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from chalice.app import Response
from pydantic import AfterValidator, Field, model_validator

from chalicelib.composition import adapters
from chalicelib.domain.documents import MAX_TEXT_CHARACTERS, add_version
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import DocumentKind, ProviderDocument

from .errors import ApiError
from .idempotency import IDEMPOTENCY_HEADER, fingerprint, idempotent
from .openapi import Call, PathParam
from .orders import IDEMPOTENCY_KEY
from .registry import BODY_ERRORS, api, json_response
from .schemas import In, Out, _printable_text

# A text of MAX_TEXT_CHARACTERS characters fits however it is sent, even every character
# JSON-escaped as a surrogate pair (12 bytes); Lambda's own limit is 6 MB.
MAX_DOCUMENT_BODY_BYTES = 3 * 1024 * 1024
SHA256_PATTERN = r"^[0-9a-f]{64}$"

KIND = PathParam(
    name="kind",
    pattern=r"^(terms|privacy)$",
    description="`terms` (villkor) or `privacy` (integritetspolicy).",
    not_found="no document kind {}",
)
VERSION = PathParam(
    name="version",
    pattern=r"^[1-9][0-9]{0,5}$",
    description="The version number, from 1.",
    not_found="document version {} not found",
)


class DocumentIn(In):
    text: Annotated[str, AfterValidator(_printable_text)] | None = Field(
        default=None,
        min_length=1,
        description=(
            f"The document itself, up to {MAX_TEXT_CHARACTERS} characters (more is a 413); "
            "paragraphs separated by an empty line. Its SHA-256 is computed for you."
        ),
        json_schema_extra={"maxLength": MAX_TEXT_CHARACTERS},
    )
    url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https://[!-~]+$",
        description=(
            "Where you publish the document (https). It is not downloaded: give "
            "content_sha256 of the bytes it serves, and publish a changed document at a new "
            "URL."
        ),
    )
    content_sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="With url only: the SHA-256 (hex) of the bytes the URL serves.",
    )

    @model_validator(mode="after")
    def _text_or_url(self) -> Self:
        if (self.text is None) == (self.url is None):
            raise ValueError("give exactly one of text and url")
        if self.url is not None and self.content_sha256 is None:
            raise ValueError("a url needs its content_sha256")
        if self.text is not None and self.content_sha256 is not None:
            raise ValueError("content_sha256 is computed from the text: leave it out")
        return self


class DocumentVersionOut(Out):
    kind: DocumentKind
    version: int
    content_sha256: str
    created_at: dt.datetime
    url: str | None = Field(description="For a document published at a URL, else null.")
    characters: int | None = Field(description="The length of a text document, else null.")
    current: bool = Field(description="Whether new orders are placed under this version.")

    @classmethod
    def from_domain(cls, document: ProviderDocument, current: bool) -> DocumentVersionOut:
        return cls(
            kind=document.kind,
            version=document.version,
            content_sha256=document.content_sha256,
            created_at=document.created_at,
            url=document.url,
            characters=len(document.text) if document.text is not None else None,
            current=current,
        )


class DocumentOut(DocumentVersionOut):
    text: str | None = Field(description="The text of a text document, else null.")

    @classmethod
    def with_text(cls, document: ProviderDocument, current: bool) -> DocumentOut:
        summary = DocumentVersionOut.from_domain(document, current)
        return cls(**summary.model_dump(), text=document.text)


class DocumentListOut(Out):
    items: list[DocumentVersionOut] = Field(description="Oldest first; the last is current.")


def _kind(call: Call) -> DocumentKind:
    return "privacy" if call.params["kind"] == "privacy" else "terms"


@api.operation(
    "PUT",
    "/documents/{kind}",
    summary="Publish a new version of your terms or privacy policy",
    description=(
        "Every PUT stores a new immutable version, numbered after the newest; new orders are "
        "placed under the newest version, earlier orders keep theirs. Send an "
        "Idempotency-Key to retry safely: a repeat returns the first answer and stores "
        "nothing. The answer leaves out the text (GET the version for it)."
    ),
    status=201,
    response=DocumentVersionOut,
    errors=(404, 409, *BODY_ERRORS),
    body=DocumentIn,
    path_params=(KIND,),
    headers=(IDEMPOTENCY_KEY,),
    max_body_bytes=MAX_DOCUMENT_BODY_BYTES,
)
def put_document(call: Call) -> Response:
    body = call.body_as(DocumentIn)
    kind = _kind(call)
    if body.text is not None and len(body.text) > MAX_TEXT_CHARACTERS:
        raise ApiError(
            413,
            "document_too_large",
            f"the text must be at most {MAX_TEXT_CHARACTERS} characters",
            details=[{"field": "body.text", "loc": ["body", "text"], "type": "too_long"}],
        )
    deps = adapters()

    def work() -> Response:
        document = add_version(
            deps.catalog,
            call.provider_id,
            kind,
            now=deps.clock.now(),
            text=body.text,
            url=body.url,
            content_sha256=body.content_sha256,
        )
        return json_response(201, DocumentVersionOut.from_domain(document, current=True))

    return idempotent(
        deps.tokens,
        deps.clock,
        call.provider_id,
        call.header(IDEMPOTENCY_HEADER),
        fingerprint("document", kind, body.model_dump_json()),
        work,
    )


@api.operation(
    "GET",
    "/documents/{kind}",
    summary="Every version of your terms or privacy policy, oldest first",
    status=200,
    response=DocumentListOut,
    errors=(404,),
    path_params=(KIND,),
)
def list_documents(call: Call) -> Response:
    versions = adapters().catalog.documents(call.provider_id, _kind(call))
    newest = versions[-1].version if versions else None
    items = [DocumentVersionOut.from_domain(d, current=d.version == newest) for d in versions]
    return json_response(200, DocumentListOut(items=items))


@api.operation(
    "GET",
    "/documents/{kind}/{version}",
    summary="One version of your terms or privacy policy, with its text",
    status=200,
    response=DocumentOut,
    errors=(404,),
    path_params=(KIND, VERSION),
)
def get_document(call: Call) -> Response:
    kind, version = _kind(call), int(call.params["version"])
    versions = adapters().catalog.documents(call.provider_id, kind)
    for document in versions:
        if document.version == version:
            current = document.version == versions[-1].version
            return json_response(200, DocumentOut.with_text(document, current))
    raise NotFound(f"document version {version} not found")
