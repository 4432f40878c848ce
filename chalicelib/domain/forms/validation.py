"""A submission checked against a composed form.

Validation never raises for anything a visitor can send: every problem becomes a per-field
message in Swedish and English (messages.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as ModelValidationError

from chalicelib.domain.models import Customer

from .definitions import (
    BASE_FIELDSET,
    BASE_NOT_CUSTOMER,
    EXTENSION_FIELDSET,
    RESERVED_FIELDS,
    ComposedForm,
    Fieldset,
    FieldSpec,
)
from .formats import FormatProblem, format_parsers
from .messages import (
    BAD_CHARACTERS,
    BAD_CHECKBOX,
    CHECK_VALUE,
    NOT_INTEGER,
    REPEATED,
    TOO_LONG,
    UNKNOWN_FIELDS,
    UNREADABLE,
    FieldError,
    schema_message,
)

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError as SchemaError

# Key in FormRejected.errors for problems that belong to no single field.
FORM_ERROR_KEY = "_form"
MAX_VALUE_LENGTH = 1000
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", ""})
# Control characters (NUL, tab, newline, ESC...), format characters (bidirectional overrides
# and isolates, zero widths, the byte order mark: they make a name read as another wherever
# it is shown), lone surrogates, private use and unassigned code points: none belongs in a
# one-line answer, and a lone surrogate cannot even be encoded into the re-rendered page.
# Every answer is one line: the forms have no multi-line widget (checks.py).
_DISALLOWED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# What the web makes of bytes that are not UTF-8 (web/visit.py decodes with errors="replace").
_REPLACEMENT_CHARACTER = "\ufffd"


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
        errors[FORM_ERROR_KEY] = FieldError.of(UNKNOWN_FIELDS)

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

    bound = format_parsers(today)
    checker = _format_checker(bound)
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
    return _accept(form, answers, bound, values)


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
        return FieldError.of(REPEATED), None
    text = submitted[0] if submitted else None
    if text is not None:
        if not isinstance(text, str):
            return FieldError.of(BAD_CHARACTERS), None
        if len(text) > MAX_VALUE_LENGTH:
            return FieldError.of(TOO_LONG), None
        text = text.strip()
        if _REPLACEMENT_CHARACTER in text:
            return FieldError.of(UNREADABLE), None
        if any(unicodedata.category(c) in _DISALLOWED_CATEGORIES for c in text):
            return FieldError.of(BAD_CHARACTERS), None
        text = unicodedata.normalize("NFC", text)
    if spec.value_type == "boolean":
        # Browsers send a checkbox only when it is ticked.
        if text is None or text.lower() in _FALSE:
            return None, False
        if text.lower() in _TRUE:
            return None, True
        return FieldError.of(BAD_CHECKBOX), None
    if not text:
        return None, None if spec.required else spec.default
    if spec.value_type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
            return FieldError.of(NOT_INTEGER), None
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
            found.append((FORM_ERROR_KEY, FieldError.of(CHECK_VALUE)))
    return found


def _message(
    fieldset: Fieldset, spec: FieldSpec | None, error: SchemaError, keyword: str
) -> FieldError:
    prop = fieldset.schema["properties"].get(spec.name, {}) if spec is not None else {}
    return schema_message(spec, prop.get("x-ui", {}), error, keyword)


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
        customer = Customer(**{k: v for k, v in base.items() if k not in BASE_NOT_CUSTOMER})
    except ModelValidationError as exc:
        # Only reachable if the definitions allow what the model does not; still no 500.
        errors = {
            str(e["loc"][0]) if e["loc"] else FORM_ERROR_KEY: FieldError.of(CHECK_VALUE)
            for e in exc.errors()
        }
        return FormRejected(errors=errors, values=values)
    return FormAccepted(
        customer=customer,
        details=normalized[form.category],
        extra=normalized.get(EXTENSION_FIELDSET, {}),
        requested_date=requested if isinstance(requested, date) else None,
    )


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
