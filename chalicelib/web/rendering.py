"""A tiny HTML renderer: string.Template files, every value escaped unless it is Markup.

Markup is only ever produced by this module (escape, render, join), so a value from a visitor,
a city network or the catalogue can reach a page only through html.escape.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates"


class Markup(str):
    """HTML that is already safe to emit as is."""

    __slots__ = ()


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[object], separator: str = "\n") -> Markup:
    return Markup(separator.join(escape(part) for part in parts))


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


@cache
def _inline(source: str) -> Template:
    return Template(source)


def render(name: str, **values: object) -> Markup:
    """The template file `name` with every `$value` escaped (Markup passes unchanged)."""
    return Markup(_template(name).substitute({k: escape(v) for k, v in values.items()}))


def fragment(source: str, **values: object) -> Markup:
    """A small inline template, with the same escaping as `render`."""
    return Markup(_inline(source).substitute({k: escape(v) for k, v in values.items()}))


def attributes(**values: str | int | bool | None) -> Markup:
    """HTML attributes; None and False are left out, True is a bare attribute. A trailing
    underscore in a name is dropped (for `class_`, `for_`); other underscores become dashes."""
    parts: list[str] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        attribute = name.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(attribute)
        else:
            parts.append(f'{attribute}="{escape(value)}"')
    return Markup(" ".join(parts))
