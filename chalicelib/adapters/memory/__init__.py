"""In-memory implementations of the store ports (tests and the fast path)."""

from .catalog import InMemoryCatalog
from .store import (
    InMemoryApiKeyStore,
    InMemoryOneTimeTokens,
    InMemoryOrderStore,
)

__all__ = [
    "InMemoryApiKeyStore",
    "InMemoryCatalog",
    "InMemoryOneTimeTokens",
    "InMemoryOrderStore",
]
