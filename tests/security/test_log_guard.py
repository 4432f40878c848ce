"""The log guard itself: it flags what it must, ignores ids and timestamps, and is installed.

Each test uses its own guard on a logger that does not propagate, so the fake secrets
logged here never reach the session's guard (which would rightly fail the run).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.log_guard import (
    GuardHandler,
    LogGuard,
    numbers_in_tests,
    personal_number_forms,
)

# Valid (Luhn and date) but nobody's: from Skatteverket's published test-number series.
FAKE_NUMBER = "19121212-1212"


@pytest.fixture
def isolated() -> Iterator[tuple[logging.Logger, LogGuard]]:
    guard = LogGuard(known_numbers=personal_number_forms("19880320-0016"))
    logger = logging.getLogger("tests.security.log_guard.isolated")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = GuardHandler(guard)
    logger.addHandler(handler)
    try:
        yield logger, guard
    finally:
        logger.removeHandler(handler)


def kinds(guard: LogGuard) -> list[str]:
    return [finding.kind for finding in guard.findings]


@pytest.mark.parametrize(
    "written",
    ["19121212-1212", "191212121212", "121212-1212", "121212+1212"],
)
def test_a_personal_number_in_a_log_message_is_flagged_in_every_form(
    isolated: tuple[logging.Logger, LogGuard], written: str
) -> None:
    logger, guard = isolated
    logger.info("customer %s placed an order", written)
    assert kinds(guard) == ["personal number"]
    [finding] = guard.findings
    assert finding.source == "logger 'tests.security.log_guard.isolated'"
    # The report names the place without repeating the number
    assert written not in finding.excerpt and "redacted" in finding.excerpt


def test_secrets_in_args_extra_and_exceptions_are_flagged(
    isolated: tuple[logging.Logger, LogGuard],
) -> None:
    logger, guard = isolated
    logger.warning("key %s refused", "sfk_HVqWGmA1m_SefZhe4EpPytx1BKpUjAQWUqdXaWtzM7k")
    logger.info("webhook configured", extra={"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
    try:
        raise ValueError("Authorization: Basic ZGVtbzpkZW1vLXBhc3N3b3Jk")
    except ValueError:
        logger.exception("call failed")
    logger.debug("bounce secret is %r", "demo-bounce-secret")
    assert set(kinds(guard)) == {
        "API key",
        "webhook secret",
        "Basic auth credential",
        "fixed password or secret",
    }


def test_a_number_from_the_tests_is_flagged_even_without_separator(
    isolated: tuple[logging.Logger, LogGuard],
) -> None:
    logger, guard = isolated
    logger.info("pnr=8803200016")
    assert kinds(guard) == ["personal number used in the tests"]


@pytest.mark.parametrize(
    "harmless",
    [
        "order ord_01J9Z8Q4W5X6Y7Z8A9B0C1D2E3 stored",
        "event evt_01M8CWDA8S5P2K6ZCXN8FHWSXE relayed",
        "at 2026-11-26 21:32:58,895 after 1764192778 s",
        "key 20261126213258123 and 202611262132",
        "expires 1764192778 (epoch), ms 1764192778123",
        "198803200017 fails the Luhn check",
        "19881332-0016 is no date",
        "Basic realm=direct-activation, use Basic authentication",
        "the whsec_ prefix and sfk_ prefix are named in docs",
        "order ord_198803200016ABCDEFGHJKMN",
    ],
)
def test_ids_timestamps_and_prose_are_not_flagged(
    isolated: tuple[logging.Logger, LogGuard], harmless: str
) -> None:
    logger, guard = isolated
    logger.info(harmless)
    assert guard.findings == []


def test_a_log_file_is_scanned_line_by_line_and_the_banner_key_is_allowed(
    tmp_path: Path,
) -> None:
    guard = LogGuard()
    log = tmp_path / "stack.log"
    log.write_text(
        "  demo-tl API key:     sfk_local-demo-key-change-me-0123456789\n"
        "2026-11-26 21:32:58,895 chalicelib.web.identification visitor identified\n"
        f"2026-11-26 21:32:59,000 chalicelib.domain.ordering order for {FAKE_NUMBER}\n",
        encoding="utf-8",
    )
    found = guard.scan_file(log)
    assert [(f.kind, f.source.rsplit(":", 1)[1]) for f in found] == [("personal number", "3")]


def test_valid_numbers_written_in_the_tests_are_collected() -> None:
    numbers = numbers_in_tests()
    assert {"198803200016", "19880320-0016", "880320-0016", "8803200016"} <= numbers
    assert "198803200017" not in numbers  # fails the Luhn check


def test_the_session_guard_is_installed_on_the_root_logger() -> None:
    # Then `make test` runs the check at its end (pytest_sessionfinish sets the exit status)
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, GuardHandler)]
    assert len(handlers) == 1
    before = handlers[0].guard.records_seen
    logging.getLogger("chalicelib.anything").debug("an ordinary line")
    assert handlers[0].guard.records_seen == before + 1
