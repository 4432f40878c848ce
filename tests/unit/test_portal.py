"""domain/portal.py: reading and judging an ON-API web-portal hand-over
(docs/protocols/on-api.md, "The web-portal hand-over")."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.bounce import Binding
from chalicelib.domain.portal import (
    HandOver,
    PortalRejection,
    PortalVerdict,
    hand_over_hash,
    judge_hand_over,
    read_hand_over,
    read_tid,
)
from infra.local.emulator_onapi import portal_hash as emulator_portal_hash

KEY = b"pre-shared-portal-key"
KO = "demo-onapi"
ACCESS = "DEMO-ONAPI-OK"
MAC = "02:00:00:01:02:01"
NOW = datetime(2026, 12, 4, 18, 0, 0, 123000, tzinfo=UTC)
TID = "2026-12-04T18:00:00.123Z"
NONCE = "n0nce-of-ours_0123456789abcdefghijABCDEFGHIJ"
ISSUED = Binding(address="127.0.1.2", return_url=f"http://127.0.0.1:8000/identify/on-api?n={NONCE}")


def query(**changes: str) -> dict[str, str]:
    values = {"n": NONCE, "ko": KO, "accessId": ACCESS, "mac": MAC, "tid": TID}
    values.update({k: v for k, v in changes.items() if k != "hash"})
    signed = hand_over_hash(KEY, values["ko"], values["accessId"], values["mac"], values["tid"])
    return {**values, "hash": changes.get("hash", signed)}


def hand_over(**changes: str) -> HandOver:
    read = read_hand_over(query(**changes))
    assert read is not None
    return read


class Uses:
    """The one-time store's claim, as a callable that counts."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.calls = 0

    def of(self, given: HandOver) -> Callable[[], bool]:
        def claim() -> bool:
            self.calls += 1
            if given.hash in self.seen:
                return False
            self.seen.add(given.hash)
            return True

        return claim


def judge(given: HandOver, uses: Uses | None = None, **overrides: Any) -> PortalVerdict:
    arguments: dict[str, Any] = {
        "key": KEY,
        "expected_ko": KO,
        "browser_nonce": NONCE,
        "issued": ISSUED,
        "arrived": ISSUED,
        "in_the_network": True,
        "now": NOW,
        "record_first_use": (uses or Uses()).of(given),
    }
    arguments.update(overrides)
    return judge_hand_over(given, **arguments)


# --- the hash --------------------------------------------------------------------------


def test_the_hash_is_hmac_sha256_over_the_four_values_concatenated_in_lower_hex():
    expected = hmac.new(KEY, (KO + ACCESS + MAC + TID).encode(), hashlib.sha256).hexdigest()
    assert hand_over_hash(KEY, KO, ACCESS, MAC, TID) == expected
    assert expected == expected.lower()
    # and the emulator's portal signs the same way
    assert emulator_portal_hash(KEY, KO, ACCESS, MAC, TID) == expected


def test_the_hash_is_over_utf8():
    assert (
        hand_over_hash(KEY, "nät", ACCESS, MAC, TID)
        == hmac.new(KEY, ("nät" + ACCESS + MAC + TID).encode("utf-8"), hashlib.sha256).hexdigest()
    )


# --- valid -----------------------------------------------------------------------------


def test_a_genuine_timely_hand_over_identifies_the_access():
    verdict = judge(hand_over())
    assert verdict.identified
    assert verdict == PortalVerdict(ACCESS, None)


def test_the_hash_may_be_sent_in_upper_case():
    given = hand_over(hash=query()["hash"].upper())
    assert given.hash == query()["hash"]
    assert judge(given).identified


@pytest.mark.parametrize(
    ("tid", "moment"),
    [
        ("2026-12-04T18:00:00Z", datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        ("2026-12-04T18:00:00.52Z", datetime(2026, 12, 4, 18, 0, 0, 520000, tzinfo=UTC)),
        ("2026-12-04T18:00:00.0053Z", datetime(2026, 12, 4, 18, 0, 0, 5300, tzinfo=UTC)),
        ("2026-12-31T23:59:60Z", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_tid_is_a_utc_datetime_of_dataformats(tid: str, moment: datetime):
    assert read_tid(tid) == moment


def test_the_age_bounds_are_inclusive():
    assert judge(hand_over(), now=NOW + timedelta(minutes=5)).identified
    assert judge(hand_over(), now=NOW - timedelta(minutes=1)).identified


# --- refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"hash": "0" * 64}, id="zero-hash"),
        pytest.param({"hash": hand_over_hash(b"guessed", KO, ACCESS, MAC, TID)}, id="other-key"),
        pytest.param(
            {"accessId": "SOMEONE-ELSES", "hash": hand_over_hash(KEY, KO, ACCESS, MAC, TID)},
            id="edited-access",
        ),
        pytest.param(
            {"mac": "02:00:00:00:00:01", "hash": hand_over_hash(KEY, KO, ACCESS, MAC, TID)},
            id="edited-mac",
        ),
        pytest.param(
            {"tid": "2026-12-04T18:01:00.000Z", "hash": hand_over_hash(KEY, KO, ACCESS, MAC, TID)},
            id="edited-tid",
        ),
    ],
)
def test_a_forged_hash_is_refused(forged: dict[str, str]):
    uses = Uses()
    verdict = judge(hand_over(**forged), uses)
    assert verdict == PortalVerdict(None, PortalRejection.BAD_HASH)
    assert uses.calls == 0  # a forgery burns nothing


def test_another_networks_ko_is_refused_even_when_signed():
    assert judge(hand_over(ko="other-net")).rejection == PortalRejection.OTHER_KO


def test_moving_the_boundary_between_values_is_refused():
    # The concatenation has no separator: ko "demo-onapiD" + accessId "EMO-ONAPI-OK" is
    # signed as the genuine pair is. Our fixed ko and the strict formats of mac and tid
    # leave no boundary to move.
    moved = hand_over(ko=KO + "D", accessId=ACCESS[1:], hash=query()["hash"])
    assert judge(moved).rejection == PortalRejection.OTHER_KO
    assert read_hand_over(query(accessId=ACCESS + MAC[:2], mac=MAC[2:] + "0")) is None
    assert read_hand_over(query(mac=MAC[:-1], tid=MAC[-1] + TID)) is None


def test_a_stale_tid_is_refused():
    verdict = judge(hand_over(), now=NOW + timedelta(minutes=5, milliseconds=1))
    assert verdict.rejection == PortalRejection.STALE


def test_a_tid_more_than_a_minute_ahead_is_refused():
    verdict = judge(hand_over(), now=NOW - timedelta(minutes=1, milliseconds=1))
    assert verdict.rejection == PortalRejection.FROM_THE_FUTURE


def test_a_replayed_hand_over_is_refused():
    uses = Uses()
    given = hand_over()
    assert judge(given, uses).identified
    assert judge(given, uses).rejection == PortalRejection.REPLAYED
    # the same hand-over with its hash in upper case is the same hand-over
    assert judge(hand_over(hash=given.hash.upper()), uses).rejection == PortalRejection.REPLAYED


@pytest.mark.parametrize(
    ("overrides", "rejection"),
    [
        ({"browser_nonce": None}, PortalRejection.OTHER_BROWSER),
        ({"browser_nonce": "another-nonce"}, PortalRejection.OTHER_BROWSER),
        ({"arrived": Binding("127.0.1.9", ISSUED.return_url)}, PortalRejection.OTHER_ADDRESS),
        (
            {"arrived": Binding(ISSUED.address, "http://evil.test/identify/on-api?n=" + NONCE)},
            PortalRejection.OTHER_RETURN_URL,
        ),
        ({"in_the_network": False}, PortalRejection.OUTSIDE_THE_NETWORK),
    ],
)
def test_a_hand_over_bound_elsewhere_is_refused_without_burning_it(
    overrides: dict[str, Any], rejection: PortalRejection
):
    uses = Uses()
    given = hand_over()
    assert judge(given, uses, **overrides).rejection == rejection
    assert uses.calls == 0
    # and the genuine one still identifies
    assert judge(given, uses).identified


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"n": ""}, id="no-nonce"),
        pytest.param({"n": "x" * 201}, id="long-nonce"),
        pytest.param({"n": "a b"}, id="nonce-with-space"),
        pytest.param({"ko": ""}, id="no-ko"),
        pytest.param({"ko": "k" * 65}, id="long-ko"),
        pytest.param({"accessId": ""}, id="no-access"),
        pytest.param({"accessId": "A" * 37}, id="long-access"),
        pytest.param({"accessId": "../orders"}, id="path-access"),
        pytest.param({"accessId": "ACC\n1"}, id="newline-access"),
        pytest.param({"accessId": "ACC-١"}, id="arabic-digit-access"),
        pytest.param({"mac": ""}, id="no-mac"),
        pytest.param({"mac": "02-00-00-01-02-01"}, id="dashed-mac"),
        pytest.param({"mac": MAC + "\n"}, id="mac-newline"),
        pytest.param({"tid": ""}, id="no-tid"),
        pytest.param({"tid": "2026-12-04 18:00:00Z"}, id="tid-without-T"),
        pytest.param({"tid": "2026-12-04T18:00:00+01:00"}, id="tid-not-utc"),
        pytest.param({"tid": "2026-12-04T18:00:00"}, id="tid-without-zone"),
        pytest.param({"tid": "2026-13-04T18:00:00Z"}, id="tid-month-13"),
        pytest.param({"tid": "2026-02-30T18:00:00Z"}, id="tid-feb-30"),
        pytest.param({"tid": "2026-12-04T18:00:00.Z"}, id="tid-empty-fraction"),
        pytest.param({"tid": "1767225600"}, id="tid-epoch"),
        pytest.param({"hash": ""}, id="no-hash"),
        pytest.param({"hash": "g" * 64}, id="non-hex-hash"),
        pytest.param({"hash": "0" * 63}, id="short-hash"),
        pytest.param({"hash": "0" * 64 + "\n"}, id="hash-newline"),
    ],
)
def test_malformed_values_are_no_hand_over(changes: dict[str, str]):
    assert read_hand_over(query(**changes)) is None


def test_a_missing_parameter_is_no_hand_over():
    for name in ("n", "ko", "accessId", "mac", "tid", "hash"):
        given = query()
        del given[name]
        assert read_hand_over(given) is None, name


def test_the_hand_over_keeps_the_outlet_and_hash_out_of_its_repr():
    text = repr(hand_over()) + repr(judge(hand_over()))
    assert ACCESS not in text and MAC not in text and query()["hash"] not in text
