"""The monthly report as CSV (RFC 4180: comma separated, CRLF line ends, a field with a
comma, quote or line break in quotes, a quote doubled), with a header row.

A provider opens the file in a spreadsheet, where a cell beginning with = + - @ (or a tab
or carriage return before one) is a formula: customer-typed text and city-network messages
reach these cells, so such a cell gets a leading apostrophe and is shown as the text it is
(OWASP "CSV injection"). Numbers are written by us and are never negative here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(columns: Sequence[str], rows: Iterable[BaseModel]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for item in rows:
        values = item.model_dump(mode="python")
        writer.writerow([cell(values[name]) for name in columns])
    return out.getvalue()
