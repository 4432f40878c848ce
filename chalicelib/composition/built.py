"""`built_once`: an adapter attribute built on first use, once per `Adapters` object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, overload


class _Owner(Protocol):
    """What owns built attributes: a lock that serialises their building."""

    _building: Any
    __dict__: dict[str, Any]


class built_once[T]:
    """An attribute built by `build` on first use, once per instance even when threads
    race (the local stack serves requests on several threads: two catalog caches would
    be one too many). A value given to the constructor takes its place."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> built_once[T]: ...
    @overload
    def __get__(self, instance: _Owner, owner: type) -> T: ...
    def __get__(self, instance: _Owner | None, owner: type) -> T | built_once[T]:
        if instance is None:
            return self
        values = instance.__dict__
        if self._name not in values:
            with instance._building:
                if self._name not in values:
                    values[self._name] = self._build(instance)
        value: T = values[self._name]
        return value


def _missing(name: str) -> Callable[[Any], Any]:
    def build(adapters: Any) -> Any:
        raise NotImplementedError(f"{type(adapters).__name__} does not build {name}")

    return build
