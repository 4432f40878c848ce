"""The customer web's HTML: Jinja2 templates in templates/, autoescaped, texts from gettext.

One Environment per process, built on the first page (Jinja2 is imported only then, so a
function that renders nothing never loads it); the package ships the templates compiled
(template_cache.py), so that page does not compile them either.

Every value a template prints is escaped unless it is Markup, translated texts included: a
catalog holds text, never HTML, and the values filled into a text are escaped as well
(Jinja2's "newstyle" gettext).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .i18n import DEFAULT, LANGUAGES, Language, gettext_callables

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
# The service's name: a proper name, the same in every language.
SITE_NAME = "Stadsnätsfabriken"


# The language of the page being rendered: the templates' `_`, `gettext` and `ngettext`
# (globals of the one Environment, so imported macros need no page context) read it.
_PAGE_LANGUAGE: ContextVar[Language] = ContextVar("page_language", default=DEFAULT)


# Everything that shapes the compiled templates (template_cache.py keys on it).
_OPTIONS: dict[str, Any] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    # Templates ship with the code: no stat() of the file on every render.
    "auto_reload": False,
    "extensions": ["jinja2.ext.i18n"],
}
_FINGERPRINT = f"{sorted(_OPTIONS.items())!r}|autoescape|StrictUndefined|newstyle_gettext"


def build_environment(*, write_cache: bool = False) -> Environment:
    """The templates' Environment; `write_cache` for infra/package.py, which compiles them."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from .template_cache import CACHE_DIR, ShippedTemplateCache

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        bytecode_cache=ShippedTemplateCache(CACHE_DIR, _FINGERPRINT, writable=write_cache),
        **_OPTIONS,
    )
    # "Newstyle" gettext: `{% trans %}` hands its values to gettext, which fills them in.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    translations = {language: _translations(language) for language in LANGUAGES}

    def gettext(message: str, **values: Any) -> Markup:
        return translations[_PAGE_LANGUAGE.get()][0](message, **values)

    def ngettext(singular: str, plural: str, count: int, **values: Any) -> Markup:
        return translations[_PAGE_LANGUAGE.get()][1](singular, plural, count, **values)

    env.globals.update(site_name=SITE_NAME, gettext=gettext, ngettext=ngettext, _=gettext)
    return env


@cache
def environment() -> Environment:
    """The one Environment of this process, built on its first page."""
    return build_environment()


def _translations(language: Language) -> tuple[Callable[..., Markup], Callable[..., Markup]]:
    """`gettext` and `ngettext` of one language for the templates: the catalog's text
    escaped (and kept, per message id), then its `%(name)s` values filled in, escaped too."""
    from markupsafe import escape

    plain = gettext_callables(language)
    catalog_gettext, catalog_ngettext = plain["gettext"], plain["ngettext"]
    escaped: dict[str, Markup] = {}

    def translated(message: str, **values: Any) -> Markup:
        text = escaped.get(message)
        if text is None:
            text = escaped[message] = escape(catalog_gettext(message))
        return text % values if values else text

    def translated_plural(singular: str, plural: str, count: int, **values: Any) -> Markup:
        values.setdefault("num", count)
        return escape(catalog_ngettext(singular, plural, count)) % values

    return translated, translated_plural


def render(template: str, language: Language, **values: Any) -> str:
    """The page `template` in `language`; `values` are the template's variables."""
    page = environment().get_template(template)
    token = _PAGE_LANGUAGE.set(language)
    try:
        return page.render(values, lang=language)
    finally:
        _PAGE_LANGUAGE.reset(token)
