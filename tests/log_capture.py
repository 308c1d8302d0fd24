"""A pytest plugin: every log record the whole suite emits, kept for the log audit in tests/logs.

Registered from tests/conftest.py (`pytest_plugins`), so it sees every folder's
tests, not only those under tests/logs. The root logger is opened to DEBUG for
the session: a token that leaks only at DEBUG still leaks. Tests marked
`log_audit` run after everything else, so they audit the complete record.
`report(...)` lines (soak throughput, fetch counts) are printed in the summary.

Run in parallel (pytest-xdist, the default: tests/parallel.py), each worker sees
only its share of the tests, so no worker may audit. Each worker deselects the
`log_audit` tests and, when its session ends, hands its whole record (log lines,
uvicorn output, the tokens it minted, its figures) to the controller in
xdist's `workeroutput`: in memory, through the worker's pipe, never on disk. The
controller runs the very same audits once, after every worker has finished, over
the union of the records, and fails the run (exit status 1, a "log audit"
section naming what it found) when either finds something. `-p no:xdist` runs
the suite serially and the `log_audit` tests audit as they always did.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from tests.support import MINTED_TOKENS, UVICORN_OUTPUTS

__all__ = ["SuiteLog", "audit_auth_failure_lines", "audit_token_material", "find_token_material", "report", "suite_log"]

_REPORT: list[str] = []
_RUN = re.compile(r"[A-Za-z0-9_-]{32,}")
_WINDOW = 24
_STRIDE = 8  # any run of >= _WINDOW + _STRIDE - 1 chars taken from a segment holds one aligned window
# Anything shaped like a compact JWS, minted by these tests or not (dev IdP, client tests).
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.")
# The edge's auth-failure line, in process ("edge INFO ...") and in uvicorn's output ("INFO edge ...").
# A refusal of a valid token (403) names the caller's kind, and an agent's parent application id.
AUTH_FAILURE_LINE = re.compile(
    r"^(?:edge INFO |INFO edge )auth failure status=(400|401|403|503) reason=([a-z0-9_]+)"
    r"(?: caller_kind=(?:user|app|agent_for_user|autonomous_agent|agent_user_account)(?: parent_app_id=[0-9a-f-]{36})?)?"
    r" correlation_id=([A-Za-z0-9._-]{1,64})$"
)


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


def audit_token_material(lines: Sequence[str], tokens: Sequence[str]) -> str:
    """Assert no line holds token material (find_token_material); the summary figure when none does."""
    assert tokens and lines

    leaks = find_token_material(lines, tokens)

    assert leaks == [], f"{len(leaks)} log lines hold token material, e.g. {leaks[0][:200]!r}"
    return f"logs: {len(lines)} log lines of this session audited against {len(tokens)} minted tokens: no token material"


def audit_auth_failure_lines(lines: Sequence[str]) -> str:
    """Assert every auth-failure line has one reason code and a correlation id no other line has."""
    failures = [line for line in lines if " auth failure " in f" {line}"]
    parsed = [AUTH_FAILURE_LINE.match(line) for line in failures]

    assert failures
    assert [line for line, match in zip(failures, parsed) if match is None] == []
    counts = Counter(match.group(3) for match in parsed if match)
    assert [c for c, n in counts.items() if n > 1] == []  # one line per failure: no request logged twice
    return f"logs: {len(failures)} auth-failure lines this session, each with one reason code and a unique correlation id"


def audit_telemetry_record(record: Sequence[str], tokens: Sequence[str]) -> str:
    """Assert no span or metric point holds token material or a bearer credential; skip when none was recorded."""
    if not record:
        pytest.skip("no telemetry test ran in this session")
    leaks = find_token_material(record, tokens)

    assert leaks == [], f"{len(leaks)} spans or points hold token material, e.g. {leaks[0][:200]!r}"
    assert [line for line in record if "Bearer " in line] == []
    return f"telemetry: {len(record)} spans and metric points audited against {len(tokens)} minted tokens: no token material"


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
    if _is_worker(config):
        # A worker holds part of the record: the controller audits the whole (module docstring).
        audits = [item for item in items if item.get_closest_marker("log_audit") is not None]
        if audits:
            items[:] = items[: len(items) - len(audits)]
            config.hook.pytest_deselected(items=audits)
            _worker_output(config)["log_audit"] = [(item.nodeid, item.name) for item in audits]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _worker_output(config: pytest.Config) -> dict[str, Any]:
    output: dict[str, Any] = config.workeroutput  # type: ignore[attr-defined]  # set by pytest-xdist on workers
    return output


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _is_worker(config):
        # Runs before xdist sends workeroutput (its hook wraps this one), after every fixture's teardown.
        output = _worker_output(config)
        from tests.telemetry.rig import TELEMETRY_RECORD

        output["suite_log"] = _HANDLER.everything()
        output["telemetry_record"] = list(TELEMETRY_RECORD)
        output["minted_tokens"] = list(MINTED_TOKENS)
        output["figures"] = list(_REPORT)
    elif _WORKERS.down or _WORKERS.lost:
        _WORKERS.audit(session)


class _WorkerRecords:
    """What each xdist worker handed over, and the controller's audit of their union."""

    def __init__(self) -> None:
        self.down: dict[str, dict[str, Any]] = {}
        self.lost: list[str] = []
        self.failures: list[str] = []

    def audit(self, session: pytest.Session) -> None:
        audits = sorted({tuple(test) for output in self.down.values() for test in output.get("log_audit", [])})
        for output in self.down.values():
            _REPORT.extend(output.get("figures", []))
        if not audits:
            return  # the log_audit tests were not selected (-k, a single folder): nothing to audit, as serially
        lines = [line for output in self.down.values() for line in output.get("suite_log", [])]
        tokens = [token for output in self.down.values() for token in output.get("minted_tokens", [])]
        telemetry = [line for output in self.down.values() for line in output.get("telemetry_record", [])]
        checks = {
            "test_no_token_or_token_fragment_appears_in_any_log_of_the_suite": lambda: audit_token_material(lines, tokens),
            "test_every_auth_failure_of_the_suite_logged_one_line_with_reason_and_correlation_id": lambda: audit_auth_failure_lines(lines),
            "test_no_span_or_metric_point_holds_token_material": lambda: audit_telemetry_record(telemetry, tokens),
        }
        for nodeid, name in audits:
            failure = None
            if self.lost:
                failure = f"workers {', '.join(sorted(self.lost))} went down without handing over their log record: the audit would be partial"
            elif name not in checks:
                failure = f"no controller audit for the log_audit test {name}: add it to tests/log_capture.py"
            else:
                try:
                    _REPORT.append(checks[name]())
                except AssertionError as error:
                    failure = f"AssertionError: {error}"
                except pytest.skip.Exception as skipped:
                    self._record(session, nodeid, name, None, skipped=str(skipped))
                    continue
            self._record(session, nodeid, name, failure)

    def _record(self, session: pytest.Session, nodeid: str, name: str, failure: str | None, *, skipped: str | None = None) -> None:
        """Count the audit as the test it is, in the summary line and, when it fails, the failures section."""
        outcome = "skipped" if skipped is not None else "passed" if failure is None else "failed"
        longrepr: Any = None if failure is None else f"log audit, run in the controller over every worker's record:\n{failure}"
        if skipped is not None:
            longrepr = (nodeid.split("::")[0], None, f"Skipped: {skipped}")
        test_report = pytest.TestReport(nodeid, (nodeid.split("::")[0], None, name), {}, outcome, longrepr, "call")
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.stats.setdefault(outcome, []).append(test_report)
        if failure is not None:
            self.failures.append(f"{nodeid}: {failure}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


_WORKERS = _WorkerRecords()


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent with `-p no:xdist`
def pytest_testnodedown(node: Any, error: object) -> None:
    output = getattr(node, "workeroutput", None)
    if error is None and output is not None and "suite_log" in output:
        _WORKERS.down[node.gateway.id] = output
    else:
        _WORKERS.lost.append(node.gateway.id)


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
