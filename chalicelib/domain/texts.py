"""Customer-facing texts that the domain names, and the gettext catalogs that translate them.

`N_` marks a text so that Babel extracts it into the catalogs (babel.cfg, keyword `N_`). The
marked English text is the message id: it is stored and sent as is where English is meant
(providers read English) and translated where a customer is shown it.

The catalogs live with the customer web, chalicelib/web/locale/<language>/LC_MESSAGES/
messages.mo, compiled from the .po files by `make messages`, scripts/bootstrap-venv and
infra/package.py (the .mo files are build output, not committed). The domain's bilingual
values (forms.FieldError, models.Deliverability) take both of their languages from here.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"
CATALOG_DOMAIN = "messages"
# Swedish first: the default language of every customer page.
CATALOG_LANGUAGES = ("sv", "en")


class CatalogMissing(RuntimeError):
    """A compiled catalog is not there: the .po files were never compiled."""


def N_(message: str) -> str:
    return message


def compiled_catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.mo"


@cache
def catalog(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of `language` (read once per process)."""
    if language not in CATALOG_LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    path = compiled_catalog_path(language)
    try:
        with path.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    except FileNotFoundError as missing:
        raise CatalogMissing(
            f"{path} is missing: compile the catalogs (make messages, or scripts/bootstrap-venv)"
        ) from missing


def translated(message: str, language: str, **values: object) -> str:
    """`message` (a message id) in `language`, with `%(name)s` placeholders filled in."""
    text = catalog(language).gettext(message)
    return text % values if values else text


def in_both(message: str, **values: object) -> tuple[str, str]:
    """(Swedish, English) of one message id."""
    return translated(message, "sv", **values), translated(message, "en", **values)
