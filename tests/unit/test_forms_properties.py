"""Properties of form validation: no submission makes it raise, and what it accepts is sound."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn

from chalicelib.adapters.form_files import load_form_definitions
from chalicelib.domain.forms import (
    FORM_ERROR_KEY,
    MAX_VALUE_LENGTH,
    RESERVED_FIELDS,
    ComposedForm,
    FormAccepted,
    FormRejected,
    compose_form,
    validate_submission,
)
from chalicelib.domain.models import Customer
from chalicelib.domain.requested_dates import requested_date_bounds
from chalicelib.domain.texts import CATALOG_LANGUAGES, LOCALE_DIR
from tests.hypothesis_profiles import scaled

DEFINITIONS = load_form_definitions()


def catalog_texts() -> frozenset[str]:
    """Every translated text of the catalogs, as a message shows it when nothing is filled in."""
    texts: set[str] = set()
    for language in CATALOG_LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            texts.update(str(m.string) for m in read_po(po) if m.id and isinstance(m.string, str))
    return frozenset(texts)


CATALOG_TEXTS = catalog_texts()
FORMS = [
    compose_form(DEFINITIONS, category, extension)
    for category in ("internet", "telephony", "tv")
    for extension in (None, "demo-tl")
]
ALL_FIELDS = sorted({name for form in FORMS for name in form.field_names})
PROPERTIES = settings(
    max_examples=scaled(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

VALID_ANSWERS = {
    "first_name": "Anna",
    "last_name": "Svensson",
    # Born 1980-01-01: 16 to 120 years old on every one of `todays`
    "personal_number": "19800101-1231",
    "email": "anna@example.se",
    "phone": "070-123 45 67",
    "street_address": "Storgatan 1",
    "postal_code": "123 45",
    "city": "Umeå",
    "router": "rent",
    "directory_listing": "unlisted",
}

todays = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
# Every kind of character, including control characters and lone surrogates (which a
# surrogateescape-decoded body could contain), plus values that mean something to the form.
weird_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=40
)
meaningful = st.sampled_from(
    [
        "", "on", "off", "true", "1", "0", "-1", "5", "rent", "listed", "2025-06-15",
        "880320-0016", "880320+0016", "070-123 45 67", "+46 70 123 45 67", "123 45",
        "ABCD12", "  ", "\x00", "\ud800", "١٢٣", "x" * (MAX_VALUE_LENGTH + 1), "𝟘𝟙𝟚",
        "An\u202ena", "\u2066Anna\u2069", "An\u200bna", "An\ufffdna", "\ufeff", "a@b.se",
        "1990-01-01-1239", "anna@-x.se", "anna@x.s",
    ]
)  # fmt: skip
values = st.lists(st.one_of(weird_text, meaningful), min_size=0, max_size=3)
names = st.one_of(st.sampled_from([*ALL_FIELDS, *sorted(RESERVED_FIELDS)]), weird_text)


def assert_plain_text(customer: Customer) -> None:
    """No control or format character (bidi overrides, zero widths, NUL) and no replacement
    character (what undecodable input became) in anything stored."""
    for name, value in customer.model_dump().items():
        if isinstance(value, str):
            assert "\ufffd" not in value, name
            assert not any(unicodedata.category(c) in {"Cc", "Cf"} for c in value), name


def check_result_is_sound(form: ComposedForm, result: object, today: date) -> None:
    assert isinstance(result, FormAccepted | FormRejected)
    if isinstance(result, FormAccepted):
        Customer.model_validate(result.customer.model_dump())
        assert_plain_text(result.customer)
        assert len(result.customer.personal_number) == 12
        assert result.customer.phone.startswith("+46")
        if result.requested_date is not None:
            first, last = requested_date_bounds(today)
            assert first <= result.requested_date <= last
        category = form.fieldsets[1]
        assert set(result.details) == {f.name for f in category.fields}
    else:
        assert result.errors
        assert set(result.errors) <= {FORM_ERROR_KEY, *form.field_names}
        assert set(result.values) <= set(form.field_names)
        for value in result.values.values():
            assert len(value) <= MAX_VALUE_LENGTH
            value.encode("utf-8")  # re-rendering the page cannot fail on it


@PROPERTIES
@given(
    form=st.sampled_from(FORMS),
    raw=st.dictionaries(names, values, max_size=12),
    today=todays,
)
def test_arbitrary_submissions_never_raise(
    form: ComposedForm, raw: dict[str, list[str]], today: date
) -> None:
    check_result_is_sound(form, validate_submission(form, raw, today), today)


@PROPERTIES
@given(
    form=st.sampled_from(FORMS),
    changes=st.dictionaries(st.sampled_from(ALL_FIELDS), values, max_size=4),
    today=todays,
)
def test_a_valid_form_with_a_few_arbitrary_answers_never_raises(
    form: ComposedForm, changes: dict[str, list[str]], today: date
) -> None:
    # Given a form that would be accepted, with a few answers replaced by anything at all
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw.update({k: v for k, v in changes.items() if k in form.field_names})
    # Then the result is sound, and the personal number is never echoed in a message
    result = validate_submission(form, raw, today)
    check_result_is_sound(form, result, today)
    if isinstance(result, FormRejected) and "personal_number" in raw:
        for submitted in raw["personal_number"]:
            digits = submitted.strip()
            if len(digits) >= 6:
                for error in result.errors.values():
                    for message in (error.message_sv, error.message_en):
                        # A catalog's own text may hold it by chance ("070-12" of the phone
                        # example "070-123 45 67"): that is no echo
                        assert digits not in message or message in CATALOG_TEXTS


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29th that year does not have)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@st.composite
def personal_numbers(draw: st.DrawFn) -> tuple[str, str, date]:
    """(as typed, as stored, today) for a valid personnummer or samordningsnummer of someone
    aged 16 to 120 on `today`."""
    today = draw(todays)
    born = draw(st.dates(min_value=years_before(today, 121) + timedelta(days=1),
                         max_value=years_before(today, 16)))  # fmt: skip
    coordination = draw(st.booleans())
    day = born.day + (60 if coordination else 0)
    serial = draw(st.integers(min_value=0, max_value=999))
    first_nine = f"{born:%y%m}{day:02d}{serial:03d}"
    ten = first_nine + luhn.calc_check_digit(first_nine)
    stored = f"{born.year:04d}{ten[2:]}"
    # Folkbokföringslagen §18: "+" from the year the person turns 100.
    separator = "+" if today.year - born.year >= 100 else "-"
    shapes = [stored, f"{stored[:8]}-{stored[8:]}", f"{ten[:6]}{separator}{ten[6:]}"]
    if separator == "-":
        shapes.append(ten)
    return draw(st.sampled_from(shapes)), stored, today


@PROPERTIES
@given(case=personal_numbers())
def test_every_valid_personal_number_is_accepted_and_stored_as_12_digits(
    case: tuple[str, str, date],
) -> None:
    typed, stored, today = case
    form = FORMS[0]
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw["personal_number"] = [typed]
    result = validate_submission(form, raw, today)
    assert isinstance(result, FormAccepted), (typed, today, result)
    assert result.customer.personal_number == stored


@PROPERTIES
@given(
    today=todays,
    born=st.dates(min_value=date(1880, 1, 1), max_value=date(2099, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
)
def test_a_personal_number_is_accepted_exactly_from_16_to_120_years_of_age(
    today: date, born: date, serial: int
) -> None:
    first_nine = f"{born:%y%m%d}{serial:03d}"
    typed = f"{born.year // 100}{first_nine}{luhn.calc_check_digit(first_nine)}"
    form = FORMS[0]
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw["personal_number"] = [typed]
    result = validate_submission(form, raw, today)
    old_enough = born <= years_before(today, 16)
    young_enough = born > years_before(today, 121)
    assert isinstance(result, FormAccepted) == (old_enough and young_enough), (typed, today)


@PROPERTIES
@given(
    code=st.from_regex(r"[1-9][0-9]{2} ?[0-9]{2}", fullmatch=True),
    today=todays,
)
def test_every_five_digit_postal_code_is_accepted(code: str, today: date) -> None:
    form = FORMS[0]
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw["postal_code"] = [code]
    result = validate_submission(form, raw, today)
    assert isinstance(result, FormAccepted)
    assert result.customer.postal_code == code.replace(" ", "")


@PROPERTIES
@given(today=todays, offset=st.integers(min_value=-400, max_value=400))
def test_requested_date_is_accepted_exactly_within_a_year_from_today(
    today: date, offset: int
) -> None:
    form = FORMS[0]
    requested = today + timedelta(days=offset)
    raw = {k: [v] for k, v in VALID_ANSWERS.items() if k in form.field_names}
    raw["requested_date"] = [requested.isoformat()]
    result = validate_submission(form, raw, today)
    first, last = requested_date_bounds(today)
    assert isinstance(result, FormAccepted) == (first <= requested <= last)
