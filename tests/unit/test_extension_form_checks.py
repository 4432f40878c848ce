"""The checks a provider's extension form passes before it is stored (domain/forms/
extension_check.py): every problem reported with its field path, none for a good form."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.form_files import DEFAULT_FORMS_DIR, load_form_definitions
from chalicelib.domain.forms.extension_check import extension_form_problems, pattern_problem
from tests.hypothesis_profiles import scaled

DEFINITIONS = load_form_definitions()


def a_form(**fields: Any) -> dict[str, Any]:
    """A good extension form: one text field, one checkbox; `fields` add or replace some."""
    properties: dict[str, Any] = {
        "customer_number": {
            "type": "string",
            "maxLength": 12,
            "pattern": "^[0-9]{4,12}$",
            "x-ui": {
                "order": 10,
                "label": {"sv": "Kundnummer", "en": "Customer number"},
                "widget": "text",
            },
        },
        "newsletter": {
            "type": "boolean",
            "default": False,
            "x-ui": {
                "order": 20,
                "label": {"sv": "Nyhetsbrev", "en": "Newsletter"},
                "widget": "checkbox",
            },
        },
    }
    properties.update(fields)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-ui": {"legend": {"sv": "Från oss", "en": "From us"}},
        "properties": properties,
        "required": [],
        "additionalProperties": False,
    }


def text_field(**ui: Any) -> dict[str, Any]:
    return {
        "type": "string",
        "x-ui": {"order": 1, "label": {"sv": "Fält", "en": "Field"}, "widget": "text", **ui},
    }


def problems(form: dict[str, Any]) -> list[dict[str, Any]]:
    return extension_form_problems(DEFINITIONS, form)


def fields_of(found: list[dict[str, Any]]) -> list[str]:
    return [p["field"] for p in found]


def test_a_good_form_has_no_problems() -> None:
    assert problems(a_form()) == []


def test_the_operators_own_extension_file_would_be_accepted_through_the_api() -> None:
    demo = json.loads((DEFAULT_FORMS_DIR / "providers" / "demo-tl.json").read_text())
    assert problems(demo) == []


@pytest.mark.parametrize(
    "name", ["first_name", "personal_number", "requested_date", "router", "current_number"]
)
def test_a_field_name_of_the_base_or_a_category_form_is_a_collision(name: str) -> None:
    base_or_category = {
        n
        for schema in (DEFINITIONS.base, *DEFINITIONS.categories.values())
        for n in schema["properties"]
    }
    assert name in base_or_category
    found = problems(a_form(**{name: text_field()}))
    assert [(p["field"], p["type"]) for p in found] == [
        (f"body.properties.{name}", "form_collision")
    ]


@pytest.mark.parametrize(
    "name",
    ["step", "accept_terms", "early_start", "campaign_code", "forced_takeover", "csrf_token"],
)
def test_reserved_names_are_refused(name: str) -> None:
    found = problems(a_form(**{name: text_field()}))
    assert [(p["field"], p["type"]) for p in found] == [
        (f"body.properties.{name}", "form_reserved_name")
    ]


@pytest.mark.parametrize(
    ("value_type", "widget"),
    [("string", "textarea"), ("string", "file"), ("boolean", "text"), ("integer", "checkbox")],
)
def test_an_unsupported_widget_is_refused_naming_the_field(value_type: str, widget: str) -> None:
    field = {
        "type": value_type,
        "x-ui": {"order": 1, "label": {"sv": "F", "en": "F"}, "widget": widget},
    }
    found = problems(a_form(extra_field=field))
    assert fields_of(found) == ["body.properties.extra_field.x-ui.widget"]
    assert found[0]["type"] == "form_widget"
    assert found[0]["loc"] == ["body", "properties", "extra_field", "x-ui", "widget"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "body.$schema"),
        ({"type": "array"}, "body.type"),
        ({"additionalProperties": True}, "body.additionalProperties"),
        ({"x-ui": {"legend": {"sv": "Bara svenska"}}}, "body.x-ui"),
        ({"properties": {}}, "body.properties"),
        ({"required": ["no_such_field"]}, "body.required"),
        ({"$ref": "https://evil.example/schema.json"}, "body.$ref"),
        ({"if": {}, "then": {}}, "body.if"),
    ],
)
def test_a_form_not_in_the_format_names_where(change: dict[str, Any], field: str) -> None:
    form = {**a_form(), **change}
    assert field in fields_of(problems(form))


def test_every_problem_is_reported_at_once() -> None:
    form = a_form(
        step=text_field(),
        first_name=text_field(),
        bad_widget=text_field(widget="slider"),
        no_label={"type": "string", "x-ui": {"order": 1, "widget": "text"}},
    )
    form["additionalProperties"] = True
    assert sorted(fields_of(problems(form))) == [
        "body.additionalProperties",
        "body.properties.bad_widget.x-ui.widget",
        "body.properties.first_name",
        "body.properties.no_label.x-ui.label",
        "body.properties.step",
    ]


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ({**text_field(), "$ref": "#/x"}, "body.properties.f1.$ref"),
        ({**text_field(), "type": "number"}, "body.properties.f1.type"),
        ({**text_field(), "format": "uri"}, "body.properties.f1.format"),
        (text_field(script="x"), "body.properties.f1.x-ui.script"),
        (text_field(order="1"), "body.properties.f1.x-ui.order"),
        ({**text_field(widget="select"), "enum": ["a", "b"]}, "body.properties.f1.x-ui.options"),
        ({**text_field(), "maxLength": 100_000}, "body.properties.f1.maxLength"),
        ({**text_field(), "default": 3}, "body.properties.f1.default"),
    ],
)
def test_a_field_outside_the_format_names_its_keyword(field: dict[str, Any], where: str) -> None:
    assert where in fields_of(problems(a_form(f1=field)))


def test_a_field_name_must_be_a_lowercase_identifier() -> None:
    found = problems(a_form(**{"Kund-Nr": text_field()}))
    assert [(p["field"], p["type"]) for p in found] == [
        ("body.properties.Kund-Nr", "form_field_name")
    ]


@pytest.mark.parametrize(
    "pattern",
    ["^(a+)+$", "^(a|aa)*$", "^a*a*a*$", "abc", "^[a-z]+", "^(?=a)a$", "^(a)\\1$", "^[$"],
)
def test_patterns_that_could_be_slow_or_are_not_anchored_are_refused(pattern: str) -> None:
    assert pattern_problem(pattern) is not None
    field = {**text_field(), "pattern": pattern}
    assert fields_of(problems(a_form(f1=field))) == ["body.properties.f1.pattern"]


@pytest.mark.parametrize(
    "pattern", ["^[A-Z0-9]{4,12}$", "^[0-9]{3}-[0-9]{4}$", "^[^()]+$", "^[]a]?$", "^\\d+$"]
)
def test_simple_anchored_patterns_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_a_select_with_labels_for_every_value_is_accepted() -> None:
    field = {
        "type": "string",
        "enum": ["morning", "evening"],
        "x-ui": {
            "order": 5,
            "label": {"sv": "När", "en": "When"},
            "widget": "radio",
            "options": {
                "morning": {"sv": "Förmiddag", "en": "Morning"},
                "evening": {"sv": "Kväll", "en": "Evening"},
            },
        },
    }
    assert problems(a_form(visit_time=field)) == []


def test_a_body_that_is_not_an_object_is_one_problem() -> None:
    assert fields_of(extension_form_problems(DEFINITIONS, [])) == ["body"]  # type: ignore[arg-type]


def test_the_checked_form_is_not_changed() -> None:
    form = a_form()
    before = copy.deepcopy(form)
    problems(form)
    assert form == before


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        *("type", "format", "widget", "x-ui", "enum", "options", "inputmode", "x-normalize"),
        *("required", "pattern", "default", "order", "label", "minimum", "maxLength"),
    ]
)


@given(
    top=st.dictionaries(st.sampled_from(["required", "x-ui", "properties", "type"]), _JSON),
    field=st.dictionaries(_KEYS, _JSON, max_size=6),
    ui=st.dictionaries(_KEYS, _JSON, max_size=6),
)
@settings(max_examples=scaled(150), deadline=None)
def test_any_json_is_answered_with_problems_never_an_exception(
    top: dict[str, Any], field: dict[str, Any], ui: dict[str, Any]
) -> None:
    form = {**a_form(), **top}
    form["properties"] = {"f1": {**text_field(), **field, "x-ui": ui}}
    found = extension_form_problems(DEFINITIONS, form)
    assert all(p["field"].startswith("body") for p in found)
