"""What the order form's template shows of each field: the composed form's specs, the
visitor's answers and the errors, in one language. Data only; the HTML is the widget
macros' (templates/macros.html)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..domain.forms import FORM_ERROR_KEY, ComposedForm, FieldError, Fieldset, FieldSpec
from ..domain.requested_dates import requested_date_bounds
from .i18n import Language, pick

Widget = Literal["checkbox", "radio", "select", "input"]
_INPUT_TYPES = {"email": "email", "tel": "tel", "date": "date", "number": "number"}


@dataclass(frozen=True)
class Choice:
    """One option of a radio group or a select."""

    id: str
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class FieldView:
    """One field as its widget macro writes it; every attribute worked out beforehand (the
    template reads each several times)."""

    id: str
    name: str
    widget: Widget
    label: str
    required: bool
    help: str | None
    error: str | None
    value: str = ""
    checked: bool = False
    choices: tuple[Choice, ...] = ()
    input_type: str = "text"
    autocomplete: str | None = None
    inputmode: str | None = None
    maxlength: int | None = None
    min: int | str | None = None
    max: int | str | None = None
    spellcheck: str | None = None
    help_id: str = field(init=False)
    error_id: str = field(init=False)
    # The ids of the help text and the error, as aria-describedby names them; None: neither.
    described_by: str | None = field(init=False)
    classes: str = field(init=False)

    def __post_init__(self) -> None:
        help_id, error_id = f"{self.id}-help", f"{self.id}-error"
        shown = [i for i, there in ((help_id, self.help), (error_id, self.error)) if there]
        object.__setattr__(self, "help_id", help_id)
        object.__setattr__(self, "error_id", error_id)
        object.__setattr__(self, "described_by", " ".join(shown) or None)
        object.__setattr__(self, "classes", "field has-error" if self.error else "field")


@dataclass(frozen=True)
class FieldsetView:
    id: str
    legend: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class ErrorSummaryItem:
    message: str
    field_id: str | None = None  # None: a problem of the whole form, not of one field
    label: str | None = None


@dataclass(frozen=True)
class FormAnswers:
    """The visitor's side of one rendering: answers, errors, whether it is the first."""

    today: date
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, FieldError] = field(default_factory=dict)
    first_rendering: bool = True


def field_id(name: str) -> str:
    return f"f-{name}"


def error_text(language: Language, error: FieldError) -> str:
    return pick(language, error.message_sv, error.message_en)


def _current_value(answers: FormAnswers, spec: FieldSpec) -> str:
    if spec.name in answers.values:
        return answers.values[spec.name]
    if answers.first_rendering and spec.default is not None and spec.value_type != "boolean":
        return str(spec.default)
    return ""


def _is_checked(answers: FormAnswers, spec: FieldSpec) -> bool:
    if answers.first_rendering and spec.name not in answers.values:
        return spec.default is True
    return answers.values.get(spec.name) == "on"


def _choices(language: Language, spec: FieldSpec, value: str, fid: str) -> tuple[Choice, ...]:
    return tuple(
        Choice(
            id=fid if index == 0 else f"{fid}-{index + 1}",
            value=option.value,
            label=pick(language, option.label_sv, option.label_en),
            selected=option.value == value,
        )
        for index, option in enumerate(spec.options)
    )


def field_view(language: Language, spec: FieldSpec, answers: FormAnswers) -> FieldView:
    fid = field_id(spec.name)
    error = answers.errors.get(spec.name)
    label = pick(language, spec.label_sv, spec.label_en)
    help_text = (spec.help_en if language == "en" else spec.help_sv) or None
    message = error_text(language, error) if error else None
    if spec.widget == "checkbox":
        return FieldView(
            fid, spec.name, "checkbox", label, spec.required, help_text, message,
            checked=_is_checked(answers, spec),
        )  # fmt: skip
    value = _current_value(answers, spec)
    if spec.widget in ("radio", "select"):
        return FieldView(
            fid, spec.name, "radio" if spec.widget == "radio" else "select", label,
            spec.required, help_text, message,
            value=value,
            choices=_choices(language, spec, value, fid),
            autocomplete=spec.autocomplete,
        )  # fmt: skip
    input_type = _INPUT_TYPES.get(spec.widget, "text")
    low: str | None = None
    high: str | None = None
    if input_type == "date":
        first, last = requested_date_bounds(answers.today)
        low, high = first.isoformat(), last.isoformat()
    return FieldView(
        fid, spec.name, "input", label, spec.required, help_text, message,
        value=value,
        input_type=input_type,
        autocomplete=spec.autocomplete,
        inputmode=spec.inputmode,
        maxlength=spec.maxlength if input_type != "date" else None,
        min=spec.min if spec.min is not None else low,
        max=spec.max if spec.max is not None else high,
        spellcheck="false" if input_type in {"email", "tel"} else None,
    )  # fmt: skip


def fieldset_view(language: Language, fieldset: Fieldset, answers: FormAnswers) -> FieldsetView:
    return FieldsetView(
        id=fieldset.id,
        legend=pick(language, fieldset.legend_sv, fieldset.legend_en),
        fields=tuple(field_view(language, spec, answers) for spec in fieldset.fields),
    )


def error_summary(
    language: Language, form: ComposedForm, errors: Mapping[str, FieldError]
) -> list[ErrorSummaryItem]:
    """The errors in form order, the form's own problem first; each links to its field."""
    items: list[ErrorSummaryItem] = []
    if FORM_ERROR_KEY in errors:
        items.append(ErrorSummaryItem(error_text(language, errors[FORM_ERROR_KEY])))
    for spec in form.fields:
        error = errors.get(spec.name)
        if error:
            items.append(
                ErrorSummaryItem(
                    message=error_text(language, error),
                    field_id=field_id(spec.name),
                    label=pick(language, spec.label_sv, spec.label_en),
                )
            )
    return items
