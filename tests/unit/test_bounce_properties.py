"""Properties of reading and judging bounce callbacks: no query string makes them raise, and
only a callback signed with the city network's secret for this browser's nonce and our return
URL, from the address the nonce was issued to, in time and for the first time, identifies
anybody."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.bounce import (
    Binding,
    Rejection,
    SignedCallback,
    judge_callback,
    read_callback,
)
from chalicelib.domain.identification import BounceResult, bounce_signature

SECRET = b"shared-bounce-secret"
NOW = 1_750_000_000
ISSUED = Binding(address="10.1.2.3", return_url="https://portal.test/identify/callback")
ELSEWHERE = [
    ISSUED,
    Binding(address="10.1.2.4", return_url=ISSUED.return_url),
    Binding(address=ISSUED.address, return_url="https://portal.test:8443/identify/callback"),
    Binding(address="", return_url=""),
]
FIELDS = ["status", "uid", "message", "nonce", "expires", "sig"]

any_text = st.text(st.characters(codec=None), max_size=80)
meaningful = st.sampled_from(
    ["ok", "not found", "error", "OK", "", " ", "0", str(NOW), str(NOW - 1), "9" * 13,
     "a" * 64, "0" * 64, "١٢٣", "\n", "DEMO-OK-1", "x" * 201, "\x00", "\ud800", "n\udcff"]
)  # fmt: skip
loose = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), any_text), st.one_of(any_text, meaningful), max_size=8
)
# Every field present, each either plausible or anything: reaches the signature check.
complete = st.fixed_dictionaries(
    {
        "status": st.one_of(st.sampled_from(["ok", "not found", "error"]), any_text),
        "uid": st.one_of(meaningful, any_text),
        "message": any_text,
        "nonce": st.one_of(meaningful, any_text),
        "expires": st.one_of(st.integers(0, 10**12 - 1).map(str), meaningful, any_text),
        "sig": st.one_of(st.from_regex(r"[0-9a-f]{64}", fullmatch=True), meaningful),
    }
)
queries = st.one_of(loose, complete)


def judged(
    callback: SignedCallback,
    browser_nonce: str | None,
    first_use: bool,
    arrived: Binding = ISSUED,
) -> object:
    return judge_callback(
        callback,
        secret=SECRET,
        browser_nonce=browser_nonce,
        issued=ISSUED,
        arrived=arrived,
        now_epoch=NOW,
        record_first_use=lambda: first_use,
    )


@given(
    query=queries,
    browser_nonce=st.none() | any_text,
    first_use=st.booleans(),
    arrived=st.sampled_from(ELSEWHERE),
)
def test_arbitrary_queries_never_raise_and_never_identify(
    query: dict[str, str], browser_nonce: str | None, first_use: bool, arrived: Binding
) -> None:
    callback = read_callback(query)
    if callback is None:
        return
    verdict = judged(callback, browser_nonce, first_use, arrived)
    # Without the secret nobody gets past the signature
    assert not verdict.identified  # type: ignore[attr-defined]
    assert verdict.rejection is not None  # type: ignore[attr-defined]


@given(
    status=st.one_of(st.sampled_from(["ok", "not found", "error"]), any_text),
    uid=any_text,
    message=any_text,
    nonce=st.text(st.characters(codec=None), min_size=1, max_size=60),
    expires=st.integers(min_value=0, max_value=10**12 - 1),
    same_browser=st.booleans(),
    first_use=st.booleans(),
    arrived=st.sampled_from(ELSEWHERE),
    signed_for=st.sampled_from([ISSUED.return_url, "https://evil.test/collect"]),
)
def test_a_signed_callback_identifies_only_when_every_check_passes(
    status: str,
    uid: str,
    message: str,
    nonce: str,
    expires: int,
    same_browser: bool,
    first_use: bool,
    arrived: Binding,
    signed_for: str,
) -> None:
    result = BounceResult(status=status, uid=uid, message=message, nonce=nonce, expires=expires)
    try:
        sig = bounce_signature(SECRET, result, return_url=signed_for)
    except UnicodeEncodeError:
        return  # a value no bounce server can send (a lone surrogate): nothing to sign
    query = {**result.model_dump(), "expires": str(expires), "sig": sig}
    callback = read_callback(query)
    if callback is None:
        return  # over a length bound, or an empty nonce or status
    verdict = judged(callback, nonce if same_browser else nonce + "-other", first_use, arrived)
    should = (
        signed_for == ISSUED.return_url
        and arrived == ISSUED
        and same_browser
        and expires >= NOW
        and first_use
        and status == "ok"
        and 1 <= len(uid) <= 100
        and all("!" <= c <= "~" for c in uid)
    )
    assert verdict.identified == should  # type: ignore[attr-defined]
    if should:
        assert verdict.access_id == uid  # type: ignore[attr-defined]
    else:
        assert isinstance(verdict.rejection, Rejection)  # type: ignore[attr-defined]
