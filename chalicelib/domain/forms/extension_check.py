"""The checks a provider's extension form sent through the API must pass before it is stored.

The files in forms/ are the operator's and trusted; a form sent by a provider is not, so it
is held to an allow-list: only the keywords the templates and the validator understand, only
the supported widgets, no field name of the base or any category form (the provider's form
applies to its offers of every category), none of the names the web form posts itself, and
server-side patterns simple enough to run in linear time on a customer's answer (a pattern
with nested or many quantifiers could make one answer cost seconds of CPU).

Every problem is reported, each with its path in the body, in the provider API's field
error format (`field`, `loc`, `message`, `type`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from .checks import _INPUTMODES, _NORMALIZERS, _WIDGETS_BY_TYPE, _check_document
from .definitions import RESERVED_FIELDS, SCHEMA_DIALECT, FormDefinitionError, FormDefinitions
from .formats import FORMAT_NAMES

# The review step's campaign code is the form's own as well (issue 13, item 4), reserved
# here whether or not the base form has it yet.
EXTENSION_RESERVED = RESERVED_FIELDS | {"campaign_code"}
MAX_FIELDS = 30
MAX_TEXT = 500
MAX_OPTIONS = 50
MAX_PATTERN = 200
MAX_QUANTIFIERS = 2
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_AUTOCOMPLETE = re.compile(r"[a-z0-9 -]{1,60}")
_TOP_KEYS = frozenset(
    {"$schema", "$id", "title", "description", "type", "x-ui", "properties", "required"}
    | {"additionalProperties"}
)
_PROPERTY_KEYS = frozenset(
    {"type", "title", "description", "format", "pattern", "maxLength", "minLength"}
    | {"minimum", "maximum", "enum", "const", "default", "x-ui", "x-normalize"}
)
_UI_KEYS = frozenset(
    {"order", "label", "help", "widget", "autocomplete", "inputmode", "options", "pattern"}
    | {"errors"}
)
_PYTHON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
}

Problem = dict[str, Any]


def _problem(loc: list[str | int], message: str, kind: str) -> Problem:
    # A key of the client's own naming is shown, but never at any length.
    path = ["body", *(p[:64] if isinstance(p, str) else p for p in loc)]
    return {
        "field": ".".join(str(p) for p in path),
        "loc": path,
        "message": message,
        "type": kind,
    }


def extension_form_problems(
    definitions: FormDefinitions, document: Mapping[str, Any]
) -> list[Problem]:
    """Every reason `document` cannot be a provider's extension form; [] if it can."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping):
        return [_problem([], "the form must be a JSON object", "form_not_an_object")]
    for key in document:
        if key not in _TOP_KEYS:
            problems.append(_problem([key], "not a supported keyword here", "form_unsupported"))
    if document.get("$schema") != SCHEMA_DIALECT:
        problems.append(_problem(["$schema"], f"must be {SCHEMA_DIALECT}", "form_format"))
    if document.get("type") != "object":
        problems.append(_problem(["type"], 'must be "object"', "form_format"))
    if document.get("additionalProperties") is not False:
        problems.append(_problem(["additionalProperties"], "must be false", "form_format"))
    for key in ("title", "description", "$id"):
        if key in document and not _short_text(document[key]):
            problems.append(_problem([key], f"a text of at most {MAX_TEXT}", "form_format"))
    ui = document.get("x-ui")
    if not isinstance(ui, Mapping) or set(ui) - {"legend"} or not _both(ui.get("legend")):
        problems.append(
            _problem(["x-ui"], "needs exactly a legend with sv and en texts", "form_format")
        )
    properties = document.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        problems.append(_problem(["properties"], "needs at least one field", "form_format"))
        return problems
    if len(properties) > MAX_FIELDS:
        problems.append(_problem(["properties"], f"at most {MAX_FIELDS} fields", "form_format"))
    taken = _base_field_names(definitions)
    for name, prop in properties.items():
        problems.extend(_property_problems(str(name), prop, taken))
    required = document.get("required", [])
    if not isinstance(required, list) or not all(_one_of(r, properties) for r in required):
        problems.append(
            _problem(["required"], "a list of names of this form's fields", "form_format")
        )
    if not problems:
        problems.extend(_loader_problems(definitions, document))
    return problems


def _base_field_names(definitions: FormDefinitions) -> dict[str, str]:
    """Each field name of the base and category forms, and which form has it."""
    taken = {name: "base" for name in definitions.base.get("properties", {})}
    for category, schema in definitions.categories.items():
        for name in schema.get("properties", {}):
            taken.setdefault(name, category)
    return taken


def _property_problems(name: str, prop: Any, taken: Mapping[str, str]) -> list[Problem]:
    at: list[str | int] = ["properties", name]
    if name in EXTENSION_RESERVED:
        return [_problem(at, f"{name!r} is a reserved name", "form_reserved_name")]
    if name in taken:
        return [
            _problem(at, f"the {taken[name]} form already has a field {name!r}", "form_collision")
        ]
    if not _FIELD_NAME.fullmatch(name):
        return [_problem(at, "field names are lowercase identifiers", "form_field_name")]
    if not isinstance(prop, Mapping):
        return [_problem(at, "must be an object", "form_format")]
    problems = [
        _problem([*at, key], "not a supported keyword here", "form_unsupported")
        for key in prop
        if key not in _PROPERTY_KEYS
    ]
    value_type = prop.get("type")
    if not _one_of(value_type, _WIDGETS_BY_TYPE):
        problems.append(
            _problem([*at, "type"], f"one of {sorted(_WIDGETS_BY_TYPE)}", "form_format")
        )
        return problems
    problems.extend(_value_problems(at, prop, str(value_type)))
    ui = prop.get("x-ui")
    if not isinstance(ui, Mapping):
        problems.append(_problem([*at, "x-ui"], "needs x-ui", "form_format"))
        return problems
    problems.extend(_ui_problems([*at, "x-ui"], ui, prop, str(value_type)))
    return problems


def _value_problems(at: list[str | int], prop: Mapping[str, Any], value_type: str) -> list[Problem]:
    problems: list[Problem] = []
    python_types = _PYTHON_TYPES[value_type]

    def of_type(value: object) -> bool:
        # bool is an int in Python; an integer field's values are not booleans.
        return isinstance(value, python_types) and (value_type == "boolean") == isinstance(
            value, bool
        )

    if "format" in prop and not _one_of(prop["format"], FORMAT_NAMES):
        problems.append(_problem([*at, "format"], f"one of {sorted(FORMAT_NAMES)}", "form_format"))
    for key in ("maxLength", "minLength"):
        if key in prop and not (_small_int(prop[key], 1000) and value_type == "string"):
            problems.append(_problem([*at, key], "0 to 1000, for a string", "form_format"))
    for key in ("minimum", "maximum"):
        bound = prop.get(key)
        magnitude = abs(bound) if isinstance(bound, int) else bound
        if key in prop and not (value_type == "integer" and _small_int(magnitude, 10**9)):
            problems.append(_problem([*at, key], "an integer, for an integer", "form_format"))
    if "pattern" in prop:
        reason = pattern_problem(prop["pattern"]) if value_type == "string" else "for a string"
        if reason:
            problems.append(_problem([*at, "pattern"], reason, "form_pattern"))
    if "enum" in prop:
        enum = prop["enum"]
        if (
            not isinstance(enum, list)
            or not 1 <= len(enum) <= MAX_OPTIONS
            or not all(of_type(v) and _short_text(str(v)) for v in enum)
            or len({str(v) for v in enum}) != len(enum)
        ):
            problems.append(
                _problem([*at, "enum"], f"1 to {MAX_OPTIONS} distinct values", "form_format")
            )
    for key in ("const", "default"):
        if key in prop and not (of_type(prop[key]) and _short_text(str(prop[key]))):
            problems.append(_problem([*at, key], f"a {value_type} value", "form_format"))
    if "x-normalize" in prop and not _one_of(prop["x-normalize"], _NORMALIZERS):
        problems.append(_problem([*at, "x-normalize"], "unknown normalisation", "form_format"))
    return problems


def _ui_problems(
    at: list[str | int], ui: Mapping[str, Any], prop: Mapping[str, Any], value_type: str
) -> list[Problem]:
    problems = [
        _problem([*at, key], "not a supported keyword here", "form_unsupported")
        for key in ui
        if key not in _UI_KEYS
    ]
    widgets = _WIDGETS_BY_TYPE[value_type]
    if not _one_of(ui.get("widget"), widgets):
        problems.append(
            _problem(
                [*at, "widget"],
                f"unsupported widget; for a {value_type}: {', '.join(sorted(widgets))}",
                "form_widget",
            )
        )
    if not _both(ui.get("label")):
        problems.append(_problem([*at, "label"], "needs sv and en texts", "form_format"))
    if "help" in ui and not _both(ui["help"]):
        problems.append(_problem([*at, "help"], "needs sv and en texts", "form_format"))
    if not _small_int(ui.get("order"), 10**6):
        problems.append(_problem([*at, "order"], "an integer, 0 to 1000000", "form_format"))
    if "inputmode" in ui and not _one_of(ui["inputmode"], _INPUTMODES):
        problems.append(_problem([*at, "inputmode"], "unknown inputmode", "form_format"))
    if "autocomplete" in ui and not (
        isinstance(ui["autocomplete"], str) and _AUTOCOMPLETE.fullmatch(ui["autocomplete"])
    ):
        problems.append(_problem([*at, "autocomplete"], "an HTML token", "form_format"))
    if "pattern" in ui and not (isinstance(ui["pattern"], str) and len(ui["pattern"]) <= 200):
        problems.append(_problem([*at, "pattern"], "a text of at most 200", "form_format"))
    errors = ui.get("errors", {})
    if not isinstance(errors, Mapping) or not all(_both(m) for m in errors.values()):
        problems.append(_problem([*at, "errors"], "each message needs sv and en", "form_format"))
    if _one_of(ui.get("widget"), {"select", "radio"}):
        labels = ui.get("options")
        enum = prop.get("enum")
        if (
            not isinstance(labels, Mapping)
            or not isinstance(enum, list)
            or not all(_both(labels.get(str(v))) for v in enum)
        ):
            problems.append(
                _problem(
                    [*at, "options"], "a label in sv and en for every enum value", "form_format"
                )
            )
    return problems


def pattern_problem(pattern: object) -> str | None:
    """Why `pattern` is not simple enough, or None: anchored with ^ and $, at most
    MAX_PATTERN long, compiles, no groups, backreferences or lookarounds, and at most
    MAX_QUANTIFIERS quantifiers (each on a single character or class)."""
    if not isinstance(pattern, str) or not 2 <= len(pattern) <= MAX_PATTERN:
        return f"a pattern of at most {MAX_PATTERN} characters"
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return "the pattern must start with ^ and end with $"
    try:
        re.compile(pattern)
    except re.error:
        return "not a valid regular expression"
    quantifiers, index, in_class = 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 < len(pattern) and pattern[index + 1].isdigit():
                return "no backreferences"
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A "]" right after "[" or "[^" is a literal, not the end of the class.
            if pattern[index + 1 : index + 2] == "^":
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char in "()":
            return "no groups: keep patterns to characters, classes and quantifiers"
        elif char in "*+?{":
            quantifiers += 1
            if char == "{":
                index = pattern.find("}", index)
                if index < 0:
                    return "not a valid regular expression"
        index += 1
    if quantifiers > MAX_QUANTIFIERS:
        return f"at most {MAX_QUANTIFIERS} quantifiers (*, +, ?, {{m,n}})"
    return None


def _loader_problems(definitions: FormDefinitions, document: Mapping[str, Any]) -> list[Problem]:
    """What the loader of forms/ would say: JSON Schema validity, its own checks, and that
    the form composes with every category. The checks above make these pass; this keeps a
    stored form from ever being one the loader would refuse."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from .definitions import compose_extension

    try:
        Draft202012Validator.check_schema(document)
        _check_document("extension", document)
        for category in definitions.categories:
            compose_extension(definitions, category, ("extension", document))
    except SchemaError as exc:
        return [_problem([], f"not a valid JSON Schema: {exc.message[:200]}", "form_format")]
    except FormDefinitionError as exc:
        return [_problem([], str(exc)[:300], "form_format")]
    return []


def _one_of(value: object, names: Collection[str]) -> bool:
    """`value in names` for any JSON value: a list or object is in no set of names (and
    would not even be hashable)."""
    return isinstance(value, str) and value in names


def _small_int(value: Any, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


def _short_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _both(text: object) -> bool:
    return isinstance(text, Mapping) and all(
        isinstance(text.get(lang), str) and text[lang].strip() and len(text[lang]) <= MAX_TEXT
        for lang in ("sv", "en")
    )
