"""What a visitor is told about an answer, from the gettext catalogs (domain/texts.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.texts import N_, in_both, translated

from .definitions import FieldSpec

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError


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
    ("personnummer", "out_of_range"): N_(
        "The person ordering must be between 16 and 120 years old"
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
REPEATED = N_("The field was sent more than once. Reload the page and try again.")
TOO_LONG = N_("The value is too long")
BAD_CHARACTERS = N_("The field contains characters that are not allowed")
# The web reads what is not UTF-8 as U+FFFD, the replacement character: the visitor's
# browser or keyboard sent bytes that are no text.
UNREADABLE = N_("The field contains characters that could not be read. Please type it again.")
NOT_INTEGER = N_("Enter a whole number")
BAD_CHECKBOX = N_("Invalid value for the checkbox")
UNKNOWN_FIELDS = N_("The form contained unknown fields. Reload the page and try again.")
CHECK_VALUE = N_("Check the value")
_CHOOSE_ONE = N_("%(label)s: choose one")
_REQUIRED = N_("%(label)s is required")
_TICK_THE_BOX = N_("You must tick the box")
_AT_MOST_CHARACTERS = N_("At most %(count)s characters")
_AT_LEAST = N_("The value must be at least %(minimum)s")
_AT_MOST = N_("The value must be at most %(maximum)s")


def schema_message(
    spec: FieldSpec | None, ui: Mapping[str, Any], error: SchemaError, keyword: str
) -> FieldError:
    if spec is None:
        return FieldError.of(CHECK_VALUE)
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
                (format_name, "invalid"), CHECK_VALUE
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
            return FieldError.of(NOT_INTEGER)
    return FieldError.of(CHECK_VALUE)
