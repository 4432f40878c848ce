"""A pytest plugin: no personal number, API key or secret in any log line of the whole run.

For the entire session a handler on the root logger, and on the project's loggers that do
not propagate to it (chalicelib/logs.py), sees every record every test emits
(message with its args, every `extra` field, exception and stack text), and at the end the
text files the local stack wrote to test-artifacts/ during this run are read too. Any hit
fails the session (exit status 1) with the logger or file and a redacted excerpt; the
secret itself is never printed.

What counts as a hit:
- a Swedish personal number (personnummer or samordningsnummer) written as YYYYMMDD-NNNN,
  YYYYMMDDNNNN, YYMMDD-NNNN or YYMMDD+NNNN whose date and Luhn digit are valid (stdnum);
  plus every valid number written in the tests themselves, in any of those forms and as
  bare YYMMDDNNNN;
- an API key (`sfk_` + base64url), a webhook secret (`whsec_` + base64);
- the local stack's and the tests' fixed passwords and secrets;
- an HTTP Basic credential (`Basic <base64 of user:password>`).
Numbers are only matched between non-alphanumeric characters, so order ids, ULIDs and
compact timestamps (longer digit runs) never match.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from stdnum.se import personnummer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TESTS = ROOT / "tests"

# Fixed secrets of the local stack (infra/local/stack.py) and of test fixtures.
FIXED_SECRETS = (
    "demo-password",
    "demo-bounce-secret",
    "test-bounce-secret",
    "pa55word",
    "demo-onapi-portal-key",
    "demo-onapi-password",
    "test-portal-key",
    "pre-shared-portal-key",
)
# Project loggers are read at DEBUG: a debug line that leaks is a leak waiting for a
# debugging session. Everything else at INFO, as deployed.
PROJECT_LOGGERS = ("chalicelib", "infra", "local", "stadsnatsfabriken")
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webm", ".zip", ".gz", ".pdf"}
MAX_ARTIFACT_BYTES = 20 * 1024 * 1024

_EDGE_L = r"(?<![0-9A-Za-z])"
_EDGE_R = r"(?![0-9A-Za-z])"
_PERSONAL_NUMBER = re.compile(_EDGE_L + r"(?:\d{8}-?\d{4}|\d{6}[-+]\d{4})" + _EDGE_R)
_API_KEY = re.compile(r"sfk_[A-Za-z0-9_-]{8,}")
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]{4,}")
_BASIC = re.compile(r"\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])")

# The local stack's banner prints the demo provider's key on purpose (docs/architecture.md,
# "Local stack": it "prints ... the demo provider's API key"): that line, and only it, may.
ALLOWED_LINES = (re.compile(r"^\s*demo-tl API key:\s+sfk_\S+(?:\s+\(generated;.*\))?\s*$"),)

# LogRecord attributes that are not `extra`.
_STANDARD = set(logging.LogRecord("n", 0, "p", 0, "m", None, None).__dict__) | {
    "message",
    "asctime",
    "_log_guard_seen",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    source: str  # logger name, or artifact path
    excerpt: str  # redacted

    def describe(self) -> str:
        return f"{self.kind} in {self.source}: {self.excerpt}"


def _valid_personal_number(text: str) -> bool:
    try:
        return bool(personnummer.is_valid(text))
    except Exception:  # stdnum must never make the guard itself fail
        return False


def personal_number_forms(number: str) -> set[str]:
    """YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN and YYMMDDNNNN of a valid number."""
    short = re.sub(r"\D", "", number)[-10:]
    century = str(personnummer.get_birth_date(number).year)[:2]
    full = century + short
    return {full, f"{full[:8]}-{full[8:]}", f"{short[:6]}-{short[6:]}", short}


def numbers_in_tests(root: Path = TESTS) -> set[str]:
    """Every valid personal number written in the test sources, in every form."""
    forms: set[str] = set()
    for path in root.rglob("*.py"):
        for match in _PERSONAL_NUMBER.finditer(path.read_text(encoding="utf-8")):
            if _valid_personal_number(match.group()):
                forms |= personal_number_forms(match.group())
    return forms


def _redact(secret: str) -> str:
    return f"{secret[:4]}…[{len(secret)} chars redacted]"


def _excerpt(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    return (before + _redact(text[start:end]) + after).replace("\n", "⏎")


def _basic_credential(token: str) -> bool:
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


class LogGuard:
    """Scans text for secrets; collects redacted findings (deduplicated)."""

    def __init__(self, known_numbers: Iterable[str] = (), extra_secrets: Iterable[str] = ()):
        known = sorted(set(known_numbers), key=len, reverse=True)
        self._known = (
            re.compile(_EDGE_L + "(?:" + "|".join(map(re.escape, known)) + ")" + _EDGE_R)
            if known
            else None
        )
        secrets = sorted({*FIXED_SECRETS, *extra_secrets}, key=len, reverse=True)
        self._fixed = re.compile("|".join(map(re.escape, secrets)))
        self._lock = threading.Lock()
        self._findings: dict[Finding, None] = {}
        self.records_seen = 0
        self.files_scanned = 0

    @property
    def findings(self) -> list[Finding]:
        with self._lock:
            return list(self._findings)

    def _hits(self, text: str) -> Iterator[tuple[str, int, int]]:
        for match in _PERSONAL_NUMBER.finditer(text):
            if _valid_personal_number(match.group()):
                yield "personal number", match.start(), match.end()
        if self._known is not None:
            for match in self._known.finditer(text):
                yield "personal number used in the tests", match.start(), match.end()
        for match in _API_KEY.finditer(text):
            yield "API key", match.start(), match.end()
        for match in _WEBHOOK_SECRET.finditer(text):
            yield "webhook secret", match.start(), match.end()
        for match in self._fixed.finditer(text):
            yield "fixed password or secret", match.start(), match.end()
        for match in _BASIC.finditer(text):
            if _basic_credential(match.group(1)):
                yield "Basic auth credential", match.start(1), match.end(1)

    def scan(self, source: str, text: str) -> list[Finding]:
        found = [Finding(kind, source, _excerpt(text, s, e)) for kind, s, e in self._hits(text)]
        if found:
            with self._lock:
                self._findings.update(dict.fromkeys(found))
        return found

    def scan_record(self, record: logging.LogRecord) -> list[Finding]:
        self.records_seen += 1
        return self.scan(f"logger {record.name!r}", record_text(record))

    def scan_file(self, path: Path) -> list[Finding]:
        if path.suffix.lower() in BINARY_SUFFIXES or path.stat().st_size > MAX_ARTIFACT_BYTES:
            return []
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return []
        self.files_scanned += 1
        found: list[Finding] = []
        for number, line in enumerate(content.splitlines(), start=1):
            if any(allowed.match(line) for allowed in ALLOWED_LINES):
                continue
            found += self.scan(f"file {_shown(path)}:{number}", line)
        return found


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def record_text(record: logging.LogRecord) -> str:
    """Everything a formatter could write for the record."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string still must not hide its arguments
        message = f"{record.msg!r} % {record.args!r}"
    parts = [message]
    parts += [f"{key}={value!r}" for key, value in record.__dict__.items() if key not in _STANDARD]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class GuardHandler(logging.Handler):
    def __init__(self, guard: LogGuard) -> None:
        super().__init__(logging.NOTSET)
        self.guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        # Libraries add filters to the root's handlers (powertools suppresses its own
        # records there); the guard must still see every record.
        return True

    def handle(self, record: logging.LogRecord) -> bool:
        # One record may reach this handler twice (through a project logger and the root
        # before the project logger stops propagating): scan it once.
        if getattr(record, "_log_guard_seen", False):
            return True
        record._log_guard_seen = True
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.guard.scan_record(record)
        except Exception:  # pragma: no cover - never break a test through logging
            self.handleError(record)


# --- the plugin ---------------------------------------------------------------------------

_KEY = pytest.StashKey["_Session"]()


@dataclass
class _Session:
    guard: LogGuard
    handler: GuardHandler
    started: float
    levels: dict[str, int]


def pytest_configure(config: pytest.Config) -> None:
    guard = LogGuard(known_numbers=numbers_in_tests())
    handler = GuardHandler(guard)
    root = logging.getLogger()
    levels = {"": root.level}
    root.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    config.stash[_KEY] = _Session(guard, handler, time.time(), levels)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_KEY, None)
    if state is None:
        return
    guard = state.guard
    if ARTIFACTS.is_dir():
        for path in sorted(ARTIFACTS.rglob("*")):
            # Only what this run wrote: an older run's files are that run's business.
            if path.is_file() and path.stat().st_mtime >= state.started - 1:
                guard.scan_file(path)
    findings = guard.findings
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.line("")
        reporter.write_sep(
            "=" if not findings else "!",
            f"log guard: {guard.records_seen} log records and {guard.files_scanned} "
            f"artifact file(s) scanned, {len(findings)} leak(s)",
            red=bool(findings),
            green=not findings,
        )
        for finding in findings[:50]:
            reporter.write_line(f"  {finding.describe()}", red=True)
    if findings and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_KEY, None)
    if state is None:
        return
    root = logging.getLogger()
    root.removeHandler(state.handler)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).removeHandler(state.handler)
    for name, level in state.levels.items():
        logging.getLogger(name or None).setLevel(level)
