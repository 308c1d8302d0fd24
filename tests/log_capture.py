"""A pytest plugin: every log record the whole suite emits, kept for the log audit in tests/logs.

Registered from tests/conftest.py (`pytest_plugins`), so it sees every folder's
tests, not only those under tests/logs. The root logger is opened to DEBUG for
the session: a token that leaks only at DEBUG still leaks. Tests marked
`log_audit` run after everything else, so they audit the complete record.
`report(...)` lines (soak throughput, fetch counts) are printed in the summary.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

import pytest

from tests.support import MINTED_TOKENS, UVICORN_OUTPUTS

__all__ = ["SuiteLog", "find_token_material", "report", "suite_log"]

_REPORT: list[str] = []
_RUN = re.compile(r"[A-Za-z0-9_-]{32,}")
_WINDOW = 24
_STRIDE = 8  # any run of >= _WINDOW + _STRIDE - 1 chars taken from a segment holds one aligned window
# Anything shaped like a compact JWS, minted by these tests or not (dev IdP, client tests).
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")


class SuiteLog(logging.Handler):
    """Keeps every record's rendered message (with any traceback) from the whole session."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string must not hide the raw message
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._guard:
            self.lines.append(f"{record.name} {record.levelname} {text}")

    def lines_with(self, needle: str) -> list[str]:
        with self._guard:
            return [line for line in self.lines if needle in line]

    def auth_failures(self, correlation_id: str) -> list[str]:
        """The edge's auth-failure lines for one request."""
        return [
            line
            for line in self.lines_with(f"correlation_id={correlation_id}")
            if line.startswith("edge ") and " auth failure " in line
        ]

    def everything(self) -> list[str]:
        """Captured records, every span and metric point the telemetry tests recorded, and the
        output of every uvicorn subprocess the suite ran."""
        from tests.telemetry.rig import TELEMETRY_RECORD

        with self._guard:
            lines = list(self.lines)
        lines.extend(TELEMETRY_RECORD)
        for path in UVICORN_OUTPUTS:
            try:
                with open(path, encoding="utf-8", errors="replace") as output:
                    lines.extend(output.read().splitlines())
            except FileNotFoundError:
                pass
        return lines


def find_token_material(lines: Iterable[str], tokens: Iterable[str]) -> list[str]:
    """Lines holding a whole token, a signature or payload segment (or a 31+ char slice of one), or a JWT."""
    windows: set[str] = set()
    for token in tokens:
        for segment in token.split(".")[1:]:
            windows.update(segment[i : i + _WINDOW] for i in range(0, len(segment) - _WINDOW + 1, _STRIDE))
    found = []
    for line in lines:
        if _JWT_SHAPE.search(line):
            found.append(line)
            continue
        for run in _RUN.findall(line):
            if any(run[i : i + _WINDOW] in windows for i in range(len(run) - _WINDOW + 1)):
                found.append(line)
                break
    return found


def report(line: str) -> None:
    """A figure to print in the terminal summary (soak throughput, fetch counts)."""
    _REPORT.append(line)


_HANDLER = SuiteLog()
_saved_level: int | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _saved_level
    root = logging.getLogger()
    _saved_level = root.level
    root.addHandler(_HANDLER)
    root.setLevel(logging.DEBUG)


def pytest_unconfigure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.removeHandler(_HANDLER)
    if _saved_level is not None:
        root.setLevel(_saved_level)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The audit must read the record of every other test, so it goes last.
    items.sort(key=lambda item: item.get_closest_marker("log_audit") is not None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("figures")
        for line in _REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def suite_log() -> SuiteLog:
    """The session-wide log record."""
    return _HANDLER


@pytest.fixture(scope="session")
def minted_tokens() -> list[str]:
    return MINTED_TOKENS
