"""A provider's next document version (terms or privacy policy): numbered after the newest,
hashed, stored once. Versions are immutable: a changed text is a new version, and an order's
agreement keeps naming the version it was placed under."""

from __future__ import annotations

import datetime as dt
import hashlib

from .errors import AlreadyExists, ConcurrentModification
from .models import DocumentKind, ProviderDocument
from .ports import Catalog

# As ProviderDocument.text allows.
MAX_TEXT_CHARACTERS = 200_000
MAX_ATTEMPTS = 20


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
    is the caller's (of the bytes it downloaded, or as the operator states it, or as the
    provider states it through the API). Writers racing for a number never overwrite each
    other (the catalog's AlreadyExists): the loser takes the next number."""
    catalog.get_provider(provider_id)  # NotFound for a typo'd provider
    if text is not None:
        content_sha256 = text_sha256(text)
    current = catalog.current_document(provider_id, kind)
    first = current.version + 1 if current else 1
    # Versions are dense from 1 (each is the first free number), so trying the next numbers
    # finds newest + 1 even when `current` came from a cache a little behind the store.
    for version in range(first, first + MAX_ATTEMPTS):
        document = ProviderDocument(
            provider_id=provider_id,
            kind=kind,
            version=version,
            text=text,
            url=url,
            content_sha256=content_sha256 or "",
            created_at=now,
        )
        try:
            catalog.add_document(document)
        except AlreadyExists:
            continue
        return document
    raise ConcurrentModification(f"another {kind} version was stored at the same time; retry")
