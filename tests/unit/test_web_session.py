"""The signed session cookie and the tokens derived from it."""

from __future__ import annotations

import time
from dataclasses import replace

from chalicelib.web.session import (
    MAX_COOKIE_VALUE,
    CachedCall,
    DeliverabilityAnswer,
    Identified,
    PortAnswer,
    Session,
    cookie_value,
    csrf_token,
    csrf_token_matches,
    decode_session,
    encode_session,
    receipt_token,
    receipt_token_matches,
    set_cookie_header,
)

KEY = b"k" * 32


def now() -> int:
    return int(time.time())


def identified_session() -> Session:
    return Session.new(now()).identify(Identified("net", "ACC-1", now()), now())


def test_round_trip_keeps_the_access():
    session = identified_session()
    decoded = decode_session(encode_session(session, KEY), KEY, now())
    assert decoded == session


def test_round_trip_keeps_how_the_visitor_was_identified():
    by_portal = Session.new(now()).identify(Identified("net", "ACC-1", now(), "portal"), now())
    decoded = decode_session(encode_session(by_portal, KEY), KEY, now())
    assert decoded is not None and decoded.identified is not None
    assert decoded.identified.by == "portal"
    # a cookie written before the field (three entries) was a bounce's
    assert identified_session().identified == Identified("net", "ACC-1", now(), "bounce")


def test_an_unknown_way_of_identification_is_no_session():
    session = Session.new(now()).identify(Identified("net", "ACC-1", now(), "portal"), now())
    for by in ("guessed", ""):
        who = replace(session.identified, by=by)  # type: ignore[arg-type]
        cookie = encode_session(replace(session, identified=who), KEY)
        assert decode_session(cookie, KEY, now()) is None


def test_tampered_payload_is_rejected():
    value = encode_session(identified_session(), KEY)
    payload, mac = value.split(".")
    forged = encode_session(
        Session.new(now()).identify(Identified("net", "SOMEONE-ELSE", now()), now()), b"other"
    )
    assert decode_session(forged.split(".")[0] + "." + mac, KEY, now()) is None
    assert decode_session(payload[:-2] + "AA." + mac, KEY, now()) is None


def test_session_signed_with_another_key_is_rejected():
    assert decode_session(encode_session(identified_session(), b"other"), KEY, now()) is None


def test_expired_session_is_rejected():
    session = replace(identified_session(), expires=now() - 1)
    assert decode_session(encode_session(session, KEY), KEY, now()) is None


def test_garbage_is_rejected_without_raising():
    for value in ["", ".", "a.b", "%%%.%%%", "x" * 20000, "e30.e30", None]:
        assert decode_session(value, KEY, now()) is None


def test_cookie_stays_small_with_many_cached_answers():
    session = identified_session()
    for index in range(50):
        entry = DeliverabilityAnswer(
            deliverable=False, reason_code="500", message_sv="ä" * 300, message_en="e" * 300
        )
        session = session.with_deliverability(f"offer-{index}", entry)
    value = encode_session(session, KEY)
    assert len(value) <= MAX_COOKIE_VALUE
    decoded = decode_session(value, KEY, now())
    assert decoded is not None and decoded.identified == session.identified
    assert "offer-49" in decoded.deliverability  # the newest answers are kept


def test_cookie_attributes():
    header = set_cookie_header("v", secure=True)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Secure" not in set_cookie_header("v", secure=False)


def test_cookie_value_is_found_among_others():
    assert cookie_value("a=1; sf_session=abc.def; b=2") == "abc.def"
    assert cookie_value("garbage;;=;") is None
    assert cookie_value(None) is None


def test_csrf_token_is_bound_to_the_session():
    one, other = Session.new(now()), Session.new(now())
    token = csrf_token(one, KEY)
    assert csrf_token_matches(one, KEY, token)
    assert not csrf_token_matches(other, KEY, token)
    assert not csrf_token_matches(one, KEY, None)
    assert not csrf_token_matches(one, KEY, "")
    assert not csrf_token_matches(one, KEY, "åäö\udcff")


def test_identifying_rotates_the_csrf_secret():
    before = Session.new(now())
    after = before.identify(Identified("net", "ACC", now()), now())
    assert not csrf_token_matches(after, KEY, csrf_token(before, KEY))


def test_receipt_token_is_bound_to_the_order():
    token = receipt_token(KEY, "ord_A")
    assert receipt_token_matches(KEY, "ord_A", token)
    assert not receipt_token_matches(KEY, "ord_B", token)
    assert not receipt_token_matches(b"other", "ord_A", token)


# --- typed city-network answers ----------------------------------------------------------


def signed(payload: dict[str, object], key: bytes = KEY) -> str:
    """A cookie value for `payload`, signed as encode_session signs."""
    import base64
    import hashlib
    import hmac
    import json

    data = json.dumps(payload, separators=(",", ":")).encode()
    mac = hmac.new(key, b"session:" + data, hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64(data)}.{b64(mac)}"


def payload_of(value: str) -> dict[str, object]:
    import base64
    import json

    text = value.split(".")[0]
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return loaded


def test_city_network_answers_round_trip_typed_under_short_keys():
    call = CachedCall(method="service_deliverable", outcome="refused", code="426", duration_ms=7)
    session = replace(
        identified_session(),
        port=PortAnswer(message="Porten är öppen", service_uids=("TV-BAS",), call=call),
    ).with_deliverability(
        "tl-tv",
        DeliverabilityAnswer(deliverable=False, reason_code="426", message_sv="sv", call=call),
    )
    value = encode_session(session, KEY)
    decoded = decode_session(value, KEY, now())
    assert decoded == session
    assert (
        decoded is not None and decoded.deliverability["tl-tv"].answer().customer_message_en == "sv"
    )
    wire = payload_of(value)
    call_on_the_wire = {"m": "service_deliverable", "o": "refused", "c": "426", "d": 7}
    assert wire["p"] == {"m": "Porten är öppen", "s": ["TV-BAS"], "call": call_on_the_wire}
    assert wire["d"] == {
        "tl-tv": {"ok": False, "code": "426", "sv": "sv", "call": call_on_the_wire}
    }


def test_a_cookie_written_before_the_typed_entries_still_reads():
    session = identified_session()
    assert session.identified is not None
    who = session.identified
    value = signed(
        {
            "c": session.csrf,
            "x": session.expires,
            "i": [who.city_network_id, who.access_id, who.issued],
            "s": 1,
            "p": {"m": None, "s": ["TV-BAS"], "u": False, "call": {"m": "port_status", "o": "ok",
                  "c": None, "t": None, "d": 3}},
            "d": {"tl-tv": {"ok": True, "code": None, "sv": None, "en": None}},
        }
    )  # fmt: skip
    decoded = decode_session(value, KEY, now())
    assert decoded is not None
    assert decoded.port == PortAnswer(
        service_uids=("TV-BAS",),
        call=CachedCall(method="port_status", outcome="ok", duration_ms=3),
    )
    assert decoded.deliverability["tl-tv"].deliverable is True


def test_a_malformed_cached_answer_is_no_session():
    base = {"c": "csrf", "x": now() + 60}
    for bad in (
        {"p": "not a dict"},
        {"p": {"u": "maybe"}},
        {"d": {"tl-tv": {"code": "426"}}},  # the answer itself is missing
        {"d": {"tl-tv": {"ok": True, "call": {"m": "x", "o": "exploded", "d": 1}}}},
        {"d": ["not", "a", "dict"]},
    ):
        assert decode_session(signed({**base, **bad}), KEY, now()) is None, bad
    assert decode_session(signed(base), KEY, now()) is not None
