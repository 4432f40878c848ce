"""A provider's next document version (terms or privacy policy): numbered after the newest,
hashed, stored once. Versions are immutable: a changed text is a new version, and an order's
agreement keeps naming the version it was placed under."""

from __future__ import annotations

import datetime as dt
import hashlib

from .models import DocumentKind, ProviderDocument
from .ports import Catalog


def text_sha256(text: str) -> str:
    """The content hash of a document given as text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def add_version(
    catalog: Catalog,
    provider_id: str,
    kind: DocumentKind,
    *,
    now: dt.datetime,
    text: str | None = None,
    url: str | None = None,
    content_sha256: str | None = None,
) -> ProviderDocument:
    """Stores version newest + 1 (1 for the first). A text's hash is computed here; a URL's
    is the caller's (of the bytes it downloaded, or as the operator states it). A writer
    racing for the same number gets AlreadyExists from the catalog, never an overwrite."""
    catalog.get_provider(provider_id)  # NotFound for a typo'd provider
    if text is not None:
        content_sha256 = text_sha256(text)
    current = catalog.current_document(provider_id, kind)
    document = ProviderDocument(
        provider_id=provider_id,
        kind=kind,
        version=current.version + 1 if current else 1,
        text=text,
        url=url,
        content_sha256=content_sha256 or "",
        created_at=now,
    )
    catalog.add_document(document)
    return document
