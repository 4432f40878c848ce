"""The Jinja2 rendering of the customer web: loaded only on the web path, one Environment,
escaping on, per-page language, and compiled templates that never go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.web import rendering
from chalicelib.web.pages import PageContext, error_page
from chalicelib.web.template_cache import ShippedTemplateCache, write_template_cache

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_loads_neither_jinja2_nor_babel():
    # Cold start: a function pays for Jinja2 and Babel on its first page, not on import.
    program = (
        "import sys, app; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'babel', 'markupsafe'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_one_environment_per_process_with_autoescape():
    assert rendering.environment() is rendering.environment()
    assert rendering.environment().autoescape is True


def test_values_are_escaped_and_a_missing_value_is_an_error():
    page = rendering.environment().from_string("<p>{{ text }}</p>")
    assert page.render(text="<b>&") == "<p>&lt;b&gt;&amp;</p>"
    with pytest.raises(Exception, match="undefined"):
        page.render()


def test_each_page_is_rendered_in_its_own_language():
    swedish = error_page(PageContext(language="sv", path="/x"), 404)
    english = error_page(PageContext(language="en", path="/x"), 404)
    assert '<html lang="sv">' in swedish and "Sidan finns inte" in swedish
    assert '<html lang="en">' in english and "Page not found" in english
    assert 'href="/x?lang=en"' in swedish and 'href="/x?lang=sv"' in english


def test_a_translation_escapes_the_values_filled_into_it():
    page = rendering.environment().from_string('{{ _("Services in %(network)s", network=n) }}')
    token = rendering._PAGE_LANGUAGE.set("sv")
    try:
        assert page.render(n="<i>Nät</i>") == "Tjänster i &lt;i&gt;Nät&lt;/i&gt;"
    finally:
        rendering._PAGE_LANGUAGE.reset(token)


def test_compiled_templates_are_used_and_a_changed_template_is_not(tmp_path: Path):
    # Given the templates compiled into a cache directory
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ _('Page not found') }}</p>", encoding="utf-8")
    cache_dir = tmp_path / "cache"

    def environment(writable: bool):  # type: ignore[no-untyped-def]
        from jinja2 import Environment, FileSystemLoader

        return Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            bytecode_cache=ShippedTemplateCache(cache_dir, "test", writable=writable),
        )

    assert write_template_cache(environment(writable=True), cache_dir) == ["page.html"]
    assert len(list(cache_dir.glob("*.jinja"))) == 1
    # When a read-only environment loads it, it compiles nothing
    shipped = environment(writable=False)
    shipped.compile = None  # type: ignore[assignment]
    assert shipped.get_template("page.html").render(_=str.upper) == "<p>PAGE NOT FOUND</p>"
    # And when the template changed since, the stale entry is ignored, not used
    (templates / "page.html").write_text("<p>{{ _('Bad request') }}</p>", encoding="utf-8")
    fresh = environment(writable=False)
    assert fresh.get_template("page.html").render(_=str.upper) == "<p>BAD REQUEST</p>"
