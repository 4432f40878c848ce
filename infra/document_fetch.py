"""Downloads a provider document published at a URL once, for its content hash
(`python -m infra.admin add-document --url ...`).

HTTPS only, no redirects (a redirect could lead to plain HTTP, and the hash must be of what
the URL itself serves), a connect and read timeout, and a size cap read in chunks, so a
huge or endless answer cannot fill the operator's memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import InvalidInput

TIMEOUT_S = (5.0, 20.0)  # connect, read
MAX_BYTES = 5 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def _requests_get(url: str, *, timeout: tuple[float, float], **kwargs: Any) -> Any:
    import requests

    return requests.get(url, timeout=timeout, **kwargs)


def document_sha256(
    url: str, *, get: Callable[..., Any] = _requests_get, max_bytes: int = MAX_BYTES
) -> str:
    """SHA-256 of the bytes `url` answers with; InvalidInput for anything but a 200 over
    HTTPS within the cap."""
    import requests

    if not url.startswith("https://"):
        raise InvalidInput(f"the document URL must be https:// ({url[:200]})")
    try:
        response = get(url, timeout=TIMEOUT_S, stream=True, allow_redirects=False)
    except requests.RequestException as error:
        raise InvalidInput(f"could not download {url[:200]}: {type(error).__name__}") from None
    try:
        if response.status_code != 200:
            where = response.headers.get("Location")
            moved = f" (redirects to {where[:200]}; give that URL)" if where else ""
            raise InvalidInput(f"{url[:200]} answered HTTP {response.status_code}{moved}")
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(f"{url[:200]} is larger than {max_bytes} bytes")
                digest.update(chunk)
        except requests.RequestException as error:
            raise InvalidInput(f"could not download {url[:200]}: {type(error).__name__}") from None
        return digest.hexdigest()
    finally:
        response.close()
