"""The stored customer refuses what must never be in a name or an address, whoever builds it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.models import Customer

VALID: dict[str, Any] = {
    "first_name": "Anna",
    "last_name": "Svensson-Åberg",
    "personal_number": "199001011239",
    "email": "anna@example.se",
    "phone": "+46701234567",
    "street_address": "Storgatan 1 B, lgh 1102",
    "postal_code": "12345",
    "city": "Umeå",
    "apartment_number": "1102",
}
TEXT_FIELDS = ("first_name", "last_name", "street_address", "city", "email")
# Cc (NUL, tab, newline, ESC, DEL, NEL) and Cf (bidirectional overrides and isolates, zero
# width space, left-to-right mark, byte order mark, soft hyphen)
REFUSED = ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u202a", "\u202e", "\u2066",
           "\u2067", "\u2068", "\u2069", "\u200b", "\u200e", "\ufeff", "\u00ad"]  # fmt: skip


def test_a_valid_customer_is_accepted() -> None:
    assert Customer(**VALID).last_name == "Svensson-Åberg"


@pytest.mark.parametrize("character", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_control_and_format_characters_are_refused(name: str, character: str) -> None:
    value = VALID[name][:2] + character + VALID[name][2:]
    with pytest.raises(ValidationError) as refused:
        Customer(**{**VALID, name: value})
    [error] = refused.value.errors()
    assert error["loc"] == (name,)
    assert "control or format character" in error["msg"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("personal_number", "١٩٩٠٠١٠١١٢٣٩"),  # Arabic-Indic digits are digits to \d
        ("postal_code", "１２３４５"),  # fullwidth
        ("phone", "+٤٦٧٠١٢٣٤٥٦٧"),
        ("apartment_number", "١١٠٢"),
    ],
)
def test_numbers_are_ascii_digits(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Customer(**{**VALID, name: value})
