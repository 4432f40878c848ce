"""The composition root: the one place that reads the settings and builds the adapters.

Every entry point (the customer web, the provider API, each worker, /healthz) asks
`adapters()` for this process's `Adapters`, which are the domain's `Deps` and the few
things entry points need besides. Tests install their own with `use(...)`, usually an
`InMemoryAdapters` with fakes given for some parts, so entry points run unchanged against
them.

Each adapter is built on first use and then kept, which is what a warm Lambda reuses.
Everything heavy is imported inside its builder: a cold start pays only for what its
function touches. Nothing here imports an entry point.
"""

from __future__ import annotations

from ..process_wide import ProcessWide
from ..settings import settings
from .aws import AwsAdapters
from .base import Adapters
from .built import built_once
from .memory import TEST_SECRETS, InMemoryAdapters

__all__ = [
    "TEST_SECRETS",
    "Adapters",
    "AwsAdapters",
    "InMemoryAdapters",
    "adapters",
    "built_once",
    "use",
]


# Through a lambda: `settings` is read when the first entry point asks, not at import.
_current: ProcessWide[Adapters] = ProcessWide(lambda: AwsAdapters(settings()))


def adapters() -> Adapters:
    """This process's adapters."""
    return _current.get()


def use(replacement: Adapters | None) -> None:
    """Install `replacement` (tests); None builds afresh from the settings on next use."""
    _current.replace(replacement)
