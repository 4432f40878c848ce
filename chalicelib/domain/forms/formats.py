"""The Swedish formats of the answers: each parser returns the value as stored or raises
FormatProblem."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

from chalicelib.domain.requested_dates import is_within_bounds

# The `format` names a definition may use; each has a parser in `format_parsers`.
FORMAT_NAMES = frozenset(
    {"personnummer", "swedish-phone", "postal-code", "requested-date", "email"}
)


class FormatProblem(ValueError):
    """A value does not have its field's format. `kind` picks the message."""

    def __init__(self, kind: Literal["invalid", "out_of_range"] = "invalid") -> None:
        super().__init__(kind)
        self.kind = kind


_PERSONAL_NUMBER = re.compile(r"([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+])([0-9]{4})")
# Samordningsnummer: the day of birth plus 60 (Skatteverket, SKV 707).
_COORDINATION_DAY_OFFSET = 60
# Whom we take an order from: someone of an age to sign a subscription (with a guardian's
# consent below 18, the provider's business) and alive.
YOUNGEST_AGE_YEARS = 16
OLDEST_AGE_YEARS = 120


def age_on(today: date, born: date) -> int:
    """Completed years on `today` (born on 29 February: a year older on 1 March)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_personal_number(text: str, today: date) -> str:
    """A personnummer or samordningsnummer, 10 or 12 digits, with or without `-`/`+`, as the
    12 digits we store. The date must exist and the person be 16 to 120 years old on `today`
    (`out_of_range` otherwise); the checksum must hold. One separator at most: python-stdnum
    would drop any hyphen before the last five characters, "1990-01-01-1239" included.

    For 10 digits the century follows Folkbokföringslagen §18: `-` means the person turns at
    most 99 this year, `+` that they turn 100 or more; both relative to `today`, not the
    server clock (python-stdnum's own century guess uses the server clock and rejects
    samordningsnummer, so only its cleaning and Luhn check are used here).
    """
    from stdnum import luhn
    from stdnum.exceptions import ValidationError as NumberError
    from stdnum.se import personnummer

    if text.count("-") + text.count("+") > 1:
        raise FormatProblem()
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
    if born > today:
        raise FormatProblem()
    if not YOUNGEST_AGE_YEARS <= age_on(today, born) <= OLDEST_AGE_YEARS:
        raise FormatProblem("out_of_range")
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


_EMAIL_LOCAL_PART = re.compile(r"[^@\s]{1,64}")
_ASCII_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PUNYCODE_TLD = re.compile(r"xn--[a-z0-9-]{1,59}", re.IGNORECASE)
_MAX_EMAIL_LENGTH = 254
_MAX_LABEL_LENGTH = 63


def parse_email(text: str) -> str:
    """An address a mail can be delivered to, by its shape (the provider confirms it by
    mailing it): a local part of at most 64 characters without @ or space; a domain of two
    labels or more, each 1-63 letters, digits or hyphens, not starting or ending with a
    hyphen; a top-level domain of two letters or more; at most 254 characters in all.

    Letters may be any script's: .se has had å, ä, ö and é in domain names since 2003, and
    such a label counts by its length in DNS (xn--..., punycode). No IP-address literals.
    """
    local, at, domain = text.rpartition("@")
    if len(text) > _MAX_EMAIL_LENGTH or not at or not _EMAIL_LOCAL_PART.fullmatch(local):
        raise FormatProblem()
    labels = domain.split(".")
    if len(labels) < 2 or not all(_is_domain_label(label) for label in labels):
        raise FormatProblem()
    tld = labels[-1]
    if not (len(tld) >= 2 and tld.isalpha()) and not _PUNYCODE_TLD.fullmatch(tld):
        raise FormatProblem()
    return text


def _is_domain_label(label: str) -> bool:
    if label.isascii():
        return _ASCII_LABEL.fullmatch(label) is not None
    if label.startswith("-") or label.endswith("-"):
        return False
    if not all(c.isalpha() or c in "0123456789-" for c in label):
        return False
    try:
        encoded = label.casefold().encode("punycode")
    except UnicodeError:
        return False
    return len(b"xn--" + encoded) <= _MAX_LABEL_LENGTH


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


def format_parsers(today: date) -> Mapping[str, Callable[[str], object]]:
    return {
        "personnummer": lambda text: parse_personal_number(text, today),
        "swedish-phone": parse_swedish_phone,
        "postal-code": parse_postal_code,
        "requested-date": lambda text: parse_requested_date(text, today),
        "email": parse_email,
    }
