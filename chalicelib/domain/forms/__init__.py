"""The order forms: definitions composed into one form, and submissions validated against them.

A definition is a JSON Schema (draft 2020-12) object schema with UI hints in `x-ui` (see
forms/README.md). One order form is base + category + the provider's extension, each a
fieldset. The same definitions drive the HTML and the server-side validation, so the two
cannot drift apart.

Validation never raises for anything a visitor can send: every problem becomes a per-field
message in Swedish and English (the gettext catalogs', domain/texts.py). Only broken
definitions raise (`FormDefinitionError`), and an offer naming a missing extension raises
`NotFound`.

- definitions.py: the definitions, the composed form and `compose_form`;
- checks.py: `check_form_definitions`, what a loaded set must satisfy;
- formats.py: the Swedish formats (`parse_personal_number`, `parse_email`, ...);
- messages.py: `FieldError` and the texts a visitor is shown;
- validation.py: `validate_submission`.
"""

from __future__ import annotations

from .checks import check_form_definitions
from .definitions import (
    BASE_FIELDSET,
    EXTENSION_FIELDSET,
    RESERVED_FIELDS,
    SCHEMA_DIALECT,
    ComposedForm,
    Fieldset,
    FieldSpec,
    FormDefinitionError,
    FormDefinitions,
    Option,
    ValueType,
    compose_extension,
    compose_form,
)
from .formats import (
    FormatProblem,
    parse_email,
    parse_personal_number,
    parse_postal_code,
    parse_requested_date,
    parse_swedish_phone,
)
from .messages import FieldError
from .validation import (
    FORM_ERROR_KEY,
    MAX_VALUE_LENGTH,
    FormAccepted,
    FormRejected,
    FormResult,
    validate_submission,
)

__all__ = [
    "BASE_FIELDSET",
    "EXTENSION_FIELDSET",
    "FORM_ERROR_KEY",
    "MAX_VALUE_LENGTH",
    "RESERVED_FIELDS",
    "SCHEMA_DIALECT",
    "ComposedForm",
    "FieldError",
    "FieldSpec",
    "Fieldset",
    "FormAccepted",
    "FormDefinitionError",
    "FormDefinitions",
    "FormRejected",
    "FormResult",
    "FormatProblem",
    "Option",
    "ValueType",
    "check_form_definitions",
    "compose_extension",
    "compose_form",
    "parse_email",
    "parse_personal_number",
    "parse_postal_code",
    "parse_requested_date",
    "parse_swedish_phone",
    "validate_submission",
]
