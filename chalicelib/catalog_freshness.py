"""HTTP middleware: each request starts by telling the catalog cache a new request began,
so a catalog change made in another process is seen on this request (adapters/cached_catalog.py).
Only the cache has `begin_request`; the in-memory catalog needs nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def catalog_freshness(event: Any, get_response: Callable[[Any], Any]) -> Any:
    from chalicelib.composition import adapters

    begin = getattr(adapters().catalog, "begin_request", None)
    if begin is not None:
        begin()
    return get_response(event)
