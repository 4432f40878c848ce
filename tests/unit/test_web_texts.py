"""Every customer-facing text is in the gettext catalogs, in Swedish and English.

1. The catalogs are complete: Babel's extraction of the code and templates (babel.cfg) is
   exactly messages.pot, and every id of it has a checked, non-fuzzy translation in both
   sv and en, which the compiled .mo files (what the app reads) hold as well.
2. No customer text is outside them: no string literal in chalicelib/ (docstrings aside,
   proper names allowed) and no template text has a Swedish letter; no literal in the code
   that makes the customer's texts looks like a sentence unless it is marked for the
   catalog (or is a log line or an exception's message); and no text of a template, nor a
   read-aloud attribute, has a word in it that is not a catalog's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib.domain.texts import CATALOG_LANGUAGES, catalog
from chalicelib.web.rendering import SITE_NAME, TEMPLATES, environment

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
LOCALE = PACKAGE / "web" / "locale"
SWEDISH = re.compile("[åäöÅÄÖ]")
# Proper names, the same in every language; not customer sentences.
PROPER_NAMES = (SITE_NAME,)
# The modules whose literals become what a customer reads: the web, and the domain texts it
# shows (form errors, why an offer is not deliverable, activation reasons).
CUSTOMER_TEXT_MODULES = (
    *sorted((PACKAGE / "web").rglob("*.py")),
    *sorted((PACKAGE / "domain" / "forms").rglob("*.py")),
    PACKAGE / "domain" / "ordering.py",
    PACKAGE / "domain" / "texts.py",
    PACKAGE / "domain" / "activation" / "replies.py",
)
# Calls whose string arguments are not customer text outside a catalog: the catalog
# markers themselves, log lines, and exceptions (their messages are logged, never shown:
# web/errors.py answers every failure with a page of catalog texts).
EXEMPT_CALLS = frozenset(
    {"N_", "_", "gettext", "ngettext", "debug", "info", "warning", "error", "exception", "log"}
)
# Three words or more, the first capitalised: what a customer-facing sentence looks like.
SENTENCE = re.compile(r"^[A-ZÅÄÖ][a-zåäö]+(?:[ ,:;]+[A-Za-zÅÄÖåäö][\w'-]*){2,}")


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def message_key(message: Message) -> str:
    """A message's id; a plural message is known by its singular."""
    return str(message.id if isinstance(message.id, str) else message.id[0])


def translations_of(message: Message) -> tuple[str, ...]:
    """Every form of a message's translation (a plural message has one per form)."""
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(str(s or "") for s in strings)


def message_ids(catalog_: Catalog) -> set[str]:
    return {message_key(m) for m in catalog_ if m.id}


# --- 1. the catalogs are complete -------------------------------------------------------


def extracted_ids() -> set[str]:
    """What `make messages` would extract from the code and templates today."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS, comment_tags=()
    )
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in found
        if message
    }


def test_the_template_is_what_extraction_finds_in_the_code_and_templates():
    extracted = extracted_ids()
    template = message_ids(read_catalog(LOCALE / "messages.pot"))
    assert len(extracted) > 50  # the extraction found the texts at all
    assert not sorted(extracted - template), "not in messages.pot: run `make messages`"
    assert not sorted(template - extracted), "no longer in the code: run `make messages`"


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_message_id_is_translated_in_both_catalogs(language: str):
    template = message_ids(read_catalog(LOCALE / "messages.pot"))
    translations = read_catalog(LOCALE / language / "LC_MESSAGES" / "messages.po")
    by_id = {message_key(m): m for m in translations if m.id}
    missing = sorted(template - set(by_id))
    untranslated = sorted(
        i for i in template & set(by_id) if not all(t.strip() for t in translations_of(by_id[i]))
    )
    fuzzy = sorted(i for i in template & set(by_id) if by_id[i].fuzzy)
    assert not missing, f"{language}: ids missing from the catalog (make messages)"
    assert not untranslated, f"{language}: ids without a translation"
    assert not fuzzy, f"{language}: fuzzy translations (gettext ignores them)"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in translations.check()]
    assert not [p for p in problems if p[1]], f"{language}: placeholders do not match"


def _compiled(compiled: Any, message: Message) -> tuple[str, ...]:
    if isinstance(message.id, str):
        return (compiled.gettext(message.id),)
    singular, plural = message.id[0], message.id[1]
    return (compiled.ngettext(singular, plural, 1), compiled.ngettext(singular, plural, 2))


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_the_compiled_catalog_is_the_current_one(language: str):
    translations = read_catalog(LOCALE / language / "LC_MESSAGES" / "messages.po")
    compiled = catalog(language)
    stale = [m.id for m in translations if m.id and _compiled(compiled, m) != translations_of(m)]
    assert not stale, "the .mo is older than the .po: python -m infra.catalogs"


def test_swedish_and_english_differ_where_they_should():
    swedish, english = catalog("sv"), catalog("en")
    assert swedish.gettext("Page not found") == "Sidan finns inte"
    assert english.gettext("Page not found") == "Page not found"
    assert swedish.gettext("Switch language") == "In English"
    assert english.gettext("Switch language") == "På svenska"


# --- 2. no customer text outside them ---------------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _exempt(tree: ast.AST) -> set[int]:
    """Literals inside exempt calls and inside `raise` statements."""
    ids = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and _call_name(node) in EXEMPT_CALLS) or isinstance(
            node, ast.Raise
        ):
            ids.update(id(inner) for inner in ast.walk(node))
    return ids


def string_literals(source: str) -> Iterator[tuple[int, str, bool]]:
    """(line, text, exempt) of every string literal that is not a docstring."""
    tree = ast.parse(source)
    docstrings, exempt = _docstrings(tree), _exempt(tree)
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_string and id(node) not in docstrings:
            yield node.lineno, node.value, id(node) in exempt


def without_proper_names(text: str) -> str:
    for name in PROPER_NAMES:
        text = text.replace(name, "")
    return text


def python_offenders(source: str, *, customer_text: bool) -> list[tuple[int, str]]:
    found = []
    for line, text, exempt in string_literals(source):
        plain = without_proper_names(text)
        if SWEDISH.search(plain) or (
            customer_text and not exempt and SENTENCE.match(plain.strip())
        ):
            found.append((line, text))
    return found


_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
_READ_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')


def template_offenders(source: str) -> list[tuple[int, str]]:
    """Template text with a letter in it (outside tags), a read-aloud attribute with literal
    words, and a printed or Swedish string constant: texts that skipped the catalogs."""
    from jinja2 import nodes

    found = []
    tree = environment().parse(source)
    # The template's literal text in order, each expression or tag of Jinja's a gap ("\0"),
    # so that an HTML tag cut by an expression is still one tag.
    pieces = [(data.lineno, data.data) for data in tree.find_all(nodes.TemplateData)]
    joined, starts, offset = "", [], 0
    for lineno, data in pieces:
        starts.append((offset, lineno))
        joined += data + "\0"
        offset += len(data) + 1

    def line_at(position: int) -> int:
        start, lineno = max(((o, n) for o, n in starts if o <= position), default=(0, 1))
        return lineno + joined[start:position].count("\n")

    for match in _READ_ATTRIBUTE.finditer(joined):
        if re.search(r"[^\W\d_]", match.group(1)):
            found.append((line_at(match.start()), match.group(1)))
    for match in re.finditer(r"[^<>]+", joined):
        if match.start() > 0 and joined[match.start() - 1] == "<":
            continue  # inside a tag: attributes, checked above
        text = _ENTITY.sub("", match.group()).replace("\0", " ")
        if re.search(r"[^\W\d_]", without_proper_names(text)):
            found.append((line_at(match.start()), text.strip()))
    for output in tree.find_all(nodes.Output):
        for const in output.nodes:
            is_string = isinstance(const, nodes.Const) and isinstance(const.value, str)
            if is_string and re.search(r"[^\W\d_]", const.value):
                found.append((const.lineno, const.value))
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, str) and SWEDISH.search(without_proper_names(const.value)):
            found.append((const.lineno, const.value))
    return found


def test_no_customer_text_in_python_outside_the_catalogs():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        customer_text = path in CUSTOMER_TEXT_MODULES
        for line, text in python_offenders(source, customer_text=customer_text):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert not offenders, "customer texts belong in the catalogs:\n" + "\n".join(offenders)


def test_no_customer_text_in_templates_outside_the_catalogs():
    offenders = []
    # The mails' plain-text templates (chalicelib/web/mail.py) as well as the pages.
    for path in sorted([*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt")]):
        for line, text in template_offenders(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert not offenders, "customer texts belong in the catalogs:\n" + "\n".join(offenders)


# The scanners themselves: each finds what it is there to find.


def test_the_python_scan_finds_swedish_and_unmarked_sentences():
    source = '''
"""Docstrings may say "hemifrån"."""
import logging
from chalicelib.domain.texts import N_
A = "Tjänsten är aktiverad"
B = "The service is active today."
C = N_("The service is active today.")
logging.getLogger().info("Customer web answered quickly")
D = f"Hej {A} där"
'''
    found = python_offenders(source, customer_text=True)
    assert [line for line, _ in found] == [5, 6, 9]
    assert [line for line, _ in python_offenders(source, customer_text=False)] == [5, 9]
    raising = 'raise ValueError("Fel i formuläret")\nraise ValueError("The form is broken")\n'
    assert [line for line, _ in python_offenders(raising, customer_text=True)] == [1]


def test_the_template_scan_finds_text_outside_the_catalogs():
    source = (
        '{% extends "base.html" %}{% block content %}\n'
        '<h1>{{ _("Page not found") }}</h1>\n'
        "<p>Sidan finns inte</p>\n"
        '<a aria-label="Go home" href="/">{{ site_name }}</a>\n'
        '{{ "Välkommen" }}\n'
        '<p class="x">{{ value }}: {% trans %}Hello{% endtrans %} · –</p>\n'
        "{% endblock %}"
    )
    found = template_offenders(source)
    assert ("Sidan finns inte" in str(found)) and ("Go home" in str(found))
    assert "Välkommen" in str(found)
    assert (3, "Sidan finns inte") in found
    assert "Page not found" not in str(found) and "Hello" not in str(found)
