"""The checks a set of form definitions must pass when it is loaded."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.models import ID_PATTERN, Category, Customer

from .definitions import (
    BASE_NOT_CUSTOMER,
    RESERVED_FIELDS,
    SCHEMA_DIALECT,
    FormDefinitionError,
    FormDefinitions,
    compose_form,
)
from .formats import FORMAT_NAMES

_WIDGETS_BY_TYPE: Mapping[str, frozenset[str]] = {
    "string": frozenset({"text", "email", "tel", "date", "select", "radio"}),
    "boolean": frozenset({"checkbox"}),
    "integer": frozenset({"number", "select", "radio"}),
}
_INPUTMODES = frozenset({"numeric", "tel", "email", "text", "decimal", "url", "search", "none"})
_NORMALIZERS = frozenset({"uppercase"})


def check_form_definitions(definitions: FormDefinitions) -> None:
    """Everything the validator and the templates rely on; raises FormDefinitionError.

    JSON Schema validity itself is checked by the loader (Draft202012Validator.check_schema).
    """
    documents = {"base": definitions.base}
    documents.update({c: s for c, s in definitions.categories.items()})
    documents.update({f"providers/{e}": s for e, s in definitions.extensions.items()})
    for name, schema in documents.items():
        _check_document(name, schema)
    missing = {c.value for c in Category} - set(definitions.categories)
    if missing:
        raise FormDefinitionError(f"no form for categories {sorted(missing)}")
    for extension_id in definitions.extensions:
        if not re.fullmatch(ID_PATTERN, extension_id):
            raise FormDefinitionError(f"extension form id {extension_id!r} is not a valid id")
    base_fields = set(definitions.base["properties"])
    customer_fields = set(Customer.model_fields)
    if base_fields - BASE_NOT_CUSTOMER != customer_fields:
        raise FormDefinitionError(
            "base form fields must be the Customer fields plus requested_date"
        )
    for category in definitions.categories:
        compose_form(definitions, category, None)
        for extension_id in definitions.extensions:
            compose_form(definitions, category, extension_id)


def _check_document(name: str, schema: Mapping[str, Any]) -> None:
    def fail(problem: str) -> FormDefinitionError:
        return FormDefinitionError(f"forms/{name}.json: {problem}")

    if schema.get("$schema") != SCHEMA_DIALECT:
        raise fail(f"$schema must be {SCHEMA_DIALECT}")
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        raise fail("must be an object schema with additionalProperties: false")
    if not _has_both_languages(schema.get("x-ui", {}).get("legend")):
        raise fail("x-ui.legend needs sv and en")
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        raise fail("needs properties")
    if not set(schema.get("required", ())) <= set(properties):
        raise fail("required names a field that is not a property")
    for field_name, prop in properties.items():
        _check_property(fail, field_name, prop)


def _check_property(
    fail: Callable[[str], FormDefinitionError], name: str, prop: Mapping[str, Any]
) -> None:
    if name in RESERVED_FIELDS or not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise fail(f"{name}: field names are lowercase identifiers and not reserved")
    value_type = str(prop.get("type"))
    if value_type not in _WIDGETS_BY_TYPE:
        raise fail(f"{name}: type must be one of {sorted(_WIDGETS_BY_TYPE)}")
    ui = prop.get("x-ui")
    if not isinstance(ui, Mapping):
        raise fail(f"{name}: needs x-ui")
    if not _has_both_languages(ui.get("label")):
        raise fail(f"{name}: x-ui.label needs sv and en")
    if "help" in ui and not _has_both_languages(ui["help"]):
        raise fail(f"{name}: x-ui.help needs sv and en")
    if not isinstance(ui.get("order"), int):
        raise fail(f"{name}: x-ui.order must be an integer")
    if ui.get("widget") not in _WIDGETS_BY_TYPE[value_type]:
        raise fail(f"{name}: widget must be one of {sorted(_WIDGETS_BY_TYPE[value_type])}")
    if "inputmode" in ui and ui["inputmode"] not in _INPUTMODES:
        raise fail(f"{name}: unknown inputmode")
    if "format" in prop and prop["format"] not in FORMAT_NAMES:
        raise fail(f"{name}: unknown format {prop['format']!r}")
    if "x-normalize" in prop and prop["x-normalize"] not in _NORMALIZERS:
        raise fail(f"{name}: unknown x-normalize")
    for message in ui.get("errors", {}).values():
        if not _has_both_languages(message):
            raise fail(f"{name}: x-ui.errors messages need sv and en")
    if ui["widget"] in {"select", "radio"}:
        labels = ui.get("options", {})
        if "enum" not in prop or any(
            not _has_both_languages(labels.get(str(v))) for v in prop["enum"]
        ):
            raise fail(f"{name}: every enum value needs an x-ui.options label in sv and en")


def _has_both_languages(text: object) -> bool:
    return isinstance(text, Mapping) and all(
        isinstance(text.get(lang), str) and text[lang].strip() for lang in ("sv", "en")
    )
