"""The accesses a city network lists by address, and how a visitor's typed address finds them
(docs/architecture.md, "Address search").

An ON-API network lists its accesses (`accesses/`) with their addresses. We keep them in an
`AccessDirectory` (domain/ports.py), one partition per city network, sorted by an address
key: the street name folded (lower case, no accents, one space between words), the street
number padded to sort as a number, the letter, the apartment and the access id. A search is
then one range read: every key that begins with the folded street name (and number, when
one was typed), never a scan. What the key cannot say (apartment, postal code, city) is
checked on the rows read.

Addresses are not personal data but are still never logged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from .citynet import CallResult

KEY_SEPARATOR = "#"
MAX_QUERY_CHARS = 200
_NUMBER_WIDTH = 6
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_NUMBER = re.compile(r"^(\d{1,5})([^\W\d_])?$", re.UNICODE)
_APARTMENT = re.compile(r"^\d{4}$")
_POSTAL_CODE = re.compile(r"^\d{5}$")
# Folded: "lgh", "lägenhet" and their English words.
_APARTMENT_WORDS = frozenset({"lgh", "lagenhet", "apartment", "apt"})
# Letters that carry no accent to strip (NFKD leaves them whole), as a visitor types them.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "þ": "th"})


class ListedAccess(BaseModel):
    """One access of a city network's list, as the address search needs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_id: str
    street_name: str
    street_number: str | None = None
    street_littera: str | None = None
    apartment: str | None = None  # the apartment number (lägenhetsnummer), e.g. "1101"
    postal_code: str | None = None
    city: str | None = None

    @property
    def key(self) -> str:
        return address_key(self)

    def street_line(self) -> str:
        """ "Storgatan 5B": the street, its number and letter."""
        number = f"{self.street_number or ''}{self.street_littera or ''}"
        return f"{self.street_name} {number}".strip()

    def place_line(self) -> str:
        """ "123 45 Demostad": the postal code (written as Swedish addresses do) and city."""
        code = self.postal_code or ""
        if _POSTAL_CODE.match(code):
            code = f"{code[:3]} {code[3:]}"
        return f"{code} {self.city or ''}".strip()


class AccessListing(CallResult):
    """One read of a city network's access list. `modified` is False when nothing changed
    since `since` (ON-API's 304); `last_modified` is what to send as `since` next time."""

    modified: bool = True
    last_modified: str | None = None
    accesses: tuple[ListedAccess, ...] = ()
    skipped: int = 0  # rows that could not be read, or have no street to be found by


@runtime_checkable
class AccessListingFeed(Protocol):
    """A city network that lists its accesses by address (ON-API `accesses/`)."""

    def access_rows(self, since: str | None) -> AccessListing: ...


# --- keys ------------------------------------------------------------------------------------


def fold(text: str | None) -> str:
    """Lower case, without accents, letters and digits only, one space between words: the
    form in which a typed address and a listed one are compared ("Ängsvägen" = "angsvagen")."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.translate(_PLAIN_LETTERS)
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def number_key(number: str | None) -> str:
    """A street number that sorts as a number ("5" before "12")."""
    folded = fold(number)
    return folded.zfill(_NUMBER_WIDTH) if folded.isdigit() else folded


def address_key(access: ListedAccess) -> str:
    """The directory's sort key of an access: street, number, letter, apartment, access id."""
    parts = (
        fold(access.street_name),
        number_key(access.street_number),
        fold(access.street_littera),
        fold(access.apartment),
        access.access_id,
    )
    return KEY_SEPARATOR.join(parts)


# --- what a visitor typed --------------------------------------------------------------------


class AddressQuery(BaseModel):
    """A typed address, read: the street (required), and what else was given."""

    model_config = ConfigDict(frozen=True)

    street: str  # folded
    number: str | None = None
    littera: str | None = None  # folded
    apartment: str | None = None
    postal_code: str | None = None
    city: str | None = None  # folded

    def key_prefix(self) -> str:
        """What every matching access's key begins with. Without a number, any street whose
        name begins with what was typed ("storg" finds Storgatan)."""
        if self.number is None:
            return self.street
        prefix = f"{self.street}{KEY_SEPARATOR}{number_key(self.number)}{KEY_SEPARATOR}"
        return prefix + (f"{self.littera}{KEY_SEPARATOR}" if self.littera else "")

    def matches(self, access: ListedAccess) -> bool:
        """What the key cannot say: the apartment, the postal code and the city."""
        if self.apartment is not None and access.apartment != self.apartment:
            return False
        if self.postal_code is not None and access.postal_code != self.postal_code:
            return False
        return self.city is None or fold(access.city).startswith(self.city)


def parse_address_query(typed: str) -> AddressQuery | None:
    """Free text such as "Storgatan 3 lgh 1101, 123 45 Demostad" read as street, number,
    letter, apartment, postal code and city; None when no street name can be read.

    The street is the words before the first number (or comma). The number may carry its
    letter ("5B", or "5 B"). After it: a four-digit number is the apartment (also after
    "lgh"), five digits or "123 45" the postal code, and words the city."""
    tokens = re.findall(r"[^\s,]+|,", unicodedata.normalize("NFKC", typed[:MAX_QUERY_CHARS]))
    street: list[str] = []
    while tokens and tokens[0] != "," and not any(c.isdigit() for c in tokens[0]):
        street.append(tokens.pop(0))
    folded_street = fold(" ".join(street))
    if not folded_street:
        return None
    fields: dict[str, str] = {}
    if tokens and (number := _NUMBER.match(tokens[0])):
        tokens.pop(0)
        fields["number"] = number.group(1).lstrip("0") or "0"
        littera = number.group(2)
        if littera is None and tokens and len(tokens[0]) == 1 and _WORD.match(tokens[0]):
            littera = tokens.pop(0)
        if littera:
            fields["littera"] = fold(littera)
    _read_the_rest(tokens, fields)
    return AddressQuery(street=folded_street, **fields)


def _read_the_rest(tokens: list[str], fields: dict[str, str]) -> None:
    city: list[str] = []
    while tokens:
        token = tokens.pop(0).strip(".:")
        following = tokens[0] if tokens else ""
        if fold(token) in _APARTMENT_WORDS:
            continue
        if _APARTMENT.match(token) and "apartment" not in fields:
            fields["apartment"] = token
        elif _POSTAL_CODE.match(token):
            fields["postal_code"] = token
        elif re.fullmatch(r"\d{3}", token) and re.fullmatch(r"\d{2}", following):
            fields["postal_code"] = token + tokens.pop(0)
        elif _WORD.search(token) and not any(c.isdigit() for c in token):
            city.append(token)
    if city:
        fields["city"] = fold(" ".join(city))
