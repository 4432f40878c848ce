"""The form definitions and how they compose into one order form.

A definition is a JSON Schema (draft 2020-12) object schema with UI hints in `x-ui` (see
forms/README.md). One order form is base + category + the provider's extension, each a
fieldset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from chalicelib.domain.errors import NotFound

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_FIELDSET = "base"
EXTENSION_FIELDSET = "extension"
# Posted by the web form itself, not answers: ignored rather than reported as unknown. The
# takeover question (domain/takeover.py) and the access chosen by address
# (web/address_choice.py) are the form's own too.
# The review step's own fields (step, accept_terms, early_start: web/review.py) are reserved
# too: the terms are accepted on the review page, where they are shown, not in the form.
# So is the campaign code the customer may type (web/campaign_code.py).
RESERVED_FIELDS = frozenset(
    {"csrf_token", "submission_id", "lang", "forced_takeover", "choice"}
    | {"step", "accept_terms", "early_start", "campaign_code"}
)
# Base-form answers that are not part of the stored Customer.
BASE_NOT_CUSTOMER = frozenset({"requested_date"})

ValueType = Literal["string", "boolean", "integer"]


class FormDefinitionError(ValueError):
    """A form definition is broken: a deployment problem, never the visitor's."""


@dataclass(frozen=True, eq=False)
class FormDefinitions:
    """Every definition document, as loaded by adapters/form_files.py.

    Compared by identity so a loaded set can key caches.
    """

    base: Mapping[str, Any]
    categories: Mapping[str, Mapping[str, Any]]
    extensions: Mapping[str, Mapping[str, Any]]


class Option(NamedTuple):
    value: str
    label_sv: str
    label_en: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    fieldset: str
    widget: str
    value_type: ValueType
    required: bool
    label_sv: str
    label_en: str
    order: int = 0
    help_sv: str | None = None
    help_en: str | None = None
    autocomplete: str | None = None
    inputmode: str | None = None
    options: tuple[Option, ...] = ()
    default: str | int | bool | None = None
    # HTML attribute hints; the server validates regardless.
    pattern: str | None = None
    maxlength: int | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Fieldset:
    id: str  # "base", the category ("internet" | "telephony" | "tv") or "extension"
    legend_sv: str
    legend_en: str
    fields: tuple[FieldSpec, ...]
    schema: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ComposedForm:
    category: str
    extension_form_id: str | None
    fieldsets: tuple[Fieldset, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for fs in self.fieldsets for f in fs.fields)

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for fs in self.fieldsets for f in fs.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


def compose_form(
    definitions: FormDefinitions, category: str, extension_form_id: str | None
) -> ComposedForm:
    """Base + category + extension, in that order, each a fieldset."""
    extension = None
    if extension_form_id:
        schema = definitions.extensions.get(extension_form_id)
        if schema is None:
            raise NotFound(
                f"the offer names extension form {extension_form_id!r}, but "
                f"forms/providers/{extension_form_id}.json is not defined"
            )
        extension = (extension_form_id, schema)
    return compose_extension(definitions, category, extension)


def compose_extension(
    definitions: FormDefinitions,
    category: str,
    extension: tuple[str, Mapping[str, Any]] | None,
) -> ComposedForm:
    """Base + category + the extension (its id and definition) given, not looked up: a
    provider's form stored through the API (domain/provider_forms.py) is not in forms/."""
    category = str(category)
    category_schema = definitions.categories.get(category)
    if category_schema is None:
        raise NotFound(f"no form is defined for category {category!r}")
    parts: list[tuple[str, Mapping[str, Any]]] = [
        (BASE_FIELDSET, definitions.base),
        (category, category_schema),
    ]
    if extension is not None:
        parts.append((EXTENSION_FIELDSET, extension[1]))
    fieldsets = tuple(_fieldset(fieldset_id, schema) for fieldset_id, schema in parts)
    seen: set[str] = set()
    for fieldset in fieldsets:
        for spec in fieldset.fields:
            if spec.name in seen or spec.name in RESERVED_FIELDS:
                raise FormDefinitionError(
                    f"field {spec.name!r} of fieldset {fieldset.id!r} is defined twice or reserved"
                )
            seen.add(spec.name)
    return ComposedForm(
        category=category,
        extension_form_id=extension[0] if extension is not None else None,
        fieldsets=fieldsets,
    )


def _fieldset(fieldset_id: str, schema: Mapping[str, Any]) -> Fieldset:
    ui = schema.get("x-ui", {})
    legend = ui.get("legend", {})
    required = set(schema.get("required", ()))
    specs = [
        _field_spec(fieldset_id, name, prop, name in required)
        for name, prop in schema.get("properties", {}).items()
    ]
    specs.sort(key=lambda s: s.order)
    return Fieldset(
        id=fieldset_id,
        legend_sv=legend.get("sv", ""),
        legend_en=legend.get("en", ""),
        fields=tuple(specs),
        schema=schema,
    )


def _field_spec(fieldset_id: str, name: str, prop: Mapping[str, Any], required: bool) -> FieldSpec:
    ui = prop.get("x-ui", {})
    label = ui.get("label", {})
    help_text = ui.get("help") or {}
    option_labels = ui.get("options", {})
    options = tuple(
        Option(str(v), *(option_labels.get(str(v), {}).get(lang, str(v)) for lang in ("sv", "en")))
        for v in prop.get("enum", ())
    )
    return FieldSpec(
        name=name,
        fieldset=fieldset_id,
        widget=ui.get("widget", "text"),
        value_type=prop.get("type", "string"),
        required=required,
        label_sv=label.get("sv", name),
        label_en=label.get("en", name),
        order=int(ui.get("order", 0)),
        help_sv=help_text.get("sv"),
        help_en=help_text.get("en"),
        autocomplete=ui.get("autocomplete"),
        inputmode=ui.get("inputmode"),
        options=options,
        default=prop.get("default"),
        pattern=ui.get("pattern"),
        maxlength=prop.get("maxLength"),
        min=prop.get("minimum"),
        max=prop.get("maximum"),
    )
