"""Properties of paging cursors: any text a client sends is a position of ours, issued to
this provider, or InvalidCursor; nothing else is ever raised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.cursor import (
    CHANGES,
    LISTING,
    CursorCodec,
    listing_position,
    position_after,
)
from chalicelib.adapters.webhooks.cursors import decode_delivery_cursor
from chalicelib.domain.errors import InvalidCursor

CODEC = CursorCodec(b"cursor-key-for-properties-0123456789")
PROVIDER = "prov-a"

any_text = st.text(st.characters(codec=None), max_size=300)
base64ish = st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ ", max_size=120
)
json_positions = st.dictionaries(
    st.text(max_size=8),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
    max_size=4,
)


def decodes_or_refuses(cursor: str, provider: str = PROVIDER) -> dict[str, object] | None:
    try:
        return CODEC.decode(provider, cursor)
    except InvalidCursor:
        return None


@given(cursor=st.one_of(any_text, base64ish))
def test_arbitrary_text_is_refused_with_invalid_cursor_only(cursor: str) -> None:
    # A forged cursor never decodes (the MAC), and nothing but InvalidCursor escapes
    assert decodes_or_refuses(cursor) is None
    with pytest.raises(InvalidCursor):
        position_after(decodes_or_refuses(cursor) or {}, LISTING)


@given(position=json_positions, provider=st.text(st.characters(codec="utf-8"), max_size=40))
def test_a_cursor_decodes_to_its_position_for_its_provider_only(
    position: dict[str, object], provider: str
) -> None:
    cursor = CODEC.encode(provider, position)
    assert CODEC.decode(provider, cursor) == position
    assert decodes_or_refuses(cursor, provider + "x") is None


@given(
    order_id=st.from_regex(r"ord_[0-9A-HJKMNP-TV-Z]{26}", fullmatch=True),
    data=st.data(),
)
def test_any_edit_of_a_genuine_cursor_is_refused(order_id: str, data: st.DataObject) -> None:
    cursor = CODEC.encode(PROVIDER, listing_position(order_id))
    index = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1))
    replacement = data.draw(st.characters(codec=None).filter(lambda c: c != cursor[index]))
    edited = cursor[:index] + replacement + cursor[index + 1 :]
    decoded = decodes_or_refuses(edited)
    # base64 ignores some edits (padding bits); those decode to the very same position
    assert decoded is None or decoded == listing_position(order_id)


@given(position=json_positions, kind=st.sampled_from([LISTING, CHANGES]))
def test_position_shape_is_checked_with_invalid_cursor_only(
    position: dict[str, object], kind: str
) -> None:
    try:
        after = position_after(position, kind)
    except InvalidCursor:
        return
    assert isinstance(after, str) and after and position["k"] == kind


@given(cursor=st.one_of(st.none(), any_text, st.from_regex(r"dlv_[0-9A-Z]{26}", fullmatch=True)))
def test_delivery_cursors_are_ids_or_invalid_cursor(cursor: str | None) -> None:
    try:
        decoded = decode_delivery_cursor(cursor)
    except InvalidCursor:
        return
    assert decoded == cursor
