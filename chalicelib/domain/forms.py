"""The order forms: definitions composed into one form, and submissions validated against them.

A definition is a JSON Schema (draft 2020-12) object schema with UI hints in `x-ui` (see
forms/README.md). One order form is base + category + the provider's extension, each a
fieldset. The same definitions drive the HTML and the server-side validation, so the two
cannot drift apart.

Validation never raises for anything a visitor can send: every problem becomes a per-field
message in Swedish and English (the gettext catalogs', domain/texts.py). Only broken
definitions raise (`FormDefinitionError`), and an offer naming a missing extension raises
`NotFound`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import ValidationError as ModelValidationError

from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import ID_PATTERN, Category, Customer
from chalicelib.domain.requested_dates import is_within_bounds
from chalicelib.domain.texts import N_, in_both, translated

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError as SchemaError

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_FIELDSET = "base"
EXTENSION_FIELDSET = "extension"
# Key in FormRejected.errors for problems that belong to no single field.
FORM_ERROR_KEY = "_form"
# Posted by the web form itself, not answers: ignored rather than reported as unknown.
RESERVED_FIELDS = frozenset({"csrf_token", "submission_id", "lang"})
MAX_VALUE_LENGTH = 1000

# Base-form answers that are not part of the stored Customer.
_BASE_NOT_CUSTOMER = frozenset({"accept_terms", "requested_date"})

ValueType = Literal["string", "boolean", "integer"]
_WIDGETS_BY_TYPE: Mapping[str, frozenset[str]] = {
    "string": frozenset({"text", "email", "tel", "date", "select", "radio"}),
    "boolean": frozenset({"checkbox"}),
    "integer": frozenset({"number", "select", "radio"}),
}
_INPUTMODES = frozenset({"numeric", "tel", "email", "text", "decimal", "url", "search", "none"})
_FORMATS = frozenset({"personnummer", "swedish-phone", "postal-code", "requested-date", "email"})
_NORMALIZERS = frozenset({"uppercase"})
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", ""})
# Control characters, lone surrogates, private use and unassigned code points: none belongs in
# a one-line answer, and a lone surrogate cannot even be encoded into the re-rendered page.
_DISALLOWED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})


class FormDefinitionError(ValueError):
    """A form definition is broken: a deployment problem, never the visitor's."""


# --- the composed form -----------------------------------------------------------------


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
    category = str(category)
    category_schema = definitions.categories.get(category)
    if category_schema is None:
        raise NotFound(f"no form is defined for category {category!r}")
    parts: list[tuple[str, Mapping[str, Any]]] = [
        (BASE_FIELDSET, definitions.base),
        (category, category_schema),
    ]
    if extension_form_id:
        extension = definitions.extensions.get(extension_form_id)
        if extension is None:
            raise NotFound(
                f"the offer names extension form {extension_form_id!r}, but "
                f"forms/providers/{extension_form_id}.json is not defined"
            )
        parts.append((EXTENSION_FIELDSET, extension))
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
        category=category, extension_form_id=extension_form_id or None, fieldsets=fieldsets
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


# --- checking definitions at load --------------------------------------------------------


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
    if base_fields - _BASE_NOT_CUSTOMER != customer_fields:
        raise FormDefinitionError(
            "base form fields must be the Customer fields plus accept_terms and requested_date"
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
    if "format" in prop and prop["format"] not in _FORMATS:
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


# --- the Swedish checks ------------------------------------------------------------------


class FormatProblem(ValueError):
    """A value does not have its field's format. `kind` picks the message."""

    def __init__(self, kind: Literal["invalid", "out_of_range"] = "invalid") -> None:
        super().__init__(kind)
        self.kind = kind


_PERSONAL_NUMBER = re.compile(r"([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+])([0-9]{4})")
# Samordningsnummer: the day of birth plus 60 (Skatteverket, SKV 707).
_COORDINATION_DAY_OFFSET = 60
_OLDEST_AGE_YEARS = 150


def parse_personal_number(text: str, today: date) -> str:
    """A personnummer or samordningsnummer, 10 or 12 digits, with or without `-`/`+`, as the
    12 digits we store. The date must exist and not be in the future; the checksum must hold.

    For 10 digits the century follows Folkbokföringslagen §18: `-` means the person turns at
    most 99 this year, `+` that they turn 100 or more; both relative to `today`, not the
    server clock (python-stdnum's own century guess uses the server clock and rejects
    samordningsnummer, so only its cleaning and Luhn check are used here).
    """
    from stdnum import luhn
    from stdnum.exceptions import ValidationError as NumberError
    from stdnum.se import personnummer

    try:
        compact = personnummer.compact(text)
        match = _PERSONAL_NUMBER.fullmatch(compact)
        if match is None:
            raise FormatProblem()
        century, yy, mm, dd, separator, serial = match.groups()
        luhn.validate(yy + mm + dd + serial)
    except NumberError as exc:
        raise FormatProblem() from exc
    if century is not None:
        year = int(century + yy)
    else:
        # The latest year ending in `yy` that is not after this year...
        year = today.year - (today.year - int(yy)) % 100
        if separator == "+":  # ...or a century earlier for those who turn 100 or more.
            year -= 100
    day = int(dd)
    if day > _COORDINATION_DAY_OFFSET:
        day -= _COORDINATION_DAY_OFFSET
    try:
        born = date(year, int(mm), day)
    except ValueError as exc:
        raise FormatProblem() from exc
    if born > today or today.year - year > _OLDEST_AGE_YEARS:
        raise FormatProblem()
    return f"{year:04d}{mm}{dd}{serial}"


def parse_swedish_phone(text: str) -> str:
    """A valid Swedish phone number (070-123 45 67, +46 70 123 45 67, 0046...) in E.164."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "SE")
        valid = phonenumbers.is_valid_number(number) and number.country_code == 46
    except Exception as exc:  # a library fault on odd input is still just an invalid number
        raise FormatProblem() from exc
    if not valid:
        raise FormatProblem()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_postal_code(text: str) -> str:
    """A Swedish postal code, "123 45" or "12345", as 5 digits."""
    from stdnum.exceptions import ValidationError as NumberError
    from stdnum.se import postnummer

    try:
        code = postnummer.validate(text)
    except NumberError as exc:
        raise FormatProblem() from exc
    if not re.fullmatch(r"[0-9]{5}", code):
        raise FormatProblem()
    return code


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def parse_email(text: str) -> str:
    """Deliberately loose (the provider confirms by mailing it): one @, a dotted domain."""
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise FormatProblem()
    return text


def parse_requested_date(text: str, today: date) -> date:
    """An ISO date (what <input type=date> sends) from today up to one year ahead."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise FormatProblem()
    try:
        requested = date.fromisoformat(text)
    except ValueError as exc:
        raise FormatProblem() from exc
    if not is_within_bounds(requested, today):
        raise FormatProblem("out_of_range")
    return requested


def _parsers(today: date) -> Mapping[str, Callable[[str], object]]:
    return {
        "personnummer": lambda text: parse_personal_number(text, today),
        "swedish-phone": parse_swedish_phone,
        "postal-code": parse_postal_code,
        "requested-date": lambda text: parse_requested_date(text, today),
        "email": parse_email,
    }


def _format_checker(parsers: Mapping[str, Callable[[str], object]]) -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, parse in parsers.items():

        def check(instance: object, parse: Callable[[str], object] = parse) -> bool:
            if isinstance(instance, str):
                parse(instance)
            return True

        checker.checks(name, raises=FormatProblem)(check)
    return checker


# --- messages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """One problem with an answer, in Swedish and English. The domain's own messages come
    from the gettext catalogs (`of`, `labelled`); a definition's `x-ui.errors` override
    brings its own two texts."""

    message_sv: str
    message_en: str

    @classmethod
    def of(cls, message: str, **values: object) -> FieldError:
        """A message id (marked with N_) in both languages."""
        swedish, english = in_both(message, **values)
        return cls(swedish, english)

    @classmethod
    def labelled(cls, message: str, spec: FieldSpec) -> FieldError:
        """A message id naming the field as `%(label)s`, each language with its own label."""
        return cls(
            translated(message, "sv", label=spec.label_sv),
            translated(message, "en", label=spec.label_en),
        )


_FORMAT_MESSAGES: Mapping[tuple[str, str], str] = {
    ("personnummer", "invalid"): N_(
        "Enter a valid Swedish personal identity or coordination number, 12 digits: YYYYMMDD-NNNN"
    ),
    ("swedish-phone", "invalid"): N_(
        "Enter a valid Swedish phone number, for example 070-123 45 67"
    ),
    ("postal-code", "invalid"): N_("Enter a postal code of five digits, for example 123 45"),
    ("requested-date", "invalid"): N_("Enter the date as YYYY-MM-DD, for example 2025-09-01"),
    ("requested-date", "out_of_range"): N_(
        "The date must be today or later and at most one year ahead"
    ),
    ("email", "invalid"): N_("Enter a valid email address, for example name@example.com"),
}
_REPEATED = N_("The field was sent more than once. Reload the page and try again.")
_TOO_LONG = N_("The value is too long")
_BAD_CHARACTERS = N_("The field contains characters that are not allowed")
_NOT_INTEGER = N_("Enter a whole number")
_BAD_CHECKBOX = N_("Invalid value for the checkbox")
_UNKNOWN_FIELDS = N_("The form contained unknown fields. Reload the page and try again.")
_CHECK_VALUE = N_("Check the value")
_CHOOSE_ONE = N_("%(label)s: choose one")
_REQUIRED = N_("%(label)s is required")
_TICK_THE_BOX = N_("You must tick the box")
_AT_MOST_CHARACTERS = N_("At most %(count)s characters")
_AT_LEAST = N_("The value must be at least %(minimum)s")
_AT_MOST = N_("The value must be at most %(maximum)s")


def _schema_message(
    spec: FieldSpec | None, ui: Mapping[str, Any], error: SchemaError, keyword: str
) -> FieldError:
    if spec is None:
        return FieldError.of(_CHECK_VALUE)
    override = ui.get("errors", {}).get(keyword)
    if override:
        return FieldError(override["sv"], override["en"])
    value = error.validator_value
    match keyword:
        case "required" | "enum" if spec.options:
            return FieldError.labelled(_CHOOSE_ONE, spec)
        case "required" | "minLength":
            return FieldError.labelled(_REQUIRED, spec)
        case "format":
            kind = getattr(error.cause, "kind", "invalid")
            format_name = str(value)
            message = _FORMAT_MESSAGES.get((format_name, kind)) or _FORMAT_MESSAGES.get(
                (format_name, "invalid"), _CHECK_VALUE
            )
            return FieldError.of(message)
        case "const" if spec.value_type == "boolean":
            return FieldError.of(_TICK_THE_BOX)
        case "maxLength":
            return FieldError.of(_AT_MOST_CHARACTERS, count=value)
        case "minimum":
            return FieldError.of(_AT_LEAST, minimum=value)
        case "maximum":
            return FieldError.of(_AT_MOST, maximum=value)
        case "type" if spec.value_type == "integer":
            return FieldError.of(_NOT_INTEGER)
    return FieldError.of(_CHECK_VALUE)


# --- validation --------------------------------------------------------------------------


@dataclass(frozen=True)
class FormAccepted:
    customer: Customer
    details: dict[str, Any]  # the category fieldset's answers
    extra: dict[str, Any]  # the extension's answers ({} without an extension)
    requested_date: date | None  # None: as soon as possible


@dataclass(frozen=True)
class FormRejected:
    errors: dict[str, FieldError]  # field name (or FORM_ERROR_KEY) -> message
    # What was submitted, to re-render the form: known fields only, cleaned of characters
    # that cannot be shown, at most MAX_VALUE_LENGTH long; checked checkboxes are "on".
    values: dict[str, str]


FormResult = FormAccepted | FormRejected


def validate_submission(
    form: ComposedForm,
    raw: Mapping[str, Sequence[str]],
    today: date,
    *,
    ignore: Iterable[str] = RESERVED_FIELDS,
) -> FormResult:
    """Check a posted form (name -> every value sent) against the composed definitions.

    `today` is the Swedish date (clock.today_in_sweden). Never raises for any input.
    """
    ignored = frozenset(ignore)
    specs = {spec.name: spec for spec in form.fields}
    errors: dict[str, FieldError] = {}
    if any(name not in specs and name not in ignored for name in raw):
        errors[FORM_ERROR_KEY] = FieldError.of(_UNKNOWN_FIELDS)

    values: dict[str, str] = {}
    typed: dict[str, object] = {}
    for name, spec in specs.items():
        sent = raw.get(name, ())
        # A bare string is one value, not a sequence of one-character values.
        submitted = [sent] if isinstance(sent, str) else list(sent)
        if submitted:
            shown = _displayable(submitted[0])
            if spec.value_type == "boolean":
                if shown.strip().lower() in _TRUE:
                    values[name] = "on"
            else:
                values[name] = shown
        problem, value = _convert(spec, form, submitted)
        if problem is not None:
            errors[name] = problem
        elif value is not None:
            typed[name] = value

    parsers = _parsers(today)
    checker = _format_checker(parsers)
    answers: dict[str, dict[str, object]] = {}
    for fieldset in form.fieldsets:
        instance = {f.name: typed[f.name] for f in fieldset.fields if f.name in typed}
        for name, message in _schema_errors(fieldset, instance, specs, checker):
            errors.setdefault(name, message)
        answers[fieldset.id] = instance
    if errors:
        # In form order, so the error summary reads top to bottom like the form.
        order = [FORM_ERROR_KEY, *specs]
        ranked = sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else 0)
        return FormRejected(errors=dict(ranked), values=values)
    return _accept(form, answers, parsers, values)


def _displayable(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(
        c for c in value[:MAX_VALUE_LENGTH] if unicodedata.category(c) not in _DISALLOWED_CATEGORIES
    )


def _convert(
    spec: FieldSpec, form: ComposedForm, submitted: list[str]
) -> tuple[FieldError | None, object]:
    """(problem, typed value); a None value means "not answered"."""
    if len(submitted) > 1:
        return FieldError.of(_REPEATED), None
    text = submitted[0] if submitted else None
    if text is not None:
        if not isinstance(text, str):
            return FieldError.of(_BAD_CHARACTERS), None
        if len(text) > MAX_VALUE_LENGTH:
            return FieldError.of(_TOO_LONG), None
        text = text.strip()
        if any(unicodedata.category(c) in _DISALLOWED_CATEGORIES for c in text):
            return FieldError.of(_BAD_CHARACTERS), None
        text = unicodedata.normalize("NFC", text)
    if spec.value_type == "boolean":
        # Browsers send a checkbox only when it is ticked.
        if text is None or text.lower() in _FALSE:
            return None, False
        if text.lower() in _TRUE:
            return None, True
        return FieldError.of(_BAD_CHECKBOX), None
    if not text:
        return None, None if spec.required else spec.default
    if spec.value_type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
            return FieldError.of(_NOT_INTEGER), None
        return None, int(text)
    if _property(form, spec).get("x-normalize") == "uppercase":
        text = text.upper()
    return None, text


def _property(form: ComposedForm, spec: FieldSpec) -> Mapping[str, Any]:
    for fieldset in form.fieldsets:
        if fieldset.id == spec.fieldset:
            prop: Mapping[str, Any] = fieldset.schema["properties"][spec.name]
            return prop
    return {}


def _schema_errors(
    fieldset: Fieldset,
    instance: Mapping[str, object],
    specs: Mapping[str, FieldSpec],
    checker: FormatChecker,
) -> list[tuple[str, FieldError]]:
    from jsonschema import Draft202012Validator

    found: list[tuple[str, FieldError]] = []
    validator = Draft202012Validator(fieldset.schema, format_checker=checker)
    for error in validator.iter_errors(instance):
        if error.validator == "required" and not error.path:
            missing = [n for n in error.validator_value if n not in instance]
            for name in missing:
                found.append((name, _message(fieldset, specs.get(name), error, "required")))
        elif error.path and isinstance(error.path[0], str):
            name = error.path[0]
            found.append((name, _message(fieldset, specs.get(name), error, str(error.validator))))
        else:
            found.append((FORM_ERROR_KEY, FieldError.of(_CHECK_VALUE)))
    return found


def _message(
    fieldset: Fieldset, spec: FieldSpec | None, error: SchemaError, keyword: str
) -> FieldError:
    prop = fieldset.schema["properties"].get(spec.name, {}) if spec is not None else {}
    return _schema_message(spec, prop.get("x-ui", {}), error, keyword)


def _accept(
    form: ComposedForm,
    answers: Mapping[str, Mapping[str, object]],
    parsers: Mapping[str, Callable[[str], object]],
    values: dict[str, str],
) -> FormResult:
    normalized: dict[str, dict[str, Any]] = {}
    for fieldset in form.fieldsets:
        result: dict[str, Any] = {}
        for spec in fieldset.fields:
            value = answers[fieldset.id].get(spec.name)
            format_name = fieldset.schema["properties"][spec.name].get("format")
            if isinstance(value, str) and format_name in parsers:
                value = parsers[format_name](value)
            result[spec.name] = value
        normalized[fieldset.id] = result

    base = normalized[BASE_FIELDSET]
    requested = base.get("requested_date")
    try:
        customer = Customer(**{k: v for k, v in base.items() if k not in _BASE_NOT_CUSTOMER})
    except ModelValidationError as exc:
        # Only reachable if the definitions allow what the model does not; still no 500.
        errors = {
            str(e["loc"][0]) if e["loc"] else FORM_ERROR_KEY: FieldError.of(_CHECK_VALUE)
            for e in exc.errors()
        }
        return FormRejected(errors=errors, values=values)
    return FormAccepted(
        customer=customer,
        details=normalized[form.category],
        extra=normalized.get(EXTENSION_FIELDSET, {}),
        requested_date=requested if isinstance(requested, date) else None,
    )
