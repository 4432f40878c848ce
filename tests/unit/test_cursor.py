"""Signed cursors: opaque to clients, bound to one provider, useless when edited."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.adapters.cursor import (
    CHANGES,
    LISTING,
    CursorCodec,
    change_key,
    instant_key,
    listing_position,
    position_after,
    since_key,
)
from chalicelib.domain.errors import InvalidCursor

KEY = b"unit-test-cursor-key-0123456789ab"


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec(KEY)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_position_round_trips(codec: CursorCodec) -> None:
    position = {"k": "orders", "after": "ord_01JNB7Z5X8Q2W3E4R5T6Y7U8I9", "n": [1, 2]}

    cursor = codec.encode("bredband-ab", position)

    assert codec.decode("bredband-ab", cursor) == position


def test_a_cursor_is_url_safe(codec: CursorCodec) -> None:
    cursor = codec.encode("bredband-ab", {"after": "ö?&/+" * 20})

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_a_cursor_is_bound_to_its_provider(codec: CursorCodec) -> None:
    cursor = codec.encode("bredband-ab", {"after": "x"})

    with pytest.raises(InvalidCursor):
        codec.decode("annan-tl", cursor)


def test_a_cursor_signed_with_another_key_is_refused(codec: CursorCodec) -> None:
    cursor = CursorCodec(b"some-other-key-0123456789abcdefg").encode("bredband-ab", {"a": 1})

    with pytest.raises(InvalidCursor):
        codec.decode("bredband-ab", cursor)


def test_an_edited_position_is_refused(codec: CursorCodec) -> None:
    cursor = codec.encode("bredband-ab", {"after": "ord_B"})
    _, mac = cursor.split(".")
    edited = b64(json.dumps({"after": "ord_A"}, separators=(",", ":")).encode())

    with pytest.raises(InvalidCursor):
        codec.decode("bredband-ab", f"{edited}.{mac}")


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_truncated_cursor_is_refused(codec: CursorCodec, cut: int) -> None:
    cursor = codec.encode("bredband-ab", {"after": "ord_B"})

    with pytest.raises(InvalidCursor):
        codec.decode("bredband-ab", cursor[:-cut])


def test_a_flipped_signature_bit_is_refused(codec: CursorCodec) -> None:
    cursor = codec.encode("bredband-ab", {"after": "ord_B"})
    body, mac = cursor.split(".")
    raw = bytearray(base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4)))
    raw[0] ^= 1

    with pytest.raises(InvalidCursor):
        codec.decode("bredband-ab", f"{body}.{b64(bytes(raw))}")


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "abc.", ".abc", "!!!.???", "ä.ö", "a.b.c", "x" * 5000, "\x00.\x00"],
)
def test_garbage_is_refused_without_echoing_it(codec: CursorCodec, garbage: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        codec.decode("bredband-ab", garbage)

    assert str(refused.value) == "the cursor is not valid for this listing"


def test_a_validly_signed_non_object_is_refused(codec: CursorCodec) -> None:
    # Only our own encode signs, and it only signs dicts; this guards the decoder's contract.
    payload = b"[1,2]"
    mac = codec._mac("bredband-ab", payload)

    with pytest.raises(InvalidCursor):
        codec.decode("bredband-ab", f"{b64(payload)}.{b64(mac)}")


def test_a_short_key_is_rejected() -> None:
    with pytest.raises(ValueError):
        CursorCodec(b"short")


def test_a_position_of_another_kind_is_refused() -> None:
    position = listing_position("ord_A")

    assert position_after(position, LISTING) == "ord_A"
    with pytest.raises(InvalidCursor):
        position_after(position, CHANGES)
    with pytest.raises(InvalidCursor):
        position_after({"k": LISTING, "after": 3}, LISTING)


def test_instant_keys_sort_as_text_the_way_instants_sort_in_time() -> None:
    base = datetime(2025, 1, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    stockholm = timezone(timedelta(hours=1))
    instants = [
        base - timedelta(microseconds=1),
        base,
        base.replace(microsecond=0) + timedelta(seconds=1),  # whole second: still 6 digits
        datetime(2025, 1, 2, 1, 0, 0, 1, tzinfo=stockholm),  # 00:00:00.000001 UTC
    ]

    keys = [instant_key(at) for at in instants]

    assert keys == sorted(keys)
    assert len(set(map(len, keys))) == 1
    assert keys[2] == "2025-01-02T00:00:00.000000Z"


def test_the_since_key_excludes_changes_at_that_instant_but_not_later() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    order_id = "ord_01JNB7Z5X8Q2W3E4R5T6Y7U8ZZ"

    assert change_key(at, order_id) < since_key(at)
    assert change_key(at + timedelta(microseconds=1), order_id) > since_key(at)
