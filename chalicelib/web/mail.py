"""The customer mails' text: templates/mail/ rendered in the customer's language.

The HTML part is rendered by the customer web's own Environment (rendering.py: autoescape,
the same catalogs and macros); the plain-text part by a second Environment over the same
templates without escaping (a text mail shows `&` as `&`), whose `_` is the catalog's plain
gettext. Both compile ahead of time into the package (infra/package.py).

The tracking link is the receipt link: `<public base URL>/orders/<id>?t=<receipt token>`,
signed with the key the web checks it with.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..domain.notifications import MailFacts, MailKind, RenderedMail
from .i18n import DEFAULT, LANGUAGES, Language, gettext_callables
from .rendering import _FINGERPRINT, _OPTIONS, TEMPLATES, render
from .session import receipt_token

if TYPE_CHECKING:
    from jinja2 import Environment

TEXT_SUFFIX = ".txt"
# The HTML macro files the text templates import (infra/package.py compiles them for the
# text Environment too).
TEXT_IMPORTS = ("mail/parts.html", "texts.html")
_TEXT_LANGUAGE: ContextVar[Language] = ContextVar("mail_language", default=DEFAULT)
_TEXT_FINGERPRINT = f"{_FINGERPRINT}|text"

TEMPLATE_OF = {
    MailKind.CONFIRMATION: "mail/confirmation",
    MailKind.ACTIVATION_UPDATE: "mail/notice",
    MailKind.WITHDRAWAL: "mail/notice",
    MailKind.CANCELLATION: "mail/notice",
}


def build_text_environment(*, write_cache: bool = False) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from .template_cache import CACHE_DIR, ShippedTemplateCache

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 - plain text mail; the HTML part is autoescaped
        undefined=StrictUndefined,
        bytecode_cache=ShippedTemplateCache(CACHE_DIR, _TEXT_FINGERPRINT, writable=write_cache),
        keep_trailing_newline=True,
        **_OPTIONS,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    plain = {language: gettext_callables(language) for language in LANGUAGES}

    def gettext(message: str, **values: Any) -> str:
        text: str = plain[_TEXT_LANGUAGE.get()]["gettext"](message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
        values.setdefault("num", count)
        text: str = plain[_TEXT_LANGUAGE.get()]["ngettext"](singular, plural, count)
        return text % values

    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)
    return env


@cache
def text_environment() -> Environment:
    return build_text_environment()


def render_text(template: str, language: Language, **values: Any) -> str:
    page = text_environment().get_template(template)
    token = _TEXT_LANGUAGE.set(language)
    try:
        return page.render(values, lang=language)
    finally:
        _TEXT_LANGUAGE.reset(token)


def render_mail(facts: MailFacts) -> RenderedMail:
    base = TEMPLATE_OF[facts.kind]
    values = {"mail": facts, "kind": facts.kind.value}
    subject = render_text("mail/subject.txt", facts.language, **values).strip()
    return RenderedMail(
        subject=" ".join(subject.split()),
        text=render_text(base + TEXT_SUFFIX, facts.language, **values),
        html=render(base + ".html", facts.language, **values),
    )


class MailTemplates:
    """The `MailComposer` the notification worker hands the domain."""

    def __init__(self, signing_key: bytes, public_base_url: str | None) -> None:
        self._key = signing_key
        self._base = (public_base_url or "").rstrip("/")

    def render(self, facts: MailFacts) -> RenderedMail:
        return render_mail(facts)

    def tracking_url(self, order_id: str) -> str:
        token = quote(receipt_token(self._key, order_id), safe="")
        return f"{self._base}/orders/{quote(order_id, safe='')}?t={token}"
