"""Languages of the customer web: Swedish first, English on request.

The language is, in order: an explicit `?lang=`, the visitor's earlier explicit choice (kept in
the session), the browser's `Accept-Language` as Babel negotiates it against the two
languages we have, else Swedish. Every customer-facing text is in the gettext catalogs
(chalicelib/web/locale, loaded by domain/texts.py); templates get them through `gettext`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ..domain.texts import catalog

Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = ("sv", "en")
DEFAULT: Language = "sv"
# Longer headers are cut: a browser sends a few dozen characters.
MAX_ACCEPT_LANGUAGE = 500


def as_language(value: str | None) -> Language | None:
    if value == "sv":
        return "sv"
    if value == "en":
        return "en"
    return None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def ranked_tags(accept_language: str | None) -> list[str]:
    """The header's language tags, most preferred first (q=0 and unreadable q left out).
    Splitting the header is all this does: matching them is Babel's (preferred_by_browser)."""
    if not accept_language:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = _quality(params)
        if tag.strip() and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def preferred_by_browser(accept_language: str | None) -> Language | None:
    """Swedish or English, whichever the header ranks higher; None if it names neither."""
    tags = ranked_tags(accept_language)
    if not tags:
        return None
    from babel.core import negotiate_locale

    # No aliases: they map "sv" to "sv_SE", which is not one of ours.
    negotiated = negotiate_locale(tags, LANGUAGES, sep="-", aliases={})
    return as_language(negotiated.lower() if negotiated else None)


def choose_language(
    query_lang: str | None, session_lang: str | None, accept_language: str | None
) -> Language:
    return (
        as_language(query_lang)
        or as_language(session_lang)
        or preferred_by_browser(accept_language)
        or DEFAULT
    )


def pick(language: Language, swedish: str, english: str) -> str:
    """One of a definition's two texts (form labels and the like are data, not catalog)."""
    return english if language == "en" else swedish


def gettext_callables(language: Language) -> dict[str, Callable[..., Any]]:
    """`gettext` and `ngettext` of `language`'s catalog, for the templates' i18n extension."""
    translations = catalog(language)
    return {"gettext": translations.gettext, "ngettext": translations.ngettext}
