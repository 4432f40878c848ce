"""In-memory implementations of the store ports (tests and the fast path)."""

from .store import (
    InMemoryApiKeyStore,
    InMemoryCatalog,
    InMemoryOneTimeTokens,
    InMemoryOrderStore,
)

__all__ = [
    "InMemoryApiKeyStore",
    "InMemoryCatalog",
    "InMemoryOneTimeTokens",
    "InMemoryOrderStore",
]
